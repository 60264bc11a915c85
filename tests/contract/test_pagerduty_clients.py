"""The public `pdpyras` client, pointed at a real warroom HTTP server (uvicorn on a free
loopback port, in a thread), works unmodified against /v2/enqueue and /v2/change/enqueue."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from tests.live_server import LiveServer
from warroom.api.app import create_app
from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.settings import Settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # pdpyras warns that it is deprecated upstream
    import pdpyras


@pytest.fixture
def live(settings: Settings, db: Database) -> Iterator[LiveServer]:
    with LiveServer(create_app(settings, config=WarroomConfig(), db=db)) as server:
        yield server


@pytest.fixture
def incidents(live: LiveServer, make_token: Callable[..., str]) -> Callable[[], list[Any]]:
    headers = {"Authorization": f"Bearer {make_token('viewer')}"}

    def fetch() -> list[dict[str, Any]]:
        r = httpx.get(f"{live.url}/api/v1/incidents", headers=headers, timeout=10)
        assert r.status_code == 200, r.text
        return sorted(r.json()["items"], key=lambda i: i["number"])

    return fetch


def _events(url: str, key: str) -> Any:
    session = pdpyras.EventsAPISession(key)
    session.url = url
    return session


def test_pdpyras_trigger_twice_ack_and_resolve_one_incident(
    live: LiveServer, make_integration: Callable[..., str],
    incidents: Callable[[], list[dict[str, Any]]],
) -> None:
    session = _events(live.url, make_integration("pagerduty", service="datapipe"))
    first = session.trigger("DISK at 99% on db1", "db1", dedup_key="srv01/mysql",
                            severity="error", custom_details={"free": "1%"})
    second = session.trigger("DISK at 99% on db1", "db1", dedup_key="srv01/mysql",
                             severity="error")
    assert first == second == "srv01/mysql"
    (incident,) = incidents()
    assert incident["status"] == "triggered" and incident["severity"] == "SEV2"
    assert incident["services"] == ["datapipe"]

    assert session.acknowledge("srv01/mysql") == "srv01/mysql"
    (incident,) = incidents()
    assert incident["status"] == "acknowledged"

    assert session.resolve("srv01/mysql") == "srv01/mysql"
    (incident,) = incidents()
    assert incident["status"] == "resolved"


def test_pdpyras_trigger_without_dedup_key_returns_a_generated_key(
    live: LiveServer, make_integration: Callable[..., str],
    incidents: Callable[[], list[dict[str, Any]]],
) -> None:
    session = _events(live.url, make_integration("pagerduty"))
    key = session.trigger("CPU hot", "web1", severity="critical")
    assert isinstance(key, str) and len(key) >= 16
    assert incidents()[0]["severity"] == "SEV1"
    assert session.resolve(key) == key
    assert incidents()[0]["status"] == "resolved"


def test_pdpyras_rejected_event_raises_with_the_reason(
    live: LiveServer, make_integration: Callable[..., str],
) -> None:
    session = _events(live.url, make_integration("pagerduty"))
    with pytest.raises(pdpyras.PDClientError) as caught:
        session.trigger("x", "y", severity="catastrophic")
    assert caught.value.response is not None and caught.value.response.status_code == 400
    assert "payload.severity" in caught.value.response.text


def test_pdpyras_change_event_submit_lands_on_open_incidents_of_the_service(
    live: LiveServer, make_integration: Callable[..., str],
    incidents: Callable[[], list[dict[str, Any]]], make_token: Callable[..., str],
) -> None:
    key = make_integration("pagerduty", service="checkout")
    _events(live.url, key).trigger("Checkout 500s", "lb1", dedup_key="co", severity="error")
    change = pdpyras.ChangeEventsAPISession(key)
    change.url = live.url
    change.submit("Deploy v42 of checkout", source="ci", custom_details={"build": "42"},
                  links=[{"href": "https://ci/42", "text": "build"}])
    (incident,) = incidents()
    headers = {"Authorization": f"Bearer {make_token('viewer')}"}
    timeline = httpx.get(f"{live.url}/api/v1/incidents/{incident['id']}/timeline",
                         headers=headers, timeout=10).json()
    changes = [e for e in timeline if e["kind"] == "change.recorded"]
    assert [e["summary"] for e in changes] == ["Change: Deploy v42 of checkout"]
    assert changes[0]["details"]["custom_details"] == {"build": "42"}
