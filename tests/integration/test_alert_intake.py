"""Alerts accepted under load (`alerts.intake`): answered once journaled, processed right
after in one batch, each row processed exactly once, and what a stopped process
accepted is processed by the next writer that starts. On both databases."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from tests.integration.test_alert_writer import Gate
from warroom.alerts import intake as intakes
from warroom.alerts import writer as writer_module
from warroom.alerts.context import PipelineConfig
from warroom.alerts.formats import require_format
from warroom.alerts.intake import Intake
from warroom.alerts.models import Alert, AlertIntake
from warroom.alerts.service import Outcome
from warroom.alerts.writer import AlertWriter, Submission
from warroom.clock import utcnow
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.incidents.models import Incident
from warroom.incidents.service import SeverityPolicy
from warroom.integrations.models import Integration
from warroom.observability.metrics import Metrics
from warroom.testing.intake import intake_processed

pytestmark = pytest.mark.db


def make_writer(db: Database, metrics: Metrics | None = None) -> AlertWriter:
    config = parse_config("")
    cfg = PipelineConfig.from_config(config, SeverityPolicy.from_config(config))
    w = AlertWriter(db, lambda: cfg, metrics)
    w.threads = 1  # keeps "taken together" deterministic on PostgreSQL too
    return w


@pytest.fixture
def integration(db: Database, make_integration: Callable[..., str]) -> Integration:
    make_integration("alertmanager")
    with db.reading() as session:
        found = session.scalars(select(Integration)).one()
        session.expunge(found)
        return found


@pytest.fixture
def slow_processing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Accepted requests wait a minute before processing unless the writer stops."""
    monkeypatch.setattr(writer_module, "PROCESS_AFTER_SECONDS", 60.0)


def body_of(*names: str) -> bytes:
    return json.dumps([{"labels": {"alertname": "DiskFull", "i": n}} for n in names]).encode()


def submission(integration: Integration, name: str, processed: list[Outcome]) -> Submission:
    now = utcnow()
    body = body_of(name)
    alerts = require_format("alertmanager").parse(
        orjson.loads(body), now=now, options=intakes.parse_options(integration)).alerts
    intake = Intake(integration.id, "alertmanager", body,
                    lambda result: processed.append(result))  # type: ignore[arg-type]
    return Submission(intakes.sender_of(integration), alerts, now, intake=intake)


def stored(db: Database) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(Alert.labels["i"].as_string())))


def intake_rows(db: Database) -> list[AlertIntake]:
    with db.reading() as session:
        rows = list(session.scalars(select(AlertIntake).order_by(AlertIntake.received_at,
                                                                  AlertIntake.id)))
        session.expunge_all()
        return rows


@pytest.fixture
def writer(db: Database) -> Iterator[AlertWriter]:
    w = make_writer(db)
    yield w
    w.close()


def test_requests_taken_together_are_answered_once_journaled_then_processed(
        writer: AlertWriter, db: Database, integration: Integration,
        slow_processing: None) -> None:
    processed: list[Outcome] = []
    gate = Gate()
    gate.hold(writer)
    names = [f"n{n}" for n in range(writer_module.JOURNAL_FROM_REQUESTS)]
    futures = [writer.submit(submission(integration, n, processed)) for n in names]
    gate.release.set()

    assert all(f.result(10).received == 1 for f in futures)
    # Answered, on disk, not processed yet.
    rows = intake_rows(db)
    assert [orjson.loads(r.body)[0]["labels"]["i"] for r in rows] == names
    assert all(r.integration_id == integration.id and r.alert_count == 1 for r in rows)
    assert stored(db) == set() and processed == []

    writer.close()  # processes what it accepted before it stops
    assert stored(db) == set(names)
    assert intake_rows(db) == []
    assert sorted((o.received, o.new) for o in processed) == [(1, 1)] * len(names)
    with db.reading() as session:
        assert len(session.scalars(select(Incident)).all()) == 1  # one DiskFull incident


def test_a_large_request_is_written_at_once_with_the_accepted_ones_before_it(
        writer: AlertWriter, db: Database, integration: Integration,
        slow_processing: None) -> None:
    processed: list[Outcome] = []
    gate = Gate()
    gate.hold(writer)
    small = [writer.submit(submission(integration, n, processed)) for n in ("s1", "s2")]
    gate.release.set()
    assert all(f.result(10) for f in small)
    assert len(intake_rows(db)) == 2 and stored(db) == set()  # accepted, waiting

    names = [f"big{n}" for n in range(writer_module.JOURNAL_BELOW_ALERTS)]
    large = submission(integration, "unused", processed)
    large.alerts = [a for n in names
                    for a in submission(integration, n, processed).alerts]
    outcome = writer.write(large)  # enough alerts for a transaction of its own
    assert (outcome.received, outcome.new) == (len(names), len(names))
    # ...which also took the two accepted before it: nothing is left waiting
    assert stored(db) == {"s1", "s2", *names}
    assert intake_rows(db) == []
    assert len(processed) == 3


def test_a_lone_request_is_processed_before_it_is_answered(
        writer: AlertWriter, db: Database, integration: Integration,
        slow_processing: None) -> None:
    processed: list[Outcome] = []
    outcome = writer.write(submission(integration, "alone", processed))
    assert (outcome.received, outcome.new) == (1, 1)
    assert stored(db) == {"alone"} and intake_rows(db) == []
    assert processed == [outcome]


def test_a_row_another_writer_processed_first_is_skipped(
        writer: AlertWriter, db: Database, integration: Integration,
        slow_processing: None) -> None:
    processed: list[Outcome] = []
    gate = Gate()
    gate.hold(writer)
    names = [f"m{n}" for n in range(writer_module.JOURNAL_FROM_REQUESTS)]
    futures = [writer.submit(submission(integration, n, processed)) for n in names]
    gate.release.set()
    assert all(f.result(10) for f in futures)
    taken = intake_rows(db)[0].id
    with db.transaction() as session:  # another writer's sweep got there first
        assert intakes.claim(session, [taken]) == {taken}
    with db.transaction() as session:
        assert intakes.claim(session, [taken]) == set()  # and only once

    writer.close()
    assert stored(db) == set(names[1:])
    assert len(processed) == len(names) - 1
    assert intake_rows(db) == []


def journal_rows(db: Database, integration_id: uuid.UUID | None, bodies: list[bytes],
                 received_at: datetime) -> list[int]:
    """Rows as a process that stopped before processing them would have left them."""
    made = [Intake(integration_id, "alertmanager", b) for b in bodies]  # type: ignore[arg-type]
    with db.transaction() as session:
        intakes.journal(session, made, [10] * len(made), [received_at] * len(made))
    return [i.id for i in made]  # type: ignore[misc]


def test_what_a_stopped_process_accepted_is_processed_when_a_writer_starts(
        db: Database, integration: Integration) -> None:
    metrics = Metrics(db)
    received = utcnow() - timedelta(seconds=5)
    good, broken = journal_rows(db, integration.id, [body_of("left", "behind"), b"[{"],
                                received)
    assert intake_gauges(metrics) == (2, 0)
    writer = make_writer(db, metrics)
    try:
        writer.start()  # nothing submitted: the first sweep finds the rows
        intake_processed(db)  # all but the broken row, which stays, marked failed
        assert stored(db) == {"left", "behind"}
        rows = intake_rows(db)
        assert [r.id for r in rows] == [broken]
        assert rows[0].failed_at is not None and "JSONDecodeError" in (rows[0].error or "")
        assert intake_gauges(metrics) == (0, 1)
        with db.reading() as session:
            first_seen = session.scalars(select(Alert.first_seen_at)).all()
        assert all(abs((t - received).total_seconds()) < 1 for t in first_seen)
        new = metrics.registry.get_sample_value(
            "warroom_alerts_new_total", {"format": "alertmanager"})
        assert new == 2
    finally:
        writer.close()
    assert good not in [r.id for r in intake_rows(db)]


def intake_gauges(metrics: Metrics) -> tuple[float | None, float | None]:
    """(waiting, failed) as /metrics shows them."""
    return tuple(metrics.registry.get_sample_value(  # type: ignore[return-value]
        "warroom_alert_intake_requests", {"state": state}) for state in ("waiting", "failed"))


def test_rows_of_a_deleted_integration_are_still_processed(db: Database,
                                                           integration: Integration) -> None:
    journal_rows(db, integration.id, [body_of("orphaned")], utcnow() - timedelta(seconds=5))
    with db.transaction() as session:
        session.delete(session.get(Integration, integration.id))
    assert intake_rows(db)[0].integration_id is None
    writer = make_writer(db)
    try:
        writer.start()
        intake_processed(db)
    finally:
        writer.close()
    assert stored(db) == {"orphaned"}


def test_the_sweep_leaves_rows_younger_than_orphan_after_and_held_ones(
        db: Database, integration: Integration) -> None:
    now = utcnow()
    old, young = (journal_rows(db, integration.id, [body_of(n)], at)[0]
                  for n, at in (("old", now - timedelta(minutes=5)), ("young", now)))
    held = journal_rows(db, integration.id, [body_of("held")], now - timedelta(minutes=5))[0]
    with db.reading() as session:
        found = intakes.orphans(session, received_before=now - timedelta(seconds=30),
                                excluding={held}, limit=10)
    assert [r.id for r in found] == [old]  # not `young`, not `held`
