"""Console sign-in: argon2-hashed accounts, a server-side session cookie, CSRF on writes;
API tokens keep working beside it."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from warroom.clock import utcnow
from warroom.db import Database
from warroom.errors import Conflict, InvalidInput
from warroom.users import service as users
from warroom.users.models import User


@pytest.fixture
def make_user(db: Database) -> Callable[..., None]:
    def make(email: str = "oncall@example.com", role: str = "responder",
             password: str = "correct horse battery") -> None:
        with db.transaction() as session:
            users.create_user(session, email, role, password, utcnow())
    return make


def sign_in(client: TestClient, email: str = "oncall@example.com",
            password: str = "correct horse battery") -> Any:
    return client.post("/api/v1/session", json={"email": email, "password": password})


def test_passwords_are_stored_as_argon2_hashes(db: Database, make_user) -> None:
    make_user()
    with db.reading() as session:
        stored = session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_sign_in_reads_and_writes_with_csrf(client: TestClient, make_user,
                                            make_incident: Callable[..., dict[str, Any]]) -> None:
    make_user()
    inc = make_incident()
    client.cookies.clear()
    signed = sign_in(client)
    assert signed.status_code == 200
    body = signed.json()
    assert body["email"] == "oncall@example.com" and body["role"] == "responder"
    cookie = signed.headers["set-cookie"]
    assert "warroom_session=" in cookie and "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert client.get("/api/v1/incidents").status_code == 200
    assert client.get("/api/v1/session").json()["email"] == "oncall@example.com"
    # A write through the cookie without the CSRF token is refused...
    refused = client.post(f"/api/v1/incidents/{inc['id']}/acknowledge")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    # ...and accepted with it, recorded under the person's address.
    ok = client.post(f"/api/v1/incidents/{inc['id']}/acknowledge",
                     headers={"X-CSRF-Token": body["csrf_token"]})
    assert ok.status_code == 200 and ok.json()["status"] == "acknowledged"
    timeline = client.get(f"/api/v1/incidents/{inc['id']}/timeline").json()
    assert timeline[-1]["actor"] == "oncall@example.com"
    out = client.request("DELETE", "/api/v1/session", headers={"X-CSRF-Token": body["csrf_token"]})
    assert out.status_code == 204
    assert client.get("/api/v1/incidents").status_code == 401


def test_wrong_password_and_unknown_user_look_alike(client: TestClient, make_user) -> None:
    make_user()
    wrong = sign_in(client, password="not the password")
    unknown = sign_in(client, email="nobody@example.com")
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"] == "wrong email or password"


def test_viewer_session_cannot_write(client: TestClient, make_user,
                                     make_incident: Callable[..., dict[str, Any]]) -> None:
    make_user("viewer@example.com", "viewer")
    inc = make_incident()
    client.cookies.clear()
    csrf = sign_in(client, "viewer@example.com").json()["csrf_token"]
    r = client.post(f"/api/v1/incidents/{inc['id']}/acknowledge", headers={"X-CSRF-Token": csrf})
    assert r.status_code == 403 and "viewer" in r.json()["detail"]


def test_api_tokens_still_work_beside_sessions(client: TestClient, auth_headers: dict[str, str],
                                               make_user) -> None:
    make_user()
    sign_in(client)
    assert client.post("/api/v1/incidents", json={"title": "scripted"},
                       headers=auth_headers).status_code == 201


def test_account_rules(db: Database, make_user) -> None:
    make_user()
    with db.transaction() as session:
        with pytest.raises(Conflict):
            users.create_user(session, "OnCall@example.com", "viewer", "long enough pw", utcnow())
        with pytest.raises(InvalidInput, match="at least 10"):
            users.create_user(session, "x@example.com", "viewer", "short", utcnow())
        with pytest.raises(InvalidInput, match="unknown role"):
            users.create_user(session, "y@example.com", "owner", "long enough pw", utcnow())


def test_the_server_makes_the_timing_equaliser_before_any_sign_in(
        settings: Any, config: Any, db: Database) -> None:
    """Made at start-up, so the first sign-in for an unknown email is no slower than a
    wrong password (it is not made on import: every CLI command would pay for it)."""
    from warroom.cli.serve import _build_app

    users._dummy_hash.cache_clear()
    _build_app(settings, config, db, engine=False)
    assert users._dummy_hash.cache_info().currsize == 1
