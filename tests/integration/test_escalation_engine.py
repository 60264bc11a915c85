"""The escalation engine on a real database, with the clock passed in explicitly."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.escalation import fire as firing
from warroom.escalation import service as escalation
from warroom.escalation.models import Escalation, Timer
from warroom.escalation.setup import attach
from warroom.incidents import service as incidents
from warroom.incidents.lifecycle import Action
from warroom.incidents.roles import ResponseRole
from warroom.incidents.schemas import IncidentCreate, IncidentPatch
from warroom.notify import service as notify
from warroom.notify.models import Delivery
from warroom.timeline import service as timeline

CONFIG = """
people:
  - {id: alice, name: Alice, email: alice@example.com}
  - {id: bob, name: Bob, email: bob@example.com}
  - {id: dana, name: Dana Director, email: dana@example.com}
  - {id: sec, name: Security, email: sec@example.com}
schedules:
  - {id: primary, timezone: UTC, rotation: {type: weekly, handoff: "monday 09:00", members: [alice, bob]}}
channels:
  - {id: mail, type: email, host: 127.0.0.1, port: 2525, from: warroom@example.com, fallback: hook}
  - {id: hook, type: webhook, url: "http://127.0.0.1:9/hook"}
escalation_policies:
  - id: checkout
    repeat: 1
    repeat_delay: 10m
    levels:
      - {delay: 0s, notify: ["schedule:primary"], via: [mail]}
      - {delay: 5m, notify: ["person:bob"], via: [mail]}
    conditions:
      - {id: director, when: 'incident.severity == "SEV1" && minutes_open >= 60.0', notify: ["person:dana"], via: [mail]}
      - {id: breach, when: 'incident.data_loss', notify: ["person:sec"], via: [mail]}
services:
  - {id: checkout, escalation_policy: checkout}
"""
# 2026-11-16 is a Monday; from 09:00 UTC that week alice holds the primary shift (bob the next).
T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


@pytest.fixture
def setup(db: Database) -> escalation.EscalationSetup:
    return attach(db, parse_config(CONFIG))


def declare(db: Database, severity: str = "SEV1", service: str = "checkout",
            now: datetime = T0) -> str:
    with db.transaction() as session:
        inc = incidents.declare(session, IncidentCreate(title="checkout down", severity=severity,
                                                        service=service), actor="t", now=now)
        return str(inc.id)


def fire(db: Database, setup: escalation.EscalationSetup, now: datetime) -> firing.FireReport:
    with db.transaction() as session:
        return firing.fire_due(session, setup, now)


def pages(db: Database, ref: str) -> list[tuple[str, str, int | None]]:
    with db.reading() as session:
        inc = incidents.require_incident(session, ref)
        rows = session.scalars(select(Delivery).where(Delivery.incident_id == inc.id)
                               .order_by(Delivery.id))
        return [(r.person_id, r.kind, r.level) for r in rows]


def act(db: Database, ref: str, action: Action, now: datetime) -> None:
    with db.transaction() as session:
        inc = incidents.require_incident(session, ref, for_update=True)
        incidents.act(session, inc, action, actor="alice", now=now)


def kinds(db: Database, ref: str) -> list[str]:
    with db.reading() as session:
        inc = incidents.require_incident(session, ref)
        return [e.kind for e in timeline.entries(session, inc.id)]


def test_primary_paged_at_once_and_secondary_only_after_the_delay(db, setup) -> None:
    ref = declare(db)
    assert pages(db, ref) == []  # nothing is sent from inside the declaring request
    fire(db, setup, T0)
    assert pages(db, ref) == [("alice", "page", 0)]
    fire(db, setup, T0 + timedelta(minutes=4, seconds=59))
    assert pages(db, ref) == [("alice", "page", 0)]
    report = fire(db, setup, T0 + timedelta(minutes=5))
    assert report.fired == 1 and report.lags == [0.0]
    assert pages(db, ref) == [("alice", "page", 0), ("bob", "escalation", 1)]
    assert "escalation.started" in kinds(db, ref)
    assert kinds(db, ref).count("escalation.level_notified") == 2


def test_acknowledging_stops_the_escalation(db, setup) -> None:
    ref = declare(db)
    fire(db, setup, T0)
    act(db, ref, Action.ACKNOWLEDGE, T0 + timedelta(minutes=2))
    fire(db, setup, T0 + timedelta(hours=2))
    # No further level is paged; only the management condition (open > 60 min) still fires.
    assert [p for p in pages(db, ref) if p[2] is not None] == [("alice", "page", 0)]
    with db.reading() as session:
        state = session.get(Escalation, incidents.require_incident(session, ref).id)
        assert state is not None and state.status == "acknowledged"
    assert "escalation.stopped" in kinds(db, ref)


def test_repeat_runs_the_policy_again_then_stops(db, setup) -> None:
    ref = declare(db, severity="SEV2")
    for minutes in (0, 5, 15, 20, 60, 120):
        fire(db, setup, T0 + timedelta(minutes=minutes))
    assert pages(db, ref) == [("alice", "page", 0), ("bob", "escalation", 1),
                              ("alice", "escalation", 0), ("bob", "escalation", 1)]


def test_resolving_cancels_every_pending_timer(db, setup) -> None:
    ref = declare(db)
    act(db, ref, Action.RESOLVE, T0 + timedelta(seconds=1))
    with db.reading() as session:
        inc = incidents.require_incident(session, ref)
        pending = session.scalars(select(Timer).where(Timer.incident_id == inc.id,
                                                      Timer.status == "pending")).all()
    assert pending == []
    fire(db, setup, T0 + timedelta(hours=3))
    assert pages(db, ref) == []


def test_reopen_restarts_from_the_first_level(db, setup) -> None:
    ref = declare(db)
    fire(db, setup, T0)
    act(db, ref, Action.RESOLVE, T0 + timedelta(minutes=1))
    act(db, ref, Action.REOPEN, T0 + timedelta(minutes=2))
    fire(db, setup, T0 + timedelta(minutes=2))
    assert [p[:2] for p in pages(db, ref)] == [("alice", "page"), ("alice", "page")]


def escalate_by_hand(db: Database, setup, ref: str, level: int | None,
                     now: datetime) -> int:
    """Alice asks for `level` (None: the level after the last one paged); the level."""
    with db.transaction() as session:
        inc = incidents.require_incident(session, ref, for_update=True)
        return escalation.escalate(session, setup, inc, level, actor="alice", now=now)


def test_manual_escalation_to_a_chosen_level(db, setup) -> None:
    ref = declare(db)
    fire(db, setup, T0)
    act(db, ref, Action.ACKNOWLEDGE, T0 + timedelta(minutes=1))
    assert escalate_by_hand(db, setup, ref, 1, T0 + timedelta(minutes=2)) == 1
    fire(db, setup, T0 + timedelta(minutes=2))
    assert pages(db, ref)[-1] == ("bob", "escalation", 1)
    assert "escalation.requested" in kinds(db, ref)


def where(db: Database, ref: str) -> tuple[int, int]:
    with db.reading() as session:
        state = session.get(Escalation, incidents.require_incident(session, ref).id)
        assert state is not None
        return escalation.position(session, state)


def test_the_position_is_the_step_paged_last_through_repeats_acks_and_restarts(
        db, setup) -> None:
    ref = declare(db, severity="SEV2")
    assert where(db, ref) == (-1, 0)
    fire(db, setup, T0)
    assert where(db, ref) == (0, 0)
    fire(db, setup, T0 + timedelta(minutes=5))
    assert where(db, ref) == (1, 0)
    fire(db, setup, T0 + timedelta(minutes=15))  # repeat: level 1 of cycle 1
    assert where(db, ref) == (0, 1)
    fire(db, setup, T0 + timedelta(minutes=20))  # the last step: the timer is done
    assert where(db, ref) == (1, 1)
    act(db, ref, Action.ACKNOWLEDGE, T0 + timedelta(minutes=21))
    assert where(db, ref) == (1, 1)  # acknowledging keeps what was paged
    act(db, ref, Action.RESOLVE, T0 + timedelta(minutes=22))
    act(db, ref, Action.REOPEN, T0 + timedelta(minutes=23))
    assert where(db, ref) == (-1, 0)  # a restart is a new run
    fire(db, setup, T0 + timedelta(minutes=23))
    assert where(db, ref) == (0, 0)


def test_escalating_by_hand_without_a_level_pages_the_level_after_the_last(db, setup) -> None:
    ref = declare(db)
    fire(db, setup, T0)
    act(db, ref, Action.ACKNOWLEDGE, T0 + timedelta(minutes=1))
    assert escalate_by_hand(db, setup, ref, None, T0 + timedelta(minutes=2)) == 1
    assert where(db, ref) == (0, 0)  # requested, not yet paged
    fire(db, setup, T0 + timedelta(minutes=2))
    assert pages(db, ref)[-1] == ("bob", "escalation", 1) and where(db, ref) == (1, 0)


def test_time_condition_pages_the_director_once(db, setup) -> None:
    ref = declare(db)
    act(db, ref, Action.ACKNOWLEDGE, T0 + timedelta(minutes=1))
    for minutes in (0, 30, 59, 61, 62, 90):
        fire(db, setup, T0 + timedelta(minutes=minutes))
    directors = [p for p in pages(db, ref) if p[0] == "dana"]
    assert directors == [("dana", "escalation", None)]
    assert kinds(db, ref).count("escalation.condition_met") == 1


def test_impact_condition_fires_in_the_same_transaction_as_the_change(db, setup) -> None:
    ref = declare(db, severity="SEV3")
    with db.transaction() as session:
        inc = incidents.require_incident(session, ref, for_update=True)
        incidents.update_incident(session, inc, IncidentPatch(impact={"data_loss": True}),
                                  actor="alice", now=T0 + timedelta(minutes=3))
    assert ("sec", "escalation", None) in pages(db, ref)


def test_update_reminders_go_to_the_incident_commander(db, setup) -> None:
    ref = declare(db)  # SEV1: update every 15 minutes
    with db.transaction() as session:
        inc = incidents.require_incident(session, ref, for_update=True)
        incidents.assign_role(session, inc, ResponseRole.INCIDENT_COMMANDER, "bob", actor="t",
                              now=T0)
    fire(db, setup, T0 + timedelta(minutes=14))
    assert [p for p in pages(db, ref) if p[1] == "reminder"] == []
    fire(db, setup, T0 + timedelta(minutes=15))
    assert [p for p in pages(db, ref) if p[1] == "reminder"] == [("bob", "reminder", None)]
    fire(db, setup, T0 + timedelta(minutes=30))
    assert len([p for p in pages(db, ref) if p[1] == "reminder"]) == 2
    assert "update.due" in kinds(db, ref)


def test_incident_without_policy_gets_no_escalation(db, setup) -> None:
    ref = declare(db, service="unknown-service")
    fire(db, setup, T0 + timedelta(minutes=10))
    assert [p for p in pages(db, ref) if p[1] != "reminder"] == []


def test_a_step_run_twice_pages_once(db, setup) -> None:
    ref = declare(db)
    fire(db, setup, T0)
    with db.transaction() as session:  # simulate a crash that re-queued a performed step
        inc = incidents.require_incident(session, ref)
        timer = session.scalars(select(Timer).where(Timer.incident_id == inc.id,
                                                    Timer.kind == "escalation")).one()
        timer.due_at, timer.payload = T0, {"level": 0, "cycle": 0}
    fire(db, setup, T0 + timedelta(seconds=1))
    assert pages(db, ref) == [("alice", "page", 0)]


def test_retry_backoff_dead_letter_and_fallback(db, setup) -> None:
    ref = declare(db)
    fire(db, setup, T0)
    rng = random.Random(7)
    now = T0
    for attempt in range(1, notify.MAX_ATTEMPTS + 1):
        with db.transaction() as session:
            claimed = notify.claim(session, now + timedelta(hours=attempt))
            assert [d.person_id for d in claimed] == ["alice"]
            row_id = claimed[0].id
        with db.transaction() as session:
            row = notify.record(session, row_id,
                                notify.Outcome(ok=False, retryable=True, detail="503",
                                               retry_after=3.0),
                                now + timedelta(hours=attempt), rng=rng,
                                fallbacks=setup.fallbacks, channel_types=setup.channels)
            assert row is not None
            if attempt < notify.MAX_ATTEMPTS:
                assert row.status == "pending"
                wait = (row.next_attempt_at - (now + timedelta(hours=attempt))).total_seconds()
                assert 3.0 <= wait <= notify.MAX_DELAY
            else:
                assert row.status == "dead"
    with db.reading() as session:
        inc = incidents.require_incident(session, ref)
        rows = session.scalars(select(Delivery).where(Delivery.incident_id == inc.id)
                               .order_by(Delivery.id)).all()
        assert [(r.channel_id, r.status) for r in rows] == [("mail", "dead"), ("hook", "pending")]
    found = kinds(db, ref)
    assert found.count("notification.failed") == notify.MAX_ATTEMPTS - 1
    assert "notification.dead_lettered" in found and "notification.fallback" in found


def test_backoff_grows_and_respects_retry_after() -> None:
    rng = random.Random(1)
    assert notify.backoff(1, None, rng) <= notify.BASE_DELAY
    assert notify.backoff(20, None, rng) <= notify.MAX_DELAY
    assert notify.backoff(1, 30.0, rng) >= 30.0


def test_a_batch_pages_every_incident_once_and_schedules_each_next_level(db, setup) -> None:
    refs = [declare(db) for _ in range(5)]
    act(db, refs[2], Action.ACKNOWLEDGE, T0)  # cancelled before it fell due: never paged
    batches = []
    while not batches or batches[-1].timer_ids:  # the escalation and condition-check timers
        with db.transaction() as session:
            batches.append(firing.fire_due(session, setup, T0, limit=3))
    assert [len(b.timer_ids) for b in batches] == [3, 3, 3, 0]
    for i, ref in enumerate(refs):
        assert pages(db, ref) == ([] if i == 2 else [("alice", "page", 0)])
    with db.reading() as session:
        nxt = session.scalars(select(Timer).where(Timer.kind == "escalation",
                                                  Timer.status == "pending")).all()
        assert sorted(t.due_at for t in nxt) == [T0 + timedelta(minutes=5)] * 4
        assert {t.payload["level"] for t in nxt} == {1}
        levels = {escalation.position(session, e) for e in session.scalars(select(Escalation))}
        assert levels == {(-1, 0), (0, 0)}  # the acknowledged one never reached level 0


def test_a_stale_timer_in_a_batch_is_marked_done_without_paging(db, setup) -> None:
    ref = declare(db)
    with db.transaction() as session:  # an acknowledgement raced the timer: old generation
        inc = incidents.require_incident(session, ref)
        session.get(Escalation, inc.id).generation += 1
    report = fire(db, setup, T0)
    assert report.stale == 1 and pages(db, ref) == []
    with db.reading() as session:
        inc = incidents.require_incident(session, ref)
        statuses = session.scalars(select(Timer.status).where(
            Timer.incident_id == inc.id, Timer.kind == "escalation")).all()
    assert statuses == ["done"]


def test_a_fired_level_reads_back_through_the_models_as_written(db, setup) -> None:
    # On SQLite the firing writes its rows with plain DB-API statements: the values must
    # be exactly what the ORM's column types would have stored (UUIDs, UTC times, JSON).
    ref = declare(db)
    fire(db, setup, T0 + timedelta(seconds=1))
    with db.reading() as session:
        inc = incidents.require_incident(session, ref)
        delivery = session.scalars(select(Delivery).where(Delivery.incident_id == inc.id)).one()
        assert delivery.idempotency_key == f"{inc.id}:g1:c0:l0:alice:mail"
        assert (delivery.created_at, delivery.next_attempt_at) == (T0 + timedelta(seconds=1),) * 2
        assert (delivery.status, delivery.attempts, delivery.level) == ("pending", 0, 0)
        entry = next(e for e in timeline.entries(session, inc.id)
                     if e.kind == "escalation.level_notified")
        assert entry.at == T0 + timedelta(seconds=1) and entry.incident_id == inc.id
        assert entry.details == {"level": 0, "cycle": 0, "targets": {"schedule:primary": ["alice"]},
                                 "deliveries": 1, "due_at": T0.isoformat(), "nobody_on_call": []}
        nxt = session.scalars(select(Timer).where(Timer.incident_id == inc.id,
                                                  Timer.kind == "escalation",
                                                  Timer.status == "pending")).one()
        assert nxt.due_at == T0 + timedelta(minutes=5)
        assert nxt.payload == {"level": 1, "cycle": 0, "paged": [0, 0]}
        assert nxt.fired_at == T0 + timedelta(seconds=1)  # the same row, moved on
        state = session.get(Escalation, inc.id)
        assert state is not None and escalation.position(session, state) == (0, 0)
