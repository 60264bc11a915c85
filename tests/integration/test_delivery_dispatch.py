"""The dispatcher end to end against local fake servers: a failing channel is retried
with backoff (honouring Retry-After), dead-lettered after the cap, and its fallback used;
every outcome is on the incident's timeline; escalation never waits for a send."""

from __future__ import annotations

import random
import threading
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from tests.contract.fakes import FakeHTTP
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.escalation import fire as firing
from warroom.escalation.setup import attach
from warroom.incidents import service as incidents
from warroom.incidents.schemas import IncidentCreate
from warroom.notify import service as notify
from warroom.notify.dispatch import Dispatcher
from warroom.notify.models import Delivery
from warroom.settings import Settings
from warroom.timeline import service as timeline

T0 = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)


def config_for(primary: str, fallback: str) -> str:
    return f"""
people: [{{id: alice, name: Alice, email: alice@example.com}}, {{id: bob, name: Bob}}]
channels:
  - {{id: hook, type: webhook, url: "{primary}/page", fallback: backup}}
  - {{id: backup, type: webhook, url: "{fallback}/page"}}
escalation_policies:
  - id: p
    levels:
      - {{delay: 0s, notify: ["person:alice"], via: [hook]}}
      - {{delay: 1m, notify: ["person:bob"], via: [hook]}}
services: [{{id: web, escalation_policy: p}}]
"""


@pytest.fixture
def servers() -> tuple[FakeHTTP, FakeHTTP]:
    with FakeHTTP() as primary, FakeHTTP() as backup:
        yield primary, backup


def setup_env(db: Database, primary: FakeHTTP, backup: FakeHTTP) -> tuple[Dispatcher, object, str]:
    cfg = parse_config(config_for(primary.url, backup.url))
    setup = attach(db, cfg)
    dispatcher = Dispatcher(db, cfg, Settings(database_url="sqlite://", public_url="https://w.example"),
                            http=httpx.Client(timeout=2.0), environ={}, rng=random.Random(3))
    with db.transaction() as session:
        inc = incidents.declare(session, IncidentCreate(title="web down", severity="SEV2",
                                                        service="web"), actor="t", now=T0)
        ref = str(inc.id)
    with db.transaction() as session:
        firing.fire_due(session, setup, T0)
    return dispatcher, setup, ref


def rows(db: Database, ref: str) -> list[tuple[str, str, str, int]]:
    with db.reading() as session:
        inc = incidents.require_incident(session, ref)
        return [(r.person_id, r.channel_id, r.status, r.attempts) for r in session.scalars(
            select(Delivery).where(Delivery.incident_id == inc.id).order_by(Delivery.id))]


def kinds(db: Database, ref: str) -> list[str]:
    with db.reading() as session:
        return [e.kind for e in timeline.entries(session, incidents.require_incident(session, ref).id)]


def test_2xx_is_delivered_with_links_and_signature_headers(db: Database, servers) -> None:
    primary, backup = servers
    dispatcher, _, ref = setup_env(db, primary, backup)
    assert dispatcher.run_once(T0) == 1
    assert rows(db, ref) == [("alice", "hook", "delivered", 1)]
    request = primary.last
    assert request.headers["webhook-id"].startswith(ref)
    assert "https://w.example/a/" in request.body.decode()
    assert "notification.delivered" in kinds(db, ref)


def test_5xx_retries_with_backoff_then_dead_letters_to_the_fallback(db: Database, servers) -> None:
    primary, backup = servers
    primary.respond(503, headers={"Retry-After": "7"})
    dispatcher, _, ref = setup_env(db, primary, backup)
    now = T0
    for attempt in range(1, notify.MAX_ATTEMPTS + 1):
        assert dispatcher.run_once(now) >= 1
        with db.reading() as session:
            row = session.scalars(select(Delivery).where(Delivery.channel_id == "hook")).one()
        if attempt < notify.MAX_ATTEMPTS:
            assert row.status == "pending" and row.attempts == attempt
            assert (row.next_attempt_at - now).total_seconds() >= 6.9  # Retry-After honoured
            assert dispatcher.run_once(now) == 0  # not due yet: no hammering
            now = row.next_attempt_at
    assert len(primary.requests) == notify.MAX_ATTEMPTS
    assert rows(db, ref)[0] == ("alice", "hook", "dead", notify.MAX_ATTEMPTS)
    dispatcher.run_once(now)
    assert rows(db, ref)[1] == ("alice", "backup", "delivered", 1)
    assert len(backup.requests) == 1
    found = kinds(db, ref)
    assert found.count("notification.failed") == notify.MAX_ATTEMPTS - 1
    assert "notification.dead_lettered" in found and "notification.fallback" in found


def test_4xx_is_permanent_and_goes_straight_to_the_fallback(db: Database, servers) -> None:
    primary, backup = servers
    primary.respond(410)
    dispatcher, _, ref = setup_env(db, primary, backup)
    dispatcher.run_once(T0)
    dispatcher.run_once(T0)
    assert rows(db, ref) == [("alice", "hook", "dead", 1), ("alice", "backup", "delivered", 1)]


def test_timeouts_are_retried(db: Database, servers) -> None:
    primary, backup = servers
    primary.respond(200, delay=3.0)  # longer than the client's 2 s timeout
    dispatcher, _, ref = setup_env(db, primary, backup)
    dispatcher.run_once(T0)
    assert rows(db, ref) == [("alice", "hook", "pending", 1)]


def test_a_failing_channel_never_blocks_the_next_level(db: Database, servers) -> None:
    primary, backup = servers
    primary.respond(500)
    dispatcher, setup, ref = setup_env(db, primary, backup)
    dispatcher.run_once(T0)
    with db.transaction() as session:
        firing.fire_due(session, setup, T0 + timedelta(minutes=1))
    assert [r[:2] for r in rows(db, ref)] == [("alice", "hook"), ("bob", "hook")]


def test_the_sends_of_a_claim_are_in_flight_together(db: Database, servers) -> None:
    # A provider answers in tens to hundreds of milliseconds: one send at a time would cap
    # a burst's pages at a few per second. The fake answers only once both are in flight.
    primary, backup = servers
    both = threading.Barrier(2, timeout=10)
    answer = primary._handle

    def handle(handler: object) -> None:
        both.wait()
        answer(handler)  # type: ignore[arg-type]

    primary._handle = handle  # type: ignore[method-assign]
    dispatcher, setup, first = setup_env(db, primary, backup)
    with db.transaction() as session:
        second = str(incidents.declare(session, IncidentCreate(title="api down", severity="SEV2",
                                                               service="web"),
                                       actor="t", now=T0).id)
    with db.transaction() as session:
        firing.fire_due(session, setup, T0)
    assert dispatcher.run_once(T0) == 2
    assert rows(db, first) == rows(db, second) == [("alice", "hook", "delivered", 1)]
    dispatcher.close()
