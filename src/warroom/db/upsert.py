"""INSERT ... ON CONFLICT DO NOTHING for both dialects (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session


def insert_ignore(
    session: Session, model: Any, rows: Sequence[dict[str, Any]], key: str,
) -> set[Any]:
    """Insert rows whose `key` is not taken yet; return the keys this call inserted.

    Concurrent writers racing on the same key never fail: the loser simply sees the row as
    existing, and the caller then locks and updates it.
    """
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    column: Column[Any] = getattr(model, key)
    stmt = insert(model).on_conflict_do_nothing(index_elements=[key]).returning(column)
    return set(session.scalars(stmt, list(rows)).all())
