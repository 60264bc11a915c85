"""Firing due timers, a whole batch at a time, with bulk SQL. Callers own the transaction.

    claim  UPDATE timers SET status='done' WHERE id IN (due, oldest first, SKIP LOCKED)
           RETURNING ...                                     one statement for the batch
    lock   the batch's escalations (in incident order), read their incidents
    plan   who each (targets, channels, severity) means now: resolved once per batch
    write  deliveries, timeline entries and next timers: one executemany each;
           escalation levels: one UPDATE per (level, cycle)

At-least-once without a lost step: the claim and everything the step writes commit
together, so a crash before commit leaves the timers pending for any process to take
again, and deliveries carry unique idempotency keys, so a re-run step cannot page twice.
A timer's step is stale (and only marked done) when its generation is no longer the
escalation's: acknowledging, resolving, re-escalating all bump the generation.

Sending is not done here: deliveries are outbox rows the dispatcher sends after commit,
so a slow or failing channel never delays the next step.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Text, cast, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, lazyload

from warroom.escalation.models import Escalation, Timer
from warroom.escalation.service import ACTOR, EscalationSetup, check_conditions, next_step
from warroom.escalation.targets import choose_channels, resolve_target
from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident, RoleAssignment
from warroom.notify import service as deliveries
from warroom.notify.models import Delivery
from warroom.timeline.kinds import EntryType, Source
from warroom.timeline.models import TimelineEntry

TIMERS = Timer.__table__
ESCALATIONS = Escalation.__table__
INCIDENTS = Incident.__table__
ENTRIES = TimelineEntry.__table__

#: Timers per transaction. Large enough that the statements' fixed cost is small next to
#: the rows', small enough that the first timers of a burst commit well before the last.
BATCH = 1000


@dataclass
class FireReport:
    """What one `fire_due` call did. `due` holds the due time of every timer it performed
    (fired or stale), so the caller can measure lag once the transaction has committed."""

    fired: int = 0
    stale: int = 0
    deliveries: int = 0
    timer_ids: list[int] = field(default_factory=list)
    due: list[datetime] = field(default_factory=list)
    now: datetime | None = None

    @property
    def lags(self) -> list[float]:
        """Seconds from due to the batch's `now` (the instant the step was decided)."""
        return [] if self.now is None else [(self.now - d).total_seconds() for d in self.due]


@dataclass(frozen=True)
class _Plan:
    """Who a list of targets means at the batch's `now`, and through which channels."""

    resolved: dict[str, list[str]]
    sends: tuple[tuple[str, str, str, timedelta], ...]  # person, channel id, type, delay
    summary: str
    nobody: list[str]


class _Batch:
    """The rows one batch writes, collected and then inserted with one statement each."""

    def __init__(self, setup: EscalationSetup, now: datetime) -> None:
        self.setup, self.now = setup, now
        self.people = {p.id: p for p in setup.oncall.people}
        self.plans: dict[tuple[tuple[str, ...], tuple[str, ...], str], _Plan] = {}
        self.targets: dict[str, list[str]] = {}
        self.outbox: list[dict[str, Any]] = []
        self.entries: list[dict[str, Any]] = []
        self.timers: list[dict[str, Any]] = []
        self.levels: dict[uuid.UUID, tuple[int, int]] = {}
        self._decoded: dict[str, Any] = {}

    def decode(self, text: str) -> Any:
        """JSON read as text and decoded once per distinct value: the incidents of a burst
        mostly share one policy snapshot and one timer payload."""
        value = self._decoded.get(text)
        if value is None:
            value = self._decoded[text] = json.loads(text)
        return value

    def plan(self, refs: Sequence[str], via: Sequence[str], severity: str) -> _Plan:
        key = (tuple(refs), tuple(via), severity)
        found = self.plans.get(key)
        if found is not None:
            return found
        resolved: dict[str, list[str]] = {}
        sends: list[tuple[str, str, str, timedelta]] = []
        for ref in refs:
            if ref not in self.targets:
                self.targets[ref] = resolve_target(ref, self.setup.oncall, self.now)
            resolved[ref] = list(self.targets[ref])
            for person_id in resolved[ref]:
                person = self.people.get(person_id)
                if person is None:
                    continue
                for choice in choose_channels(person, severity, via, self.setup.channels):
                    sends.append((person_id, choice.channel_id,
                                  self.setup.channels[choice.channel_id], choice.delay))
        summary = ", ".join(f"{ref} → {', '.join(p) or 'nobody on call'}"
                            for ref, p in resolved.items())
        found = _Plan(resolved, tuple(sends), summary,
                      [ref for ref, p in resolved.items() if not p])
        self.plans[key] = found
        return found

    def page(self, incident_id: uuid.UUID, plan: _Plan, *, kind: str, key: str,
             level: int | None) -> int:
        now = self.now
        for person_id, channel_id, channel_type, delay in plan.sends:
            self.outbox.append(deliveries.delivery_row(
                incident_id=incident_id, person_id=person_id, channel_id=channel_id,
                channel_type=channel_type, kind=kind, level=level,
                key=f"{key}:{person_id}:{channel_id}", not_before=now + delay, now=now))
        return len(plan.sends)

    def entry(self, incident_id: uuid.UUID, kind: str, type: EntryType, summary: str,
              details: dict[str, Any]) -> None:
        self.entries.append({
            "incident_id": incident_id, "at": self.now, "kind": kind, "type": type.value,
            "source": Source.AUTOMATION.value, "actor": ACTOR, "summary": summary,
            "details": details})

    def timer(self, incident_id: uuid.UUID, kind: str, due: datetime, generation: int = 1,
              **payload: Any) -> None:
        self.timers.append({
            "incident_id": incident_id, "kind": kind, "due_at": due, "generation": generation,
            "status": "pending", "payload": payload, "created_at": self.now})

    def write(self, session: Session) -> None:
        if self.outbox:
            dialect = session.get_bind().dialect.name
            into = postgresql.insert if dialect == "postgresql" else sqlite.insert
            stmt = into(Delivery.__table__).on_conflict_do_nothing(
                index_elements=["idempotency_key"])
            session.execute(stmt, self.outbox)
        if self.entries:
            session.execute(insert(ENTRIES), self.entries)
        if self.timers:
            session.execute(insert(TIMERS), self.timers)
        groups: dict[tuple[int, int], list[uuid.UUID]] = {}
        for incident_id, at in self.levels.items():
            groups.setdefault(at, []).append(incident_id)
        for (level, cycle), ids in groups.items():
            session.execute(update(ESCALATIONS).where(ESCALATIONS.c.incident_id.in_(ids))
                            .values(level=level, cycle=cycle, updated_at=self.now))


def claim(session: Session, now: datetime, limit: int) -> list[Row[Any]]:
    """Mark up to `limit` due timers done and return them, oldest first. Concurrent
    workers skip the rows another one holds (PostgreSQL); SQLite has one writer anyway."""
    due = (select(TIMERS.c.id).where(TIMERS.c.status == "pending", TIMERS.c.due_at <= now)
           .order_by(TIMERS.c.due_at, TIMERS.c.id).limit(limit)
           .with_for_update(skip_locked=True))
    rows = session.execute(
        update(TIMERS).where(TIMERS.c.id.in_(due.scalar_subquery()))
        .values(status="done", fired_at=now)
        .returning(TIMERS.c.id, TIMERS.c.incident_id, TIMERS.c.kind, TIMERS.c.due_at,
                   TIMERS.c.generation, cast(TIMERS.c.payload, Text).label("payload"))).all()
    return sorted(rows, key=lambda r: (r.due_at, r.id))


def fire_due(session: Session, setup: EscalationSetup, now: datetime,
             limit: int = BATCH) -> FireReport:
    """Perform up to `limit` due timers in the caller's transaction."""
    report = FireReport(now=now)
    timers = claim(session, now, limit)
    if not timers:
        return report
    ids = sorted({t.incident_id for t in timers}, key=str)
    # Locked in incident order so two workers never wait on each other in a cycle; an
    # acknowledgement holding one makes us wait for it, then see its new generation.
    states = {r.incident_id: r for r in session.execute(
        select(ESCALATIONS.c.incident_id, ESCALATIONS.c.status, ESCALATIONS.c.generation,
               cast(ESCALATIONS.c.snapshot, Text).label("snapshot"))
        .where(ESCALATIONS.c.incident_id.in_(ids))
        .order_by(ESCALATIONS.c.incident_id).with_for_update())}
    incidents = {r.id: r for r in session.execute(
        select(INCIDENTS.c.id, INCIDENTS.c.status, INCIDENTS.c.severity)
        .where(INCIDENTS.c.id.in_(ids)))}
    batch = _Batch(setup, now)
    reminders = [t for t in timers if t.kind == "reminder"]
    holders = _role_holders(session, [t.incident_id for t in reminders]) if reminders else {}
    checks = [t for t in timers if t.kind == "conditions"]
    for timer in timers:
        report.timer_ids.append(timer.id)
        report.due.append(timer.due_at)
        incident = incidents.get(timer.incident_id)
        if incident is None:
            report.stale += 1
            continue
        if timer.kind == "escalation":
            paged = _fire_escalation(batch, timer, incident, states.get(incident.id))
            if paged is None:
                report.stale += 1
                continue
            report.deliveries += paged
        elif timer.kind == "reminder":
            report.deliveries += _fire_reminder(batch, timer, incident,
                                                holders.get(incident.id, []))
        elif timer.kind != "conditions":
            report.stale += 1
            continue
        report.fired += 1
    if checks:
        report.deliveries += _fire_checks(session, batch, checks)
    batch.write(session)
    session.flush()
    return report


def _fire_escalation(batch: _Batch, timer: Row[Any], incident: Row[Any],
                     state: Row[Any] | None) -> int | None:
    """Queue one level's pages and the next step; None when the timer is stale."""
    payload = batch.decode(timer.payload)
    if (state is None or state.status != "active" or timer.generation != state.generation
            or incident.status != Status.TRIGGERED.value and not payload.get("manual")):
        return None
    snap = batch.decode(state.snapshot)
    level, cycle = int(payload["level"]), int(payload["cycle"])
    spec = snap["levels"][level]
    plan = batch.plan(spec["notify"], spec["via"], incident.severity)
    count = batch.page(incident.id, plan,
                       kind="page" if level == 0 and cycle == 0 else "escalation",
                       key=f"{incident.id}:g{state.generation}:c{cycle}:l{level}", level=level)
    batch.levels[incident.id] = (level, cycle)
    batch.entry(incident.id, "escalation.level_notified", EntryType.ESCALATION,
                f"Level {level + 1} paged: {plan.summary}",
                {"level": level, "cycle": cycle, "targets": plan.resolved,
                 "deliveries": count, "due_at": timer.due_at.isoformat(),
                 "nobody_on_call": plan.nobody})
    nxt = next_step(snap, level, cycle)
    if nxt is not None:
        next_level, next_cycle, delay = nxt
        # Due from the previous due time, not from now, so lag does not accumulate.
        batch.timer(incident.id, "escalation", timer.due_at + delay, state.generation,
                    level=next_level, cycle=next_cycle)
    return count


def _role_holders(session: Session, incident_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Incident Commanders and Comms Leads of the given incidents, in assignment order."""
    rows = session.execute(
        select(RoleAssignment.incident_id, RoleAssignment.person)
        .where(RoleAssignment.incident_id.in_(set(incident_ids)),
               RoleAssignment.role.in_(["incident_commander", "comms_lead"]))
        .order_by(RoleAssignment.id))
    out: dict[uuid.UUID, list[str]] = {}
    for incident_id, person in rows:
        people = out.setdefault(incident_id, [])
        if person not in people:
            people.append(person)
    return out


def _fire_reminder(batch: _Batch, timer: Row[Any], incident: Row[Any],
                   holders: list[str]) -> int:
    if not Status(incident.status).is_open:
        return 0
    plan = batch.plan([f"person:{p}" for p in holders], [], incident.severity)
    count = batch.page(incident.id, plan, kind="reminder",
                       key=f"{incident.id}:reminder:{timer.id}", level=None)
    batch.entry(incident.id, "update.due", EntryType.COMMUNICATION,
                f"Status update due ({incident.severity} cadence); reminded "
                f"{', '.join(holders) or 'nobody: no Incident Commander or Comms Lead assigned'}",
                {"reminded": holders})
    level = batch.setup.scale.get(incident.severity)
    if level and level.update_every:
        batch.timer(incident.id, "reminder", timer.due_at + level.update_every)
    return count


def _fire_checks(session: Session, batch: _Batch, timers: list[Row[Any]]) -> int:
    """Management / impact conditions: rare, evaluated on the full incident (CEL)."""
    ids = {t.incident_id for t in timers}
    loaded = {i.id: i for i in session.scalars(
        select(Incident).where(Incident.id.in_(ids))
        .options(lazyload(Incident.services), lazyload(Incident.roles)))}
    states = {e.incident_id: e for e in session.scalars(
        select(Escalation).where(Escalation.incident_id.in_(ids)))}
    total = 0
    for timer in timers:
        incident = loaded.get(timer.incident_id)
        if incident is None:
            continue
        total += check_conditions(session, batch.setup, incident, batch.now,
                                  states.get(incident.id), batch.outbox)
        if Status(incident.status).is_open:
            batch.timer(incident.id, "conditions", batch.now + batch.setup.condition_interval)
    return total


def next_due(session: Session) -> datetime | None:
    """When the earliest pending timer falls due (one lookup in the due index)."""
    return session.scalar(select(TIMERS.c.due_at).where(TIMERS.c.status == "pending")
                          .order_by(TIMERS.c.due_at).limit(1))
