"""The console's server-rendered pages: sign-in, incidents, one incident with its actions,
alerts (attacker-controlled labels escaped), silences, on-call."""

from __future__ import annotations

import re
from typing import Any, Callable

import pytest
from fastapi.testclient import TestClient

from warroom.clock import utcnow
from warroom.db import Database
from warroom.users import service as users


@pytest.fixture
def signed_in(client: TestClient, db: Database) -> str:
    with db.transaction() as session:
        users.create_user(session, "ic@example.com", "responder", "correct horse battery",
                          utcnow())
    r = client.post("/login", data={"email": "ic@example.com",
                                    "password": "correct horse battery"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    page = client.get("/").text
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_pages_need_a_session(client: TestClient) -> None:
    for path in ("/", "/alerts", "/silences", "/oncall", "/incidents/INC-1"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
    assert "Sign in" in client.get("/login").text


def test_wrong_password_stays_on_the_login_page(client: TestClient, db: Database) -> None:
    with db.transaction() as session:
        users.create_user(session, "a@example.com", "viewer", "correct horse battery", utcnow())
    r = client.post("/login", data={"email": "a@example.com", "password": "nope"})
    assert r.status_code == 200 and "wrong email or password" in r.text


def test_incident_list_and_acknowledge_with_a_click(
    client: TestClient, signed_in: str, make_incident: Callable[..., dict[str, Any]],
    auth_headers: dict[str, str],
) -> None:
    inc = make_incident(title="Checkout <b>down</b>", severity="SEV2")
    listing = client.get("/").text
    assert "INC-1" in listing and "Checkout &lt;b&gt;down&lt;/b&gt;" in listing
    assert "<b>down</b>" not in listing
    fragment = client.get("/?fragment=1").text
    assert "<tr data-ref=\"INC-1\">" in fragment and "<html" not in fragment
    page = client.get("/incidents/INC-1").text
    assert "Acknowledge" in page and 'aria-keyshortcuts="a"' in page
    refused = client.post("/incidents/INC-1/act", data={"action": "acknowledge",
                                                        "csrf_token": "forged"})
    assert "form expired" in refused.text
    done = client.post("/incidents/INC-1/act", data={"action": "acknowledge",
                                                     "csrf_token": signed_in})
    assert "INC-1 is now acknowledged" in done.text
    no_policy = client.post("/incidents/INC-1/act", data={"action": "escalate",
                                                          "csrf_token": signed_in})
    assert "INC-1 has no escalation policy" in no_policy.text
    unknown = client.post("/incidents/INC-1/act", data={"action": "explode",
                                                       "csrf_token": signed_in})
    assert "Unknown action &#39;explode&#39;" in unknown.text
    api = client.get(f"/api/v1/incidents/{inc['id']}", headers=auth_headers).json()
    assert api["status"] == "acknowledged"
    client.post("/incidents/INC-1/note", data={"summary": "rolled back", "type": "action",
                                               "csrf_token": signed_in})
    client.post("/incidents/INC-1/role", data={"role": "incident_commander", "person": "ic",
                                               "csrf_token": signed_in})
    raised = client.post("/incidents/INC-1/severity", data={"severity": "SEV1",
                                                          "csrf_token": signed_in})
    assert "Severity is now SEV1" in raised.text
    bad = client.post("/incidents/INC-1/severity", data={"severity": "SEV9",
                                                       "csrf_token": signed_in})
    assert "unknown severity" in bad.text
    page = client.get("/incidents/INC-1").text
    assert "rolled back" in page and "incident_commander: <strong>ic</strong>" in page


def test_alert_labels_are_shown_as_text_and_can_be_silenced(
    client: TestClient, signed_in: str, make_integration: Callable[..., str],
) -> None:
    key = make_integration("alertmanager")
    client.post("/api/v2/alerts", headers={"Authorization": f"Bearer {key}"}, json=[
        {"labels": {"alertname": "XSS", "evil": "<script>alert(1)</script>"},
         "annotations": {"summary": "<img src=x onerror=alert(2)>"}}])
    page = client.get("/alerts").text
    assert "<script>alert(1)</script>" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    silenced = client.post("/silences", data={"matcher": 'alertname="XSS"',
                                              "csrf_token": signed_in})
    assert "Silenced" in silenced.text and "active" in silenced.text
    sid = re.search(r'/silences/([0-9a-f-]{36})/expire', silenced.text).group(1)
    expired = client.post(f"/silences/{sid}/expire", data={"csrf_token": signed_in})
    assert "Silence expired" in expired.text


def test_oncall_page_lists_schedules(client: TestClient, signed_in: str) -> None:
    assert "No schedules configured" in client.get("/oncall").text
