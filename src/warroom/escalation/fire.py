"""Firing due timers, a whole batch at a time, with bulk SQL. Callers own the transaction.

    claim  SELECT due timers, oldest first, with their incidents and escalations (SQLite:
           one join; PostgreSQL: FOR UPDATE SKIP LOCKED, then the escalations locked in
           incident order)
    plan   who each (targets, channels, severity) means now: resolved once per batch
    write  deliveries and timeline entries (one executemany each); each timer moved on to
           its next step in place (new due time and payload) or marked done when it has
           none, keeping the step it performed in its payload (`paged`: level, cycle),
           which is where the escalation's position is read (`service.position`): a step
           writes no escalation row

An incident's escalation, reminders and condition checks are each one timer row that
walks through its steps; what was done is on the timeline (`escalation.level_notified`,
`update.due`), and `fired_at` is when the row last fired. The statements are in `store`
(DB-API with pre-converted values on SQLite, Core on PostgreSQL); this module decides
what the rows are.

At-least-once without a lost step: the step's deliveries and entries and the move of its
timer to the next step commit together, so a crash before commit leaves the timer at the
step it was at, for any process to take again; deliveries carry unique idempotency keys
(incident, generation, cycle, level; a reminder's due time), so a re-run step cannot page
twice. A timer's step is stale (and only marked done) when its generation is no longer the
escalation's: acknowledging, resolving, re-escalating all bump the generation.

Sending is not done here: deliveries are outbox rows the dispatcher sends after commit,
so a slow or failing channel never delays the next step.

A burst can be decided before it falls due (`prepare`, SQLite): the timers due at the next
due instant are read and their rows built ahead, and at the due instant each batch is only
written, if what it was decided from is still what the database holds: nothing committed
by another connection since (SQLite's `data_version`), or else the same claim read again.
Otherwise the prepared batches are dropped and the burst is decided anew. Nothing of a
prepared batch is written before its due instant.
"""

from __future__ import annotations

import uuid
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from warroom.escalation import store
from warroom.escalation.models import Escalation
from warroom.escalation.service import ACTOR, EscalationSetup, check_conditions, next_step
from warroom.escalation.store import Claimed, State
from warroom.escalation.targets import choose_channels, resolve_target
from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident, RoleAssignment
from warroom.timeline.kinds import EntryType, Source

#: Timers per transaction. Large enough that the statements' fixed cost is small next to
#: the rows', small enough that the first timers of a burst commit well before the last.
BATCH = 1000
#: Timers per transaction of a burst decided ahead: only its statements are left, and each
#: transaction rewrites the index pages its random incident ids touch, so fewer, larger
#: ones finish a burst sooner (10,000 timers, firing path alone: ~215 ms in batches of
#: 1,000, ~160 ms of 2,500, ~150 ms of 5,000 or 10,000); with two, the first half of a
#: 10,000-timer burst commits after ~80-110 ms.
PREPARED_BATCH = 5000

_AUTOMATION = Source.AUTOMATION.value
# Where a row says when it was written, as `_Batch.restamp` replaces it.
if (store.DELIVERY_COLUMNS.index("created_at"), len(store.DELIVERY_COLUMNS),
        store.ENTRY_COLUMNS.index("at"), store.ADVANCE_COLUMNS.index("fired_at"),
        len(store.ADVANCE_COLUMNS)) != (10, 12, 1, 3, 5):
    raise ImportError("escalation.store's column orders changed: update _Batch.restamp")
_ESCALATION = EntryType.ESCALATION.value
_TRIGGERED = Status.TRIGGERED.value


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
    sends: tuple[tuple[str, str, str, Any], ...]  # person, channel id, type, stored not-before
    summary: str
    nobody: list[str]


class _Batch:
    """The rows one batch writes, as tuples in the store's column orders and value
    representation, inserted with one statement per table. A burst repeats a few distinct
    values (one `now`, one due time, one plan per level), so each is converted once."""

    def __init__(self, setup: EscalationSetup, now: datetime, rows: store.Store) -> None:
        self.setup, self.now, self.store = setup, now, rows
        self.stamp = rows.time(now)
        self.people = {p.id: p for p in setup.oncall.people}
        self.plans: dict[tuple[tuple[str, ...], tuple[str, ...], str], _Plan] = {}
        self.targets: dict[str, list[str]] = {}
        self.outbox: list[tuple[Any, ...]] = []
        self.entries: list[tuple[Any, ...]] = []
        self.advanced: list[tuple[Any, ...]] = []  # store.ADVANCE_COLUMNS
        self.moved: set[int] = set()
        self.steps: dict[tuple[str, str, str], _Step] = {}
        self._decoded: dict[str, Any] = {}
        self._encoded: dict[Any, Any] = {}
        self._dues: dict[tuple[datetime, timedelta], str] = {}

    def due_text(self, due: datetime, delay: timedelta) -> str:
        """`due + delay` in the store's representation, once per distinct pair."""
        text = self._dues.get((due, delay))
        if text is None:
            text = self._dues[(due, delay)] = self.store.time(due + delay)
        return text

    def decode(self, text: str) -> Any:
        """JSON read as text and decoded once per distinct value: the incidents of a burst
        mostly share one policy snapshot and one timer payload."""
        value = self._decoded.get(text)
        if value is None:
            value = self._decoded[text] = orjson.loads(text)
        return value

    def encode(self, key: Any, build: Any) -> Any:
        """A JSON value in the store's representation, built and converted once per `key`."""
        value = self._encoded.get(key)
        if value is None:
            value = self._encoded[key] = self.store.json(build())
        return value

    def plan(self, refs: Sequence[str], via: Sequence[str], severity: str) -> _Plan:
        key = (tuple(refs), tuple(via), severity)
        found = self.plans.get(key)
        if found is not None:
            return found
        resolved: dict[str, list[str]] = {}
        sends: list[tuple[str, str, str, Any]] = []
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
                                  self.setup.channels[choice.channel_id],
                                  self.store.time(self.now + choice.delay)))
        summary = ", ".join(f"{ref} → {', '.join(p) or 'nobody on call'}"
                            for ref, p in resolved.items())
        found = _Plan(resolved, tuple(sends), summary,
                      [ref for ref, p in resolved.items() if not p])
        self.plans[key] = found
        return found

    # Incident ids below are in the store's representation (`Claimed.incident_id`).

    def page(self, incident_id: Any, plan: _Plan, *, kind: str, key: str,
             level: int | None) -> int:
        stamp = self.stamp
        for person_id, channel_id, channel_type, not_before in plan.sends:
            self.outbox.append((f"{key}:{person_id}:{channel_id}"[:300], incident_id, person_id,
                                channel_id, channel_type, kind, level, "pending", 0,
                                not_before, stamp, None))
        return len(plan.sends)

    def adopt(self, rows: list[dict[str, Any]]) -> None:
        """Deliveries built as `notify.service.delivery_row` dicts (condition checks)."""
        conv = self.store
        for row in rows:
            self.outbox.append(tuple(
                conv.uid(row[c]) if c == "incident_id"
                else conv.time(row[c]) if c in ("next_attempt_at", "created_at")
                else row.get(c) for c in store.DELIVERY_COLUMNS))

    def entry(self, incident_id: Any, kind: str, type: EntryType, summary: str,
              details: Any) -> None:
        """`details` in the store's JSON representation (see `encode`)."""
        self.entries.append((incident_id, self.stamp, kind, type.value,
                             _AUTOMATION, ACTOR, summary, details))

    def advance(self, timer: Claimed, due: datetime, **payload: Any) -> None:
        """Move `timer` on to its next step, due at `due`, in place: one row updated
        instead of one marked done and one inserted (kind and generation stay).
        (Escalation steps append their rows themselves: `_fire_escalation`.)"""
        body = self.encode(("timer", *payload.items()), lambda: payload)
        self.advanced.append(("pending", self.store.time(due), body, self.stamp, timer.id))
        self.moved.add(timer.id)

    def restamp(self, now: datetime) -> None:
        """Move a batch decided ahead (`prepare`) to the instant it is written: its rows
        say when they were written (`created_at`, `at`, `fired_at`), not when decided."""
        if now == self.now:
            return
        stamp = self.store.time(now)
        # Literal positions (a generic slice-and-join costs ~40% more), checked against
        # the store's column orders where this module is imported.
        self.outbox = [(*r[:10], stamp, r[11]) for r in self.outbox]
        self.entries = [(r[0], stamp, *r[2:]) for r in self.entries]
        self.advanced = [(*r[:3], stamp, r[4]) for r in self.advanced]
        self.now, self.stamp = now, stamp

    def write(self, timers: list[Claimed], rows: store.Store | None = None) -> None:
        """Everything the batch decided (through `rows`, the current transaction's store,
        when the batch was decided in an earlier one); claimed timers not moved on are
        done."""
        done = [t.id for t in timers if t.id not in self.moved]
        (rows or self.store).write(self.outbox, self.entries, self.advanced, done, self.now)


def claim(session: Session, now: datetime, limit: int) -> list[Claimed]:
    """Take up to `limit` due timers, oldest first. Concurrent workers skip the rows
    another one holds (PostgreSQL); SQLite has one writer anyway."""
    return store.for_session(session).claim(now, limit)


def fire_due(session: Session, setup: EscalationSetup, now: datetime,
             limit: int = BATCH, prepared: Prepared | None = None) -> FireReport:
    """Perform up to `limit` due timers in the caller's transaction: the next batch of
    `prepared` when it still holds, else a batch claimed and decided now."""
    rows = store.for_session(session)
    if prepared is not None and prepared.chunks and now >= prepared.at:
        chunk = prepared.chunks[0]
        # Another connection committed: read the claim again, as many rows as the batch
        # (it may be larger than `limit`), and write the batch only if nothing differs.
        fresh = (None if rows.data_version() == prepared.version
                 else rows.claim_rows(now, len(chunk.claim)))
        if fresh is None or fresh == chunk.claim:
            prepared.chunks.popleft()
            chunk.batch.restamp(now)
            chunk.batch.write(chunk.timers, rows)
            session.flush()
            chunk.report.now = now
            return chunk.report
        prepared.chunks.clear()  # something changed: decide the rest anew
        timers, states = rows.decode_claim(fresh)
    else:
        timers, states = rows.claim_with_states(now, limit)
    report = FireReport(now=now)
    if not timers:
        return report
    batch = _decide(session, setup, now, rows, timers, states, report)
    batch.write(timers)
    session.flush()
    return report


@dataclass
class _Chunk:
    claim: list[tuple[Any, ...]]  # the claim's rows as read: compared before writing
    timers: list[Claimed]
    batch: _Batch
    report: FireReport


@dataclass
class Prepared:
    """Batches of timers due at `at`, decided ahead (`prepare`), written by `fire_due`."""

    at: datetime
    version: int | None
    chunks: deque[_Chunk] = field(default_factory=deque)

    def __len__(self) -> int:
        return sum(len(c.timers) for c in self.chunks)


#: Kinds whose step depends only on the claim's row and configuration: a condition check
#: evaluates the incident at the instant it fires, a reminder reads role holders.
_PREPARABLE = frozenset({"escalation"})


def prepare(session: Session, setup: EscalationSetup, at: datetime, *,
            batches: int = 2, limit: int = PREPARED_BATCH,
            previous: Prepared | None = None) -> Prepared | None:
    """Decide ahead the batches of timers due at `at` (up to `batches` of `limit`), from a
    read in the caller's (read) transaction; None where the store cannot (PostgreSQL,
    where several workers share bursts) or nothing is due then. Stops at the first batch
    with a timer that must be decided when it fires. `previous` is returned as it is when
    it was decided for `at` and nothing was committed by others since."""
    rows = store.for_session(session)
    version = rows.data_version()
    if version is None:
        return None
    if previous is not None and previous.at == at and previous.version == version:
        return previous
    read = rows.claim_rows(at, batches * limit)
    prepared = Prepared(at, version)
    for i in range(0, len(read), limit):
        claim = read[i:i + limit]
        timers, states = rows.decode_claim(claim)
        if any(t.kind not in _PREPARABLE for t in timers):
            break
        report = FireReport(now=at)
        batch = _decide(session, setup, at, rows, timers, states, report)
        prepared.chunks.append(_Chunk(claim, timers, batch, report))
    return prepared if prepared.chunks else None


def _decide(session: Session, setup: EscalationSetup, now: datetime, rows: store.Store,
            timers: list[Claimed], states: dict[Any, State], report: FireReport) -> _Batch:
    """The rows that performing `timers` at `now` writes, counted into `report`."""
    batch = _Batch(setup, now, rows)
    reminders = [t for t in timers if t.kind == "reminder"]
    holders = (_role_holders(session, [rows.uuid(t.incident_id) for t in reminders])
               if reminders else {})
    checks = [t for t in timers if t.kind == "conditions"]
    for timer in timers:
        report.timer_ids.append(timer.id)
        report.due.append(timer.due_at)
        state = states.get(timer.incident_id)
        if state is None:
            report.stale += 1
            continue
        if timer.kind == "escalation":
            paged = _fire_escalation(batch, timer, state)
            if paged is None:
                report.stale += 1
                continue
            report.deliveries += paged
        elif timer.kind == "reminder":
            report.deliveries += _fire_reminder(batch, timer, state,
                                                holders.get(rows.uuid(timer.incident_id), []))
        elif timer.kind != "conditions":
            report.stale += 1
            continue
        report.fired += 1
    if checks:
        report.deliveries += _fire_checks(session, batch, checks)
    return batch


@dataclass(frozen=True, eq=False)  # hashed by identity: a key of the batch's caches
class _Step:
    """An escalation step as every incident with the same timer payload, policy snapshot
    and severity takes it: decided once per batch (a burst has one or a few)."""

    level: int
    cycle: int
    manual: bool
    plan: _Plan
    kind: str
    key_tail: str  # of the deliveries' idempotency keys, after the incident and generation
    summary: str
    status: str  # the timer's, once moved on: "pending", or "done" after the last step
    delay: timedelta  # to the next step, from this one's due time (lag never accumulates)
    body: Any  # the timer's payload once moved on, in the store's JSON


def _step(batch: _Batch, payload_text: str, snapshot: str, severity: str) -> _Step:
    key = (payload_text, snapshot, severity)
    found = batch.steps.get(key)
    if found is not None:
        return found
    payload, snap = batch.decode(payload_text), batch.decode(snapshot)
    level, cycle = int(payload["level"]), int(payload["cycle"])
    spec = snap["levels"][level]
    plan = batch.plan(spec["notify"], spec["via"], severity)
    nxt = next_step(snap, level, cycle)
    paged = [level, cycle]
    if nxt is None:
        status, delay, after = "done", timedelta(0), {"level": level, "cycle": cycle}
    else:
        status, delay = "pending", nxt[2]
        after = {"level": nxt[0], "cycle": nxt[1]}
    found = batch.steps[key] = _Step(
        level, cycle, bool(payload.get("manual")), plan,
        "page" if level == 0 and cycle == 0 else "escalation", f":c{cycle}:l{level}",
        f"Level {level + 1} paged: {plan.summary}", status, delay,
        batch.store.json({**after, "paged": paged}))
    return found


def _fire_escalation(batch: _Batch, timer: Claimed, state: State) -> int | None:
    """Queue one level's pages and the next step; None when the timer is stale."""
    if state.escalation != "active" or timer.generation != state.generation:
        return None
    assert state.snapshot is not None
    step = _step(batch, timer.payload, state.snapshot, state.severity)
    if state.status != _TRIGGERED and not step.manual:
        return None
    incident_id = timer.incident_id
    count = batch.page(incident_id, step.plan, kind=step.kind,
                       key=f"{batch.store.text(incident_id)}:g{state.generation}{step.key_tail}",
                       level=step.level)
    due = timer.due_at
    batch.entries.append((incident_id, batch.stamp, "escalation.level_notified", _ESCALATION,
                          _AUTOMATION, ACTOR, step.summary,
                          batch.encode((step, due, count), lambda: {
                              "level": step.level, "cycle": step.cycle,
                              "targets": step.plan.resolved, "deliveries": count,
                              "due_at": due.isoformat(), "nobody_on_call": step.plan.nobody})))
    batch.advanced.append((step.status, batch.due_text(due, step.delay), step.body,
                           batch.stamp, timer.id))
    batch.moved.add(timer.id)
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


def _fire_reminder(batch: _Batch, timer: Claimed, state: State, holders: list[str]) -> int:
    if not Status(state.status).is_open:
        return 0
    plan = batch.plan([f"person:{p}" for p in holders], [], state.severity)
    count = batch.page(timer.incident_id, plan, kind="reminder",
                       key=f"{batch.store.text(timer.incident_id)}:reminder:"
                           f"{timer.due_at.isoformat()}", level=None)
    batch.entry(timer.incident_id, "update.due", EntryType.COMMUNICATION,
                f"Status update due ({state.severity} cadence); reminded "
                f"{', '.join(holders) or 'nobody: no Incident Commander or Comms Lead assigned'}",
                batch.store.json({"reminded": holders}))
    level = batch.setup.scale.get(state.severity)
    if level and level.update_every:
        batch.advance(timer, timer.due_at + level.update_every)
    return count


def _fire_checks(session: Session, batch: _Batch, timers: list[Claimed]) -> int:
    """Management / impact conditions: rare, evaluated on the full incident (CEL)."""
    ids = {batch.store.uuid(t.incident_id) for t in timers}
    loaded = {i.id: i for i in session.scalars(
        select(Incident).where(Incident.id.in_(ids))
        .options(lazyload(Incident.services), lazyload(Incident.roles)))}
    states = {e.incident_id: e for e in session.scalars(
        select(Escalation).where(Escalation.incident_id.in_(ids)))}
    total = 0
    outbox: list[dict[str, Any]] = []
    for timer in timers:
        incident = loaded.get(batch.store.uuid(timer.incident_id))
        if incident is None:
            continue
        total += check_conditions(session, batch.setup, incident, batch.now,
                                  states.get(incident.id), outbox)
        if Status(incident.status).is_open:
            batch.advance(timer, batch.now + batch.setup.condition_interval)
    batch.adopt(outbox)
    return total



def next_due(session: Session) -> datetime | None:
    """When the earliest pending timer falls due (one lookup in the due index)."""
    return store.next_due(session)
