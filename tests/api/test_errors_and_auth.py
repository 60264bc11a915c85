"""Auth and the error contract: 401, 403, 404, 409, 413, 422 with messages that explain."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient


def test_healthz_needs_no_token(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/api/v1/incidents"), ("POST", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/INC-1/report"), ("GET", "/api/v1/tokens"),
])
def test_no_token_is_401(client: TestClient, method: str, path: str) -> None:
    r = client.request(method, path, json={"title": "x"})
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    assert "token" in r.json()["detail"]


def test_wrong_token_is_401(client: TestClient) -> None:
    r = client.get("/api/v1/incidents", headers={"Authorization": "Bearer wr_nope"})
    assert r.status_code == 401 and "invalid" in r.json()["detail"]


def test_viewer_reads_but_cannot_write(
    client: TestClient, make_token: Callable[..., str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    inc = make_incident()
    viewer = {"Authorization": f"Bearer {make_token('viewer')}"}
    assert client.get("/api/v1/incidents", headers=viewer).status_code == 200
    for method, path, body in [
        ("POST", "/api/v1/incidents", {"title": "x"}),
        ("POST", f"/api/v1/incidents/{inc['id']}/acknowledge", None),
        ("PATCH", f"/api/v1/incidents/{inc['id']}", {"title": "y"}),
        ("POST", f"/api/v1/incidents/{inc['id']}/timeline", {"summary": "z"}),
    ]:
        r = client.request(method, path, json=body, headers=viewer)
        assert r.status_code == 403, (method, path)
        assert "viewer" in r.json()["detail"]
    assert client.get(f"/api/v1/incidents/{inc['id']}", headers=viewer).json()["status"] == (
        "triggered")


def test_only_admins_manage_tokens(
    client: TestClient, make_token: Callable[..., str], auth_headers: dict[str, str]
) -> None:
    assert client.get("/api/v1/tokens", headers=auth_headers).status_code == 403
    admin = {"Authorization": f"Bearer {make_token('admin')}"}
    created = client.post("/api/v1/tokens", headers=admin, json={"name": "ci", "role": "viewer"})
    assert created.status_code == 201
    token = created.json()["token"]
    assert client.get("/api/v1/incidents",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 200
    names = [t["name"] for t in client.get("/api/v1/tokens", headers=admin).json()]
    assert "ci" in names and all("token" not in t for t in
                                 client.get("/api/v1/tokens", headers=admin).json())
    assert client.post("/api/v1/tokens", headers=admin,
                       json={"name": "ci", "role": "viewer"}).status_code == 409
    assert client.delete("/api/v1/tokens/ci", headers=admin).status_code == 200
    assert client.get("/api/v1/incidents",
                      headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_invalid_transition_is_409_naming_states(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    inc = make_incident()
    r = client.post(f"/api/v1/incidents/{inc['id']}/close", headers=auth_headers)
    assert r.status_code == 409
    body = r.json()
    assert body["current"] == "triggered" and body["requested"] == "closed"
    assert "triggered" in body["detail"] and "close" in body["detail"]
    client.post(f"/api/v1/incidents/{inc['id']}/resolve", headers=auth_headers)
    client.post(f"/api/v1/incidents/{inc['id']}/close", headers=auth_headers)
    r = client.post(f"/api/v1/incidents/{inc['id']}/reopen", headers=auth_headers)
    assert r.status_code == 409 and r.json()["current"] == "closed"


def test_unknown_severity_is_422_listing_valid_ones(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    r = client.post("/api/v1/incidents", headers=auth_headers, json={"title": "x",
                                                                     "severity": "SEV7"})
    assert r.status_code == 422
    assert r.json()["valid"][:4] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert "SEV7" in r.json()["detail"]
    inc = make_incident()
    r = client.patch(f"/api/v1/incidents/{inc['id']}", headers=auth_headers,
                     json={"severity": "urgent"})
    assert r.status_code == 422
    r = client.get("/api/v1/incidents", headers=auth_headers, params={"severity": "nope"})
    assert r.status_code == 422
    total = client.get("/api/v1/incidents", headers=auth_headers).json()["total"]
    assert total == 1  # the rejected create left nothing behind


@pytest.mark.parametrize("ref", ["INC-999", "999", "00000000-0000-0000-0000-000000000000",
                                 "not-an-id"])
def test_missing_incident_is_404(client: TestClient, auth_headers: dict[str, str],
                                 ref: str) -> None:
    for path in ("", "/timeline", "/report", "/record"):
        r = client.get(f"/api/v1/incidents/{ref}{path}", headers=auth_headers)
        assert r.status_code == 404 and ref in r.json()["detail"]
    assert client.post(f"/api/v1/incidents/{ref}/acknowledge",
                       headers=auth_headers).status_code == 404


@pytest.mark.parametrize("body", [
    {"title": ""}, {"title": "a\x00b"}, {"title": "x", "impact": {"error_rate_pct": 101}},
    {"title": "x", "unexpected": 1}, {"title": "x", "labels": {"a": 1}}, ["not", "an", "object"],
])
def test_malformed_create_is_422(client: TestClient, auth_headers: dict[str, str],
                                 body: object) -> None:
    r = client.post("/api/v1/incidents", headers=auth_headers, json=body)
    assert r.status_code == 422
    assert r.json()["detail"]


def test_broken_json_is_4xx(client: TestClient, auth_headers: dict[str, str]) -> None:
    r = client.post("/api/v1/incidents", headers={**auth_headers,
                                                  "content-type": "application/json"},
                    content=b"{not json")
    assert r.status_code == 422


def test_oversized_body_is_413(client: TestClient, auth_headers: dict[str, str]) -> None:
    r = client.post("/api/v1/incidents", headers={**auth_headers,
                                                  "content-type": "application/json"},
                    content=b'{"title": "' + b"x" * 2_000_000 + b'"}')
    assert r.status_code == 413 and "larger than" in r.json()["detail"]
