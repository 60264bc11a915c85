"""A writer with more alerts waiting than it takes on refuses new ingest requests with a
retryable 429 (Retry-After), stores nothing of them, and accepts them again once the
queue drains. The writer is held busy by a request that waits on an event."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi.testclient import TestClient

from tests.api.test_metrics import scrape
from warroom.alerts.model import AlertStatus, make_alert
from warroom.alerts.service import Outcome, Sender
from warroom.alerts.writer import Submission

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _waiting_alert() -> Any:
    labels = {"alertname": "Queued"}
    return make_alert(labels=labels, annotations={}, fingerprint="00000000000000aa",
                      status=AlertStatus.FIRING, starts_at=T0, ends_at=None,
                      generator_url=None, source_format="alertmanager_webhook",
                      dedup_key=None, summary="Queued", severity_hint=None, raw={})


def _hold(writer: Any) -> threading.Event:
    """Keep every writer thread busy with a request until the returned event is set, so
    what is submitted meanwhile waits in its queue (PostgreSQL runs two threads: each
    request is submitted once the one before is taken, so each holds its own thread)."""
    release = threading.Event()
    for _ in range(writer.threads):
        entered = threading.Event()

        def busy(_session: object, entered: threading.Event = entered) -> Outcome:
            entered.set()
            assert release.wait(10)
            return Outcome()

        writer.submit(Submission(Sender("test"), [], T0, work=busy))
        assert entered.wait(10)
    return release


def test_a_full_writer_refuses_with_429_and_stores_nothing_until_it_drains(
    client: TestClient, make_integration: Callable[..., str], auth_headers: dict[str, str],
) -> None:
    am_key, pd_key = make_integration("alertmanager"), make_integration("pagerduty")
    writer = client.app.state.warroom.writer  # type: ignore[attr-defined]
    release = _hold(writer)
    queued = writer.submit(Submission(Sender("test"), [_waiting_alert()], T0))
    writer.max_queued_alerts = 1  # one alert is waiting: the next request is one too many

    am = client.post("/api/v2/alerts", headers={"Authorization": f"Bearer {am_key}"},
                     json=[{"labels": {"alertname": "Refused"}}])
    assert am.status_code == 429 and am.headers["retry-after"] == "1"
    assert "retry later" in am.json()
    hook = client.post("/api/v1/ingest/alertmanager",
                       headers={"Authorization": f"Bearer {am_key}"},
                       json={"version": "4", "status": "firing", "receiver": "w",
                             "alerts": [{"status": "firing", "labels": {"alertname": "Refused"},
                                         "startsAt": "2026-03-02T12:00:00Z"}]})
    assert hook.status_code == 429 and hook.json()["error"] == "overloaded"
    trigger = {"routing_key": pd_key, "event_action": "trigger", "dedup_key": "db-down",
               "payload": {"summary": "db down", "source": "db1", "severity": "critical"}}
    pd = client.post("/v2/enqueue", json=trigger)
    assert pd.status_code == 429 and pd.headers["retry-after"] == "1"
    assert pd.json()["status"] == "throttle event"

    release.set()
    queued.result(10)
    stored = client.get("/api/v1/alerts", headers=auth_headers).json()["items"]
    assert [a["labels"]["alertname"] for a in stored] == ["Queued"]

    again = client.post("/v2/enqueue", json=trigger)  # the queue drained: accepted
    assert again.status_code == 202 and again.json()["dedup_key"] == "db-down"


def _gauge(client: TestClient, name: str) -> float:
    return scrape(client)[(name, ())]


def test_metrics_show_the_alerts_waiting_to_be_written_and_the_limit(
    client: TestClient,
) -> None:
    writer = client.app.state.warroom.writer  # type: ignore[attr-defined]
    release = _hold(writer)
    assert _gauge(client, "warroom_ingest_queued_alerts") == 0
    queued = writer.submit(Submission(Sender("test"), [_waiting_alert()] * 3, T0))
    assert _gauge(client, "warroom_ingest_queued_alerts") == 3
    writer.max_queued_alerts = 40
    assert _gauge(client, "warroom_ingest_queue_limit_alerts") == 40

    release.set()
    queued.result(10)
    assert _gauge(client, "warroom_ingest_queued_alerts") == 0
