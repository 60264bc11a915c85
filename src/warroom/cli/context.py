"""Builds what a command needs from options and the one Settings object."""

from __future__ import annotations

import getpass
from pathlib import Path

from warroom.cli.backend import Backend, HttpBackend, LocalBackend
from warroom.config import WarroomConfig, load_config
from warroom.db import Database
from warroom.db.migrate import is_current, pending, upgrade
from warroom.errors import ConfigError
from warroom.settings import Settings, load_settings


def settings_from(config: Path | None = None, database_url: str | None = None,
                  url: str | None = None, token: str | None = None) -> Settings:
    try:
        return load_settings(config=config, database_url=database_url, url=url, token=token)
    except Exception as exc:  # pydantic's error names the field
        raise ConfigError(f"invalid settings: {exc}") from None


def open_database(settings: Settings, *, migrate: bool) -> Database:
    """The configured database; the embedded SQLite default is migrated on demand."""
    db = Database(settings.sqlalchemy_url)
    if is_current(db):
        return db
    todo = pending(db)
    if todo and (migrate or settings.is_sqlite):
        upgrade(db)
    elif todo:
        raise ConfigError(
            f"database schema is behind by {len(todo)} migration(s); run `warroom db upgrade`"
        )
    return db


def local_actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in some containers
        return "cli"


def backend_from(settings: Settings, config: WarroomConfig | None = None) -> Backend:
    if settings.url:
        return HttpBackend(settings.url, settings.token)
    config = config or load_config(settings.config)
    return LocalBackend(open_database(settings, migrate=False), config, local_actor())
