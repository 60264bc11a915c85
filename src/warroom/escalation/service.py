"""The escalation engine over durable rows. Callers own the transaction.

    incident declared ──► Escalation(snapshot) + Timer(level 0, due = now + delay)
    timer due ──► fire.fire_due, a batch at a time: claim (SKIP LOCKED) → still relevant?
                 → deliveries (outbox rows) + timeline entry + the same Timer moved on to
                   its next step (or done)                                   [one transaction]
    acknowledged ──► generation += 1, pending escalation timers cancelled
    resolved ──► every pending timer cancelled

At-least-once without a lost step: a timer only moves past a step in the transaction that
wrote that step's deliveries, so a crash before commit leaves it at that step, pending, and
any process picks it up again; deliveries carry unique idempotency keys, so a re-run step
cannot page twice. This module holds the incident-driven side; `fire` the timer-driven one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from warroom.errors import InvalidInput, NotFound
from warroom.escalation import conditions
from warroom.escalation.config import EscalationPolicyConfig
from warroom.escalation.models import Escalation, Timer
from warroom.escalation.targets import choose_channels, resolve_target
from warroom.incidents.events import IncidentEvent, Listener
from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident
from warroom.incidents.severity import SeverityScale
from warroom.notify import service as deliveries
from warroom.oncall.config import OnCallConfig
from warroom.timeline import service as timeline
from warroom.timeline.kinds import EntryType, Source

ACTOR = "escalation"


@dataclass(frozen=True)
class EscalationSetup:
    """What the engine needs from configuration, built once per process."""

    policies: Mapping[str, EscalationPolicyConfig]
    service_policies: Mapping[str, str]
    oncall: OnCallConfig
    channels: Mapping[str, str]  # channel id -> type
    scale: SeverityScale
    condition_interval: timedelta = timedelta(seconds=30)
    fallbacks: Mapping[str, str] = field(default_factory=dict)  # channel id -> fallback id

    def policy_for(self, incident: Incident) -> str | None:
        if incident.escalation_policy:
            return incident.escalation_policy
        for service in incident.service_names:
            if service in self.service_policies:
                return self.service_policies[service]
        return None


def snapshot(policy: EscalationPolicyConfig, severity: str, scale: SeverityScale) -> dict[str, Any]:
    """The policy frozen for one incident: later config edits do not change a running page."""
    level = scale.get(severity)
    response = level.response_time if level else timedelta(0)
    return {
        "policy_id": policy.id, "repeat": policy.repeat,
        "repeat_delay": policy.repeat_delay.total_seconds(),
        "levels": [
            {"delay": (response if lvl.delay == "response_time" else lvl.delay).total_seconds(),
             "notify": list(lvl.notify), "via": list(lvl.via)}
            for lvl in policy.levels
        ],
        "conditions": [c.model_dump() for c in policy.conditions],
    }


def _timer(session: Session, incident_id: uuid.UUID, kind: str, due: datetime, now: datetime,
           generation: int = 1, **payload: Any) -> Timer:
    timer = Timer(incident_id=incident_id, kind=kind, due_at=due, generation=generation,
                  status="pending", payload=payload, created_at=now)
    session.add(timer)
    return timer


def _cancel(session: Session, incident_id: uuid.UUID, kinds: tuple[str, ...]) -> None:
    """Cancel pending timers. Rows a worker is firing right now are skipped rather than
    waited for: that worker holds them and is about to wait for the escalation row we
    hold, and the generation we bumped already makes their step stale."""
    pending = (select(Timer.id).where(Timer.incident_id == incident_id,
                                      Timer.status == "pending", Timer.kind.in_(kinds))
               .with_for_update(skip_locked=True))
    session.execute(update(Timer).where(Timer.id.in_(pending.scalar_subquery()))
                    .values(status="cancelled"))


def start(session: Session, setup: EscalationSetup, incident: Incident, now: datetime) -> None:
    """Freeze the incident's policy and schedule its first step, reminders and checks."""
    policy_id = setup.policy_for(incident)
    level = setup.scale.get(incident.severity)
    if level and level.update_every:
        _timer(session, incident.id, "reminder", now + level.update_every, now)
    if policy_id is None:
        return
    policy = setup.policies.get(policy_id)
    if policy is None:
        timeline.append(session, incident.id, kind="escalation.missing_policy",
                        type=EntryType.ESCALATION, at=now, source=Source.AUTOMATION, actor=ACTOR,
                        summary=f"Escalation policy {policy_id!r} is not configured: nobody paged")
        return
    snap = snapshot(policy, incident.severity, setup.scale)
    existing = session.get(Escalation, incident.id)
    if existing is None:
        existing = Escalation(incident_id=incident.id, policy_id=policy_id, snapshot=snap,
                              status="active", generation=1,
                              conditions_fired=[], started_at=now, updated_at=now)
        session.add(existing)
    else:  # a new run: `position` counts only its timers
        existing.snapshot, existing.status = snap, "active"
        existing.generation += 1
        existing.started_at = existing.updated_at = now
    session.flush()
    first = timedelta(seconds=snap["levels"][0]["delay"])
    _timer(session, incident.id, "escalation", now + first, now, existing.generation,
           level=0, cycle=0)
    if snap["conditions"]:
        _timer(session, incident.id, "conditions", now, now)
    timeline.append(
        session, incident.id, kind="escalation.started", type=EntryType.ESCALATION, at=now,
        source=Source.AUTOMATION, actor=ACTOR,
        summary=f"Escalation policy {policy_id} started ({len(snap['levels'])} level(s), "
                f"repeat {snap['repeat']})",
        details={"policy": snap},
    )


def stop_paging(session: Session, incident: Incident, now: datetime, reason: str) -> None:
    """Acknowledged (or work started): no further escalation levels."""
    state = session.get(Escalation, incident.id, with_for_update=True)
    if state is None or state.status != "active":
        return
    state.status, state.generation, state.updated_at = "acknowledged", state.generation + 1, now
    _cancel(session, incident.id, ("escalation",))
    timeline.append(session, incident.id, kind="escalation.stopped", type=EntryType.ESCALATION,
                    at=now, source=Source.AUTOMATION, actor=ACTOR,
                    summary=f"Escalation stopped: {reason}", details={"reason": reason})


def stop_all(session: Session, incident: Incident, now: datetime) -> None:
    state = session.get(Escalation, incident.id, with_for_update=True)
    if state is not None and state.status != "stopped":
        state.status, state.generation, state.updated_at = "stopped", state.generation + 1, now
    _cancel(session, incident.id, ("escalation", "reminder", "conditions"))


def escalate(session: Session, setup: EscalationSetup, incident: Incident, level: int | None,
             *, actor: str, now: datetime) -> int:
    """Escalate by hand: to `level` (0-based), or to the level after the last one paged."""
    if not Status(incident.status).is_open:
        raise InvalidInput(f"{incident.reference} is {incident.status}; reopen it first")
    state = session.get(Escalation, incident.id, with_for_update=True)
    if state is None:
        raise NotFound(f"{incident.reference} has no escalation policy")
    levels = state.snapshot["levels"]
    paged_level, cycle = position(session, state)
    target = paged_level + 1 if level is None else level
    if not 0 <= target < len(levels):
        raise InvalidInput(f"level must be 0..{len(levels) - 1}; the policy has {len(levels)}")
    state.status, state.generation, state.updated_at = "active", state.generation + 1, now
    _cancel(session, incident.id, ("escalation",))
    _timer(session, incident.id, "escalation", now, now, state.generation, level=target,
           cycle=cycle, manual=True)
    timeline.append(session, incident.id, kind="escalation.requested", type=EntryType.ESCALATION,
                    at=now, source=Source.HUMAN, actor=actor,
                    summary=f"Escalation to level {target + 1} requested",
                    details={"level": target})
    return target


def position(session: Session, state: Escalation) -> tuple[int, int]:
    """The level and cycle this escalation paged last; (-1, 0) before its first page.

    Each step is recorded (`paged`) in the payload of the timer that performed it, in the
    same update that moves that timer on, so firing writes no escalation row. A timer walks
    its steps in place; a manual escalation or a restart starts a new one: the newest timer
    of the current run (created since `started_at`) with a record holds the answer.
    """
    payloads = session.scalars(
        select(Timer.payload).where(Timer.incident_id == state.incident_id,
                                    Timer.kind == "escalation",
                                    Timer.created_at >= state.started_at,
                                    Timer.fired_at.is_not(None))
        .order_by(Timer.id.desc()))
    for payload in payloads:
        if "paged" in payload:
            level, cycle = payload["paged"]
            return int(level), int(cycle)
    return -1, 0


def listener(setup: EscalationSetup) -> Listener:
    """React to incident changes inside their transaction."""

    def on_event(session: Session, event: IncidentEvent) -> None:
        incident, now = event.incident, event.now
        if event.kind == "declared":
            start(session, setup, incident, now)
        elif event.kind in ("acknowledged", "investigating", "identified", "mitigated"):
            stop_paging(session, incident, now, f"incident {event.kind} by {event.actor}")
        elif event.kind in ("resolved", "closed"):
            stop_all(session, incident, now)
        elif event.kind == "reopened":
            stop_all(session, incident, now)
            start(session, setup, incident, now)
        elif event.kind == "updated":
            check_conditions(session, setup, incident, now)

    return on_event


def _page(session: Session, setup: EscalationSetup, incident: Incident, refs: list[str],
          via: list[str], *, kind: str, key: str, level: int | None, now: datetime,
          outbox: list[dict[str, Any]] | None = None) -> tuple[dict[str, list[str]], int]:
    """Queue deliveries for the people `refs` mean now; into `outbox` when the caller
    inserts a whole batch at once, else right away."""
    own = outbox is None
    queue: list[dict[str, Any]] = [] if outbox is None else outbox
    resolved: dict[str, list[str]] = {}
    count = 0
    people = {p.id: p for p in setup.oncall.people}
    for ref in refs:
        resolved[ref] = resolve_target(ref, setup.oncall, now)
        for person_id in resolved[ref]:
            person = people.get(person_id)
            if person is None:
                continue
            for choice in choose_channels(person, incident.severity, via, setup.channels):
                queue.append(deliveries.delivery_row(
                    incident_id=incident.id, person_id=person_id,
                    channel_id=choice.channel_id, channel_type=setup.channels[choice.channel_id],
                    kind=kind, level=level, key=f"{key}:{person_id}:{choice.channel_id}",
                    not_before=now + choice.delay, now=now))
                count += 1
    if own:
        count = deliveries.enqueue_many(session, queue)
    return resolved, count


def next_step(snap: dict[str, Any], level: int, cycle: int) -> tuple[int, int, timedelta] | None:
    levels = snap["levels"]
    if level + 1 < len(levels):
        return level + 1, cycle, timedelta(seconds=levels[level + 1]["delay"])
    if cycle < snap["repeat"]:
        return 0, cycle + 1, timedelta(seconds=snap["repeat_delay"])
    return None


def check_conditions(session: Session, setup: EscalationSetup, incident: Incident,
                      now: datetime, state: Escalation | None = None,
                      outbox: list[dict[str, Any]] | None = None) -> int:
    if state is None:
        state = session.get(Escalation, incident.id, with_for_update=True)
    if state is None or not Status(incident.status).is_open:
        return 0
    fired = list(state.conditions_fired or [])
    total = 0
    for cond in state.snapshot.get("conditions", []):
        if cond["id"] in fired or not conditions.holds(cond["when"], incident, now):
            continue
        fired.append(cond["id"])
        resolved, count = _page(session, setup, incident, cond["notify"], cond["via"],
                                kind="escalation", key=f"{incident.id}:cond:{cond['id']}",
                                level=None, now=now, outbox=outbox)
        total += count
        timeline.append(
            session, incident.id, kind="escalation.condition_met", type=EntryType.ESCALATION,
            at=now, source=Source.AUTOMATION, actor=ACTOR,
            summary=f"Condition {cond['id']} met ({cond['when']}): paged "
                    + ", ".join(f"{r} → {', '.join(p) or 'nobody'}" for r, p in resolved.items()),
            details={"condition": cond, "targets": resolved},
        )
    if len(fired) != len(state.conditions_fired or []):
        state.conditions_fired = fired
    return total
