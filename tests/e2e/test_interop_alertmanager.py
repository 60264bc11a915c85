"""Real Alertmanager 0.25 → warroom's webhook receiver (`/api/v1/ingest/alertmanager`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.peers import ALERTMANAGER, Alertmanager, Warroom, wait_for

pytestmark = pytest.mark.e2e

ALERTNAME = "WarroomInteropWebhook"


def _rfc3339(value: datetime) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture
def alertmanager_peer() -> Iterator[list[Alertmanager]]:
    started: list[Alertmanager] = []
    yield started
    for peer in started:
        peer.stop()


def test_alertmanager_webhook_opens_and_resolves_an_incident(
        server: Server, server_env: dict[str, str], tmp_path: Path,
        alertmanager_peer: list[Alertmanager]) -> None:
    if ALERTMANAGER is None:
        pytest.skip("prometheus-alertmanager not installed "
                    "(Debian package prometheus-alertmanager)")
    wr = Warroom(server, server_env, tmp_path)
    am = Alertmanager(tmp_path, webhook_url=f"{wr.url}/api/v1/ingest/alertmanager",
                      credentials=wr.key)
    alertmanager_peer.append(am)
    am.start()

    def diagnostics() -> str:
        return f"{am.log_tail()}{wr.log_tail()}"

    labels = {"alertname": ALERTNAME, "severity": "critical", "instance": "db-1"}
    started = datetime.now(UTC) - timedelta(seconds=5)
    alert: dict[str, Any] = {
        "labels": labels, "annotations": {"summary": "interop: via a real Alertmanager"},
        "startsAt": _rfc3339(started), "endsAt": _rfc3339(started + timedelta(minutes=5)),
        "generatorURL": "http://127.0.0.1/interop",
    }
    posted = httpx.post(f"{am.url}/api/v2/alerts", json=[alert], timeout=5)
    assert posted.status_code == 200, posted.text

    incident = wait_for(f"an incident for {ALERTNAME}", lambda: wr.incident_titled(ALERTNAME),
                        timeout=20, on_timeout=diagnostics)
    assert incident["severity"] == "SEV1", incident
    assert incident["status"] != "resolved", incident

    # warroom stored the alert under the fingerprint Alertmanager computed.
    theirs = httpx.get(f"{am.url}/api/v2/alerts", timeout=5).json()
    assert len(theirs) == 1, theirs
    ours = wr.alerts(filter=f'alertname="{ALERTNAME}"')
    assert [a["fingerprint"] for a in ours] == [theirs[0]["fingerprint"]], ours
    assert ours[0]["labels"] == labels

    # Resolve it at Alertmanager: endsAt now → a resolved notification (send_resolved).
    alert["endsAt"] = _rfc3339(datetime.now(UTC))
    posted = httpx.post(f"{am.url}/api/v2/alerts", json=[alert], timeout=5)
    assert posted.status_code == 200, posted.text

    def resolved() -> dict[str, Any] | None:
        r = httpx.get(f"{wr.url}/api/v1/incidents/{incident['id']}", headers=wr.headers,
                      timeout=5)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body if body["status"] == "resolved" else None

    done = wait_for("the incident to auto-resolve", resolved, timeout=20,
                    on_timeout=diagnostics)
    assert done["resolved_at"] is not None
    assert wr.alerts(filter=f'alertname="{ALERTNAME}"') == []

    # Every notification Alertmanager sent was accepted (no failed webhook attempts).
    metrics = httpx.get(f"{am.url}/metrics", timeout=5).text
    failed = [line for line in metrics.splitlines()
              if line.startswith("alertmanager_notifications_failed_total")
              and 'integration="webhook"' in line]
    assert failed and all(line.endswith(" 0") for line in failed), failed
    sent = [line for line in metrics.splitlines()
            if line.startswith("alertmanager_notifications_total")
            and 'integration="webhook"' in line]
    assert sent and int(float(sent[0].rsplit(" ", 1)[1])) >= 2, sent
