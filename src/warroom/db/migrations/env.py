"""Alembic environment: works from `warroom db upgrade` and from the `alembic` CLI."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from warroom.db.models_registry import metadata

config = context.config
connection = config.attributes.get("connection")


def include_name(name: str | None, type_: str, _parents: object) -> bool:
    """procrastinate's tables (PostgreSQL, migration 0006) are its own, not our models."""
    return not (type_ == "table" and (name or "").startswith("procrastinate_"))


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=metadata,
        include_name=include_name,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
