"""Bursts decided ahead of their due instant (`fire.prepare`), on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from tests.integration.write_turn import held_by_another_writer
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.escalation import fire as firing
from warroom.escalation import service as escalation
from warroom.escalation.models import Timer
from warroom.escalation.setup import attach
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Action
from warroom.incidents.schemas import IncidentCreate
from warroom.notify.models import Delivery
from warroom.timeline import service as timeline

CONFIG = """
people:
  - {id: alice, name: Alice, email: alice@example.com}
  - {id: bob, name: Bob, email: bob@example.com}
channels:
  - {id: mail, type: email, host: 127.0.0.1, port: 2525, from: warroom@example.com}
escalation_policies:
  - id: checkout
    levels:
      - {delay: 1m, notify: ["person:alice"], via: [mail]}
      - {delay: 5m, notify: ["person:bob"], via: [mail]}
services:
  - {id: checkout, escalation_policy: checkout}
"""
T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)
DUE = T0 + timedelta(minutes=1)


@pytest.fixture
def setup(db: Database) -> escalation.EscalationSetup:
    return attach(db, parse_config(CONFIG))


def declare(db: Database, n: int) -> list[str]:
    with db.transaction() as session:
        return [str(incidents.declare(session, IncidentCreate(
            title=f"checkout down {i}", severity="SEV3", service="checkout"),
            actor="t", now=T0).id) for i in range(n)]


def prepare(db: Database, setup: escalation.EscalationSetup, **kw) -> firing.Prepared | None:
    with db.reading(bulk=True) as session:
        return firing.prepare(session, setup, DUE, **kw)


def fire(db: Database, setup: escalation.EscalationSetup, now: datetime,
         prepared: firing.Prepared | None) -> firing.FireReport:
    with db.transaction(bulk=True) as session:
        return firing.fire_due(session, setup, now, prepared=prepared)


def paged(db: Database) -> list[tuple[str, str, datetime]]:
    with db.reading() as session:
        return [(str(d.incident_id), d.person_id, d.created_at) for d in session.scalars(
            select(Delivery).order_by(Delivery.id))]


def test_a_prepared_burst_is_written_at_its_due_instant_stamped_when_written(db, setup) -> None:
    if not db.is_sqlite:
        assert prepare(db, setup) is None  # workers share bursts there: decided when due
        return
    refs = declare(db, 5)
    prepared = prepare(db, setup, limit=2)  # two batches of two: the fifth is left
    assert prepared is not None and len(prepared) == 4 and len(prepared.chunks) == 2
    late = DUE + timedelta(milliseconds=40)
    reports = [fire(db, setup, late, prepared) for _ in range(3)]  # the third claims it
    assert [r.fired for r in reports] == [2, 2, 1] and not prepared.chunks
    assert all(r.now == late and r.lags == [0.04] * r.fired for r in reports)
    assert sorted(paged(db)) == sorted((ref, "alice", late) for ref in refs)
    with db.reading() as session:
        timers = session.scalars(select(Timer).where(Timer.kind == "escalation")).all()
        assert {(t.status, t.due_at, t.fired_at) for t in timers} == {
            ("pending", DUE + timedelta(minutes=5), late)}
        inc = incidents.require_incident(session, refs[0])
        entry = next(e for e in timeline.entries(session, inc.id)
                     if e.kind == "escalation.level_notified")
        assert entry.at == late and entry.details["due_at"] == DUE.isoformat()
    assert fire(db, setup, late, prepared).fired == 0  # nothing left, nothing twice


def test_nothing_prepared_is_written_before_its_due_instant(db, setup) -> None:
    if not db.is_sqlite:
        pytest.skip("bursts are decided ahead on SQLite")
    declare(db, 2)
    prepared = prepare(db, setup)
    assert prepared is not None
    report = fire(db, setup, DUE - timedelta(milliseconds=1), prepared)
    assert report.fired == 0 and paged(db) == [] and len(prepared) == 2
    assert fire(db, setup, DUE, prepared).fired == 2 and len(paged(db)) == 2


def test_a_change_after_preparing_is_seen_when_the_burst_fires(db, setup) -> None:
    if not db.is_sqlite:
        pytest.skip("bursts are decided ahead on SQLite")
    acked, other = declare(db, 2)
    prepared = prepare(db, setup)
    assert prepared is not None and len(prepared) == 2
    with db.transaction() as session:  # committed by another connection: data_version moves
        inc = incidents.require_incident(session, acked, for_update=True)
        incidents.act(session, inc, Action.ACKNOWLEDGE, actor="alice", now=T0)
    report = fire(db, setup, DUE, prepared)
    assert report.fired == 1 and not prepared.chunks  # decided anew, from what is stored
    assert [ref for ref, _, _ in paged(db)] == [other]


def test_an_unrelated_write_does_not_waste_what_was_prepared(db, setup) -> None:
    # Another connection's commit moves data_version; the claim read again is the same,
    # so the prepared batch is written as it was decided.
    if not db.is_sqlite:
        pytest.skip("bursts are decided ahead on SQLite")
    refs = declare(db, 3)
    prepared = prepare(db, setup)
    assert prepared is not None
    chunk = prepared.chunks[0]
    with db.transaction() as session:
        incidents.declare(session, IncidentCreate(title="elsewhere", severity="SEV3"),
                          actor="t", now=T0)
    report = fire(db, setup, DUE, prepared)
    assert report is chunk.report and report.fired == 3
    assert sorted(ref for ref, _, _ in paged(db)) == sorted(refs)


def test_a_prepared_batch_larger_than_a_live_one_is_compared_whole(db, setup) -> None:
    # Prepared batches hold more timers than a live claim takes (PREPARED_BATCH > BATCH):
    # after an unrelated write, the claim read again must be as long as the batch.
    if not db.is_sqlite:
        pytest.skip("bursts are decided ahead on SQLite")
    refs = declare(db, 4)
    prepared = prepare(db, setup, limit=3)
    assert prepared is not None and [len(c.timers) for c in prepared.chunks] == [3, 1]
    chunk = prepared.chunks[0]
    with db.transaction() as session:
        incidents.declare(session, IncidentCreate(title="elsewhere", severity="SEV3"),
                          actor="t", now=T0)
    with db.transaction(bulk=True) as session:
        report = firing.fire_due(session, setup, DUE, limit=2, prepared=prepared)
    assert report is chunk.report and report.fired == 3
    assert fire(db, setup, DUE, prepared).fired == 1
    assert sorted(ref for ref, _, _ in paged(db)) == sorted(refs)


def test_a_previous_preparation_is_kept_while_nothing_changed(db, setup) -> None:
    if not db.is_sqlite:
        pytest.skip("bursts are decided ahead on SQLite")
    declare(db, 2)
    first = prepare(db, setup)
    assert prepare(db, setup, previous=first) is first
    declare(db, 1)
    again = prepare(db, setup, previous=first)
    assert again is not first and again is not None and len(again) == 3


def test_the_timers_job_prepares_the_next_burst_and_writes_it_when_due(db) -> None:
    import time

    from warroom.clock import utcnow
    from warroom.engine.jobs import TimerFiring

    if not db.is_sqlite:
        pytest.skip("bursts are decided ahead on SQLite")
    setup = attach(db, parse_config(CONFIG.replace("delay: 1m", "delay: 1s")))
    now = utcnow()
    with db.transaction() as session:
        for i in range(3):
            incidents.declare(session, IncidentCreate(title=f"down {i}", severity="SEV3",
                                                      service="checkout"), actor="t", now=now)
    firing = TimerFiring(db, setup, checkpointed=True)
    assert firing.run() == 0  # nothing due yet: the burst due in 1 s is decided now
    assert firing.prepared is not None and len(firing.prepared) == 3
    chunk = firing.prepared.chunks[0]
    time.sleep(max(0.0, (now + timedelta(seconds=1) - utcnow()).total_seconds()) + 0.01)
    assert firing.run() == 3 and firing.prepared is None
    assert chunk.report.fired == 3 and len(paged(db)) == 3


def test_a_poll_with_nothing_due_does_not_take_the_write_turn(
        db: Database, setup: escalation.EscalationSetup) -> None:
    """The timers job polls 20 times a second; with nothing due it only reads, so it
    never makes the alert writer wait for SQLite's write turn."""
    import threading

    from warroom.clock import utcnow
    from warroom.engine.jobs import fire_until_idle

    with db.transaction() as session:  # their first steps fall due in a minute, not now
        for i in range(2):
            incidents.declare(session, IncidentCreate(title=f"down {i}", severity="SEV3",
                                                      service="checkout"), actor="t",
                              now=utcnow())
    with held_by_another_writer(db):
        polled = threading.Thread(target=lambda: fire_until_idle(db, setup))
        polled.start()
        polled.join(5)
        assert not polled.is_alive()  # answered while the other writer holds the turn
    with db.transaction() as session:  # due now: the next poll does take the turn and fire
        made_due = session.execute(Timer.__table__.update().values(
            due_at=utcnow() - timedelta(seconds=1))).rowcount
    assert made_due >= 2 and fire_until_idle(db, setup) == made_due


@pytest.mark.parametrize("checkpointed", [False, True])
def test_an_idle_round_of_the_timers_job_reads_the_next_due_instant_once(
        db: Database, setup: escalation.EscalationSetup, checkpointed: bool) -> None:
    """The job polls 20 times a second; a round with nothing due (its run and the pause
    it asks for) costs one read, and the pause still follows the earliest timer."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from warroom.clock import utcnow
    from warroom.engine.jobs import TimerFiring

    if checkpointed and not db.is_sqlite:
        pytest.skip("the bulk connection is SQLite's")
    with db.transaction() as session:  # first step due in a minute
        incidents.declare(session, IncidentCreate(title="down", severity="SEV3",
                                                  service="checkout"), actor="t", now=utcnow())
    statements: list[str] = []

    def seen(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if "timers" in statement:
            statements.append(statement)

    event.listen(Engine, "before_cursor_execute", seen)
    try:
        job = TimerFiring(db, setup, checkpointed=checkpointed)
        assert job.run() == 0
        pause = job.seconds_to_next(0.05)
        assert 0.002 <= pause <= 0.05
        assert job.seconds_to_next(120.0) > 50  # the minute's timer, from the same read
    finally:
        event.remove(Engine, "before_cursor_execute", seen)
    assert len(statements) == 1, statements
