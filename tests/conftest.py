"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
WARROOM_TEST_DATABASE_URL is set), an app client, and `make_*` factories."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from warroom.api.app import create_app
from warroom.auth import service as auth
from warroom.clock import utcnow
from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.db.migrate import upgrade
from warroom.db.models_registry import metadata
from warroom.settings import Settings

PG_URL = os.environ.get("WARROOM_TEST_DATABASE_URL")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Everything that touches the database runs again in the PostgreSQL pass (`-m db`).
    for item in items:
        if "database_url" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.db)


def _sqlalchemy(url: str) -> str:
    return Settings(database_url=url).sqlalchemy_url


@pytest.fixture(scope="session")
def _migrated_template(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[str]:
    """A migrated database to clone per test: a SQLite file, or a PostgreSQL database."""
    if PG_URL is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        db = Database(f"sqlite:///{path}")
        upgrade(db)
        db.dispose()
        yield str(path)
        return
    name = f"warroom_test_{worker_id}_{uuid.uuid4().hex[:8]}"
    admin_url = _sqlalchemy(PG_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def database_url(_migrated_template: str, tmp_path: Path) -> str:
    """A URL to a freshly migrated, empty database for this test."""
    if PG_URL is None:
        path = tmp_path / "warroom.db"
        shutil.copyfile(_migrated_template, path)
        return f"sqlite:///{path}"
    engine = create_engine(_migrated_template)
    tables = ", ".join(f'"{t.name}"' for t in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text("INSERT INTO counters (name, value) VALUES ('incident', 0)"))
    engine.dispose()
    return _migrated_template


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    database = Database(database_url)
    yield database
    database.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def config() -> WarroomConfig:
    return WarroomConfig()


@pytest.fixture
def client(settings: Settings, config: WarroomConfig, db: Database) -> Iterator[TestClient]:
    with TestClient(create_app(settings, config=config, db=db)) as test_client:
        yield test_client


@pytest.fixture
def make_token(db: Database) -> Callable[..., str]:
    """Create an API token with a role; returns the plaintext token."""

    def make(role: str = "responder", name: str | None = None) -> str:
        with db.transaction() as session:
            _, token = auth.create_token(
                session, name or f"{role}-{uuid.uuid4().hex[:6]}", role, utcnow()
            )
        return token

    return make


@pytest.fixture
def auth_headers(make_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('responder', 'alice')}"}


@pytest.fixture
def make_incident(client: TestClient, auth_headers: dict[str, str]) -> Callable[..., dict[str, Any]]:
    """Declare an incident over HTTP; keyword arguments override the body."""

    def make(**overrides: Any) -> dict[str, Any]:
        body = {"title": "Checkout returns 500s", "severity": "SEV2", "service": "checkout"}
        body.update(overrides)
        response = client.post("/api/v1/incidents", json=body, headers=auth_headers)
        assert response.status_code == 201, response.text
        return response.json()  # type: ignore[no-any-return]

    return make


# --- ingestion: integrations and configured apps ----------------------------------------


@pytest.fixture
def make_integration(db: Database) -> Callable[..., str]:
    """Create an integration of `format` (optionally for `service`, with `options`);
    returns its plaintext key."""
    from warroom.integrations.service import create_integration

    def make(format: str = "alertmanager", service: str | None = None,
             options: dict[str, Any] | None = None, name: str | None = None) -> str:
        with db.transaction() as session:
            _, key = create_integration(
                session, name=name or f"{format}-{uuid.uuid4().hex[:6]}", format=format,
                now=utcnow(), service=service, options=options)
        return key

    return make


@pytest.fixture
def make_client(settings: Settings, db: Database) -> Iterator[Callable[..., TestClient]]:
    """A client of an app configured from warroom.yaml text; keyword arguments override
    settings (e.g. `max_body_bytes=1000`). Shares the `db` fixture's database."""
    import textwrap

    from warroom.config.loader import parse_config

    opened: list[TestClient] = []

    def make(yaml_text: str = "", **setting_overrides: Any) -> TestClient:
        config = parse_config(textwrap.dedent(yaml_text))
        app_settings = settings.model_copy(update=setting_overrides)
        test_client = TestClient(create_app(app_settings, config=config, db=db))
        test_client.__enter__()
        opened.append(test_client)
        return test_client

    yield make
    for test_client in opened:
        test_client.__exit__(None, None, None)
