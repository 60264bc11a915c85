"""The alert writer on a real database: requests waiting together are committed in one
transaction, each gets its own answer, and a request that cannot be stored fails alone.

The writer is held busy by a first request that waits on an event, so the requests
queued meanwhile are taken together, deterministically.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from warroom.alerts.context import PipelineConfig
from warroom.alerts.fingerprint import alertmanager_fingerprint
from warroom.alerts.model import AlertStatus, IncomingAlert, make_alert
from warroom.alerts.models import Alert
from warroom.alerts.service import Outcome, Sender
from warroom.alerts.writer import AlertWriter, Submission
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.incidents.models import Incident
from warroom.incidents.service import SeverityPolicy
from warroom.observability.metrics import Metrics

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SENDER = Sender("integration:prometheus")


def alert(alertname: str, **labels: str) -> IncomingAlert:
    labels = {"alertname": alertname, **labels}
    return make_alert(labels=labels, annotations={}, fingerprint=alertmanager_fingerprint(labels),
                      status=AlertStatus.FIRING, starts_at=T0, ends_at=None,
                      generator_url=None, source_format="alertmanager_webhook",
                      dedup_key=None, summary=alertname, severity_hint=None, raw={})


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def writer(db: Database, metrics: Metrics) -> Iterator[AlertWriter]:
    config = parse_config("")
    cfg = PipelineConfig.from_config(config, SeverityPolicy.from_config(config))
    w = AlertWriter(db, lambda: cfg, metrics)
    w.threads = 1  # PostgreSQL runs two; one keeps "taken together" deterministic here
    yield w
    w.close()


class Gate:
    """A request that keeps the writer busy until released."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def work(self, _session: object) -> Outcome:
        self.entered.set()
        assert self.release.wait(10)
        return Outcome()

    def hold(self, writer: AlertWriter) -> None:
        writer.submit(Submission(SENDER, [], T0, work=self.work))
        assert self.entered.wait(10)


def stored(db: Database) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(Alert.labels["i"].as_string())))


def batches(metrics: Metrics) -> tuple[float, float]:
    """(transactions, requests) the writer has recorded."""
    count = metrics.registry.get_sample_value("warroom_ingest_batch_requests_count")
    total = metrics.registry.get_sample_value("warroom_ingest_batch_requests_sum")
    return count or 0.0, total or 0.0


def test_waiting_requests_share_one_transaction_and_each_gets_its_own_answer(
    writer: AlertWriter, db: Database, metrics: Metrics,
) -> None:
    gate = Gate()
    gate.hold(writer)
    first = writer.submit(Submission(SENDER, [alert("DiskFull", i="a"), alert("DiskFull", i="b")],
                                     T0))
    second = writer.submit(Submission(SENDER, [alert("DiskFull", i="a"), alert("CpuHigh", i="c")],
                                      T0))
    others = [writer.submit(Submission(SENDER, [alert("CpuHigh", i=f"n{n}")], T0))
              for n in range(20)]
    gate.release.set()
    a, b = first.result(10), second.result(10)
    rest = [f.result(10) for f in others]

    assert batches(metrics) == (2, 23)  # the gate alone, then all 22 waiting requests
    assert stored(db) == {"a", "b", "c", *(f"n{n}" for n in range(20))}
    assert (a.received, a.new) == (2, 2) and (b.received, b.new) == (2, 2)
    assert all((r.received, r.new) == (1, 1) for r in rest)
    # Each request hears about the incidents its own alerts opened or joined (by
    # fingerprint: "a" is in both of the first two), not about the others'.
    disk, cpu = incident_of(db, "a"), incident_of(db, "c")
    assert disk != cpu
    assert a.incidents_touched == {disk} and b.incidents_touched == {disk, cpu}
    assert all(r.incidents_touched == {cpu} for r in rest)
    answers = [a, b, *rest]
    assert all(set(r.incidents_opened) <= r.incidents_touched for r in answers)
    assert {ref for r in answers for ref in r.incidents_opened} == {disk, cpu}


def incident_of(db: Database, ident: str) -> str:
    with db.reading() as session:
        row = session.scalar(select(Alert).where(Alert.labels["i"].as_string() == ident))
        assert row is not None and row.incident_id is not None
        number = session.scalar(select(Incident.number).where(Incident.id == row.incident_id))
    return f"INC-{number}"


def test_a_request_that_cannot_be_stored_fails_alone(
    writer: AlertWriter, db: Database, metrics: Metrics,
) -> None:
    def broken(_session: object) -> Outcome:
        raise ValueError("this request cannot be stored")

    gate = Gate()
    gate.hold(writer)
    before = writer.submit(Submission(SENDER, [alert("DiskFull", i="kept-1")], T0))
    bad = writer.submit(Submission(SENDER, [alert("DiskFull", i="lost")], T0, work=broken))
    after = writer.submit(Submission(SENDER, [alert("DiskFull", i="kept-2")], T0))
    gate.release.set()

    assert before.result(10).new == 1 and after.result(10).new == 1
    with pytest.raises(ValueError, match="cannot be stored"):
        bad.result(10)
    assert stored(db) == {"kept-1", "kept-2"}
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 2


def test_close_finishes_what_is_queued(writer: AlertWriter, db: Database) -> None:
    gate = Gate()
    gate.hold(writer)
    queued = [writer.submit(Submission(SENDER, [alert("DiskFull", i=f"q{n}")], T0))
              for n in range(5)]
    gate.release.set()
    writer.close()
    assert all(f.done() and f.exception() is None for f in queued)
    assert stored(db) == {f"q{n}" for n in range(5)}
