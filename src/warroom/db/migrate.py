"""Apply Alembic migrations programmatically (no alembic.ini needed).

Alembic is imported only when there is something to do: `is_current` reads the head
revisions from the migration files and compares them with the database, so a server
whose schema is up to date never loads Alembic (about 11 MiB it would keep resident).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text

from warroom.db.engine import Database

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]", re.M)
_DOWN = re.compile(r"^down_revision\s*=\s*(.+)$", re.M)


def head_revisions() -> set[str]:
    """The revisions no other migration builds on, read from the migration files."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        found = _REVISION.search(source)
        if found is None:
            continue
        revisions.add(found.group(1))
        down = _DOWN.search(source)
        if down is not None:
            parents.update(re.findall(r"['\"]([^'\"]+)['\"]", down.group(1)))
    return revisions - parents


def is_current(db: Database) -> bool:
    """True when the database is at the head revision (no Alembic needed to tell)."""
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return False
        applied = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    return applied == head_revisions()


def alembic_config(db: Database) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`, in one transaction per migration run."""
    from alembic import command

    cfg = alembic_config(db)
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def pending(db: Database) -> list[str]:
    """Revisions not yet applied, oldest first."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config(db))
    with db.engine.connect() as conn:
        current = set(MigrationContext.configure(conn).get_current_heads())
    revs = [r.revision for r in script.walk_revisions() if r.revision not in current]
    if current:
        applied: set[str] = set()
        for head in current:
            applied.update(r.revision for r in script.iterate_revisions(head, "base"))
        revs = [r for r in revs if r not in applied]
    return list(reversed(revs))
