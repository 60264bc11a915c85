"""Process settings: read from the environment once, then passed down explicitly.

This is the only module that reads environment variables (prefix `WARROOM_`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a warroom process needs to know about where it runs."""

    model_config = SettingsConfigDict(env_prefix="WARROOM_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///warroom.db",
        description="sqlite:///path.db for the embedded default, postgresql://... at scale",
    )
    config: Path | None = Field(default=None, description="path to warroom.yaml (optional)")
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = Field(
        default=None, description="URL people reach warroom at; default: the listen address"
    )
    url: str | None = Field(default=None, description="server the CLI talks to (else local DB)")
    token: str | None = Field(default=None, description="API token the CLI sends to --url")
    max_body_bytes: int = 1_048_576
    secret_key: str | None = Field(
        default=None, description="signs page links; default: a secret kept in the database")
    log_level: str = "info"
    log_format: str = Field(default="auto", pattern="^(auto|json|text)$",
                            description="json, text, or auto (json unless on a terminal)")

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql", "postgres://")):
            raise ValueError("database_url must start with sqlite:// or postgresql://")
        return value

    @property
    def sqlalchemy_url(self) -> str:
        """The URL with the driver SQLAlchemy should use (psycopg 3 for PostgreSQL)."""
        url = self.database_url
        if url.startswith("postgres://"):
            url = "postgresql://" + url.removeprefix("postgres://")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        return url

    @property
    def is_sqlite(self) -> bool:
        return self.sqlalchemy_url.startswith("sqlite")

    @property
    def listen_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def load_settings(**overrides: object) -> Settings:
    """Build the settings from the environment, with explicit overrides winning."""
    clean = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**clean)  # type: ignore[arg-type]


def environment() -> Mapping[str, str]:
    """The process environment, for secrets that configuration names by variable
    (`key_env`); read here so no other module touches the environment."""
    return os.environ
