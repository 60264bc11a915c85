"""Bulk reads and writes of the firing path, one implementation per database.

The firing logic (`fire`) builds plain tuples in the column orders below, with values in
the store's own representation (`time`, `uid`, `json`), and hands them over whole.

* SQLite (the embedded default): DB-API statements on the session's connection, values
  pre-converted the way SQLAlchemy's column types store them (UUIDs as 32-char hex, UTC
  datetimes as naive ``YYYY-MM-DD HH:MM:SS.ffffff``, JSON as text), so a burst of 10,000
  timers does not spend as long converting its ~50,000 values as SQLite spends storing them.
  Distinct values are few in a burst (one `now`, one due time, one payload per level), so
  their conversions are cached per batch, and incident ids stay in their stored form from
  the claim to the inserts (`Store.uuid` / `Store.text` where a UUID or its text is needed).
* PostgreSQL: SQLAlchemy Core statements (psycopg executemany), with row locks.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import Text, bindparam, cast, insert, select, update
from sqlalchemy.orm import Session

from warroom.db.sqlite_values import SqliteValues, json_text
from warroom.escalation.models import Escalation, Timer
from warroom.incidents.models import Incident
from warroom.notify.models import Delivery
from warroom.timeline.models import TimelineEntry

TIMERS = Timer.__table__
ESCALATIONS = Escalation.__table__
INCIDENTS = Incident.__table__
ENTRIES = TimelineEntry.__table__
DELIVERIES = Delivery.__table__

DELIVERY_COLUMNS = ("idempotency_key", "incident_id", "person_id", "channel_id",
                    "channel_type", "kind", "level", "status", "attempts", "next_attempt_at",
                    "created_at", "fallback_for")
ENTRY_COLUMNS = ("incident_id", "at", "kind", "type", "source", "actor", "summary", "details")
#: A timer moved on to its next step (or done after its last): its status, new due time
#: and payload, the batch's `now`.
ADVANCE_COLUMNS = ("status", "due_at", "payload", "fired_at", "id")


class Claimed(NamedTuple):
    """A due timer this transaction took (locked on PostgreSQL; SQLite's write transaction
    excludes every other writer). `incident_id` is in the store's representation
    (`Store.uuid` turns it into a UUID where one is needed)."""

    id: int
    incident_id: Any
    kind: str
    due_at: datetime
    generation: int
    payload: str  # JSON text: decoded once per distinct value by the caller


class State(NamedTuple):
    """An incident as a step needs it, with its escalation (None fields: no escalation)."""

    status: str
    severity: str
    escalation: str | None
    generation: int | None
    snapshot: str | None  # JSON text


class Store:
    """SQLAlchemy Core on any database (used on PostgreSQL)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # ---- values in this store's representation

    def time(self, value: datetime) -> Any:
        return value

    def uid(self, value: uuid.UUID) -> Any:
        return value

    def uuid(self, value: Any) -> uuid.UUID:
        """An incident id as the store represents it, as a UUID."""
        return value  # type: ignore[no-any-return]

    def text(self, value: Any) -> str:
        """An incident id as the store represents it, in the canonical dashed form."""
        return str(value)

    def json(self, value: Any) -> Any:
        return value

    # ---- statements

    def data_version(self) -> int | None:
        """A number that changes when another connection commits (SQLite); None where
        there is no such thing: batches cannot be decided ahead there."""
        return None

    def claim_rows(self, now: datetime, limit: int) -> list[tuple[Any, ...]]:
        """The claim's rows as read, to compare two reads (`decode_claim` decodes them)."""
        raise NotImplementedError("batches are decided ahead on SQLite only")

    def decode_claim(self, rows: list[tuple[Any, ...]]
                     ) -> tuple[list[Claimed], dict[Any, State]]:
        raise NotImplementedError("batches are decided ahead on SQLite only")

    def claim(self, now: datetime, limit: int) -> list[Claimed]:
        """Lock up to `limit` due timers and return them, oldest first. Concurrent
        workers skip the rows another one holds; `write` moves each on or marks it done."""
        rows = self.session.execute(
            select(TIMERS.c.id, TIMERS.c.incident_id, TIMERS.c.kind, TIMERS.c.due_at,
                   TIMERS.c.generation, cast(TIMERS.c.payload, Text))
            .where(TIMERS.c.status == "pending", TIMERS.c.due_at <= now)
            .order_by(TIMERS.c.due_at, TIMERS.c.id).limit(limit)
            .with_for_update(skip_locked=True)).all()
        return [Claimed(*r) for r in rows]

    def claim_with_states(self, now: datetime,
                          limit: int) -> tuple[list[Claimed], dict[Any, State]]:
        """`claim`, then the `states` of the claimed timers' incidents."""
        timers = self.claim(now, limit)
        return timers, (self.states(sorted({t.incident_id for t in timers})) if timers else {})

    def states(self, ids: Sequence[Any]) -> dict[Any, State]:
        """The incidents' states; their escalations locked in incident order, so two
        workers never wait on each other in a cycle (an acknowledgement holding one makes
        us wait for it, then see its new generation)."""
        escalations = {r[0]: r for r in self.session.execute(
            select(ESCALATIONS.c.incident_id, ESCALATIONS.c.status, ESCALATIONS.c.generation,
                   cast(ESCALATIONS.c.snapshot, Text))
            .where(ESCALATIONS.c.incident_id.in_(ids))
            .order_by(ESCALATIONS.c.incident_id).with_for_update())}
        out: dict[uuid.UUID, State] = {}
        for iid, status, severity in self.session.execute(
                select(INCIDENTS.c.id, INCIDENTS.c.status, INCIDENTS.c.severity)
                .where(INCIDENTS.c.id.in_(ids))):
            esc = escalations.get(iid)
            out[iid] = (State(status, severity, None, None, None) if esc is None
                        else State(status, severity, esc[1], esc[2], esc[3]))
        return out

    def write(self, deliveries: list[tuple[Any, ...]], entries: list[tuple[Any, ...]],
              advanced: list[tuple[Any, ...]], done: list[int], now: datetime) -> None:
        """Insert the deliveries and entries, move the `advanced` timers on to their next
        step (rows in `ADVANCE_COLUMNS` order) and mark the `done` ones (ids) done."""
        from sqlalchemy.dialects import postgresql  # this is the PostgreSQL store

        session = self.session
        if deliveries:
            stmt = postgresql.insert(DELIVERIES).on_conflict_do_nothing(
                index_elements=["idempotency_key"])
            session.execute(stmt, [dict(zip(DELIVERY_COLUMNS, r, strict=True))
                                   for r in deliveries])
        if entries:
            session.execute(insert(ENTRIES), [dict(zip(ENTRY_COLUMNS, r, strict=True))
                                              for r in entries])
        if advanced:
            session.execute(
                update(TIMERS).where(TIMERS.c.id == bindparam("tid"))
                .values(status=bindparam("st"), due_at=bindparam("due"),
                        payload=bindparam("body"), fired_at=bindparam("fired")),
                [{"st": st, "due": due, "body": body, "fired": fired, "tid": tid}
                 for st, due, body, fired, tid in advanced])
        if done:
            session.execute(update(TIMERS).where(TIMERS.c.id.in_(done))
                            .values(status="done", fired_at=now))


def _marks(n: int) -> str:
    return ",".join("?" * n)


_SQLITE_CLAIM = (
    "SELECT id, incident_id, kind, due_at, generation, payload FROM timers"
    " WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id LIMIT ?")
_SQLITE_DELIVERIES = (f"INSERT INTO deliveries ({', '.join(DELIVERY_COLUMNS)}) "
                      f"VALUES ({_marks(len(DELIVERY_COLUMNS))}) "
                      "ON CONFLICT (idempotency_key) DO NOTHING")
_SQLITE_ENTRIES = (f"INSERT INTO timeline_entries ({', '.join(ENTRY_COLUMNS)}) "
                   f"VALUES ({_marks(len(ENTRY_COLUMNS))})")
#: The claim and the incidents' states in one statement (no row locks to take in order).
_SQLITE_CLAIM_STATES = (
    "SELECT t.id, t.incident_id, t.kind, t.due_at, t.generation, t.payload,"
    " i.status, i.severity, e.status, e.generation, e.snapshot"
    " FROM timers t LEFT JOIN incidents i ON i.id = t.incident_id"
    " LEFT JOIN escalations e ON e.incident_id = t.incident_id"
    " WHERE t.status = 'pending' AND t.due_at <= ? ORDER BY t.due_at, t.id LIMIT ?")
_SQLITE_ADVANCE = ("UPDATE timers SET status = ?, due_at = ?, payload = ?, fired_at = ?"
                   " WHERE id = ?")
_SQLITE_DONE = "UPDATE timers SET status = 'done', fired_at = ? WHERE id = ?"
#: SQLite's default limit on host parameters is 32,766; a batch stays well below.
_IN_CHUNK = 5000


class SqliteStore(Store):
    """DB-API statements on the session's connection. The write transaction (BEGIN
    IMMEDIATE) excludes every other writer, so nothing needs a row lock."""

    def __init__(self, session: Session) -> None:
        super().__init__(session)
        self.cursor = session.connection().connection.dbapi_connection.cursor()
        self._values = SqliteValues()

    def time(self, value: datetime) -> str:
        return self._values.time(value)

    def _parse(self, text: str) -> datetime:
        return self._values.parse(text)

    def uid(self, value: uuid.UUID) -> str:
        return self._values.uid(value)

    def uuid(self, value: Any) -> uuid.UUID:
        return uuid.UUID(hex=value)

    def text(self, value: Any) -> str:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"

    def json(self, value: Any) -> str:
        return json_text(value)

    def claim(self, now: datetime, limit: int) -> list[Claimed]:
        stamp = self.time(now)
        parse = self._parse
        return [Claimed(tid, iid, kind, parse(due), generation, payload)
                for tid, iid, kind, due, generation, payload
                in self.cursor.execute(_SQLITE_CLAIM, (stamp, limit)).fetchall()]

    def data_version(self) -> int:
        return int(self.cursor.execute("PRAGMA data_version").fetchone()[0])

    def claim_rows(self, now: datetime, limit: int) -> list[tuple[Any, ...]]:
        return self.cursor.execute(_SQLITE_CLAIM_STATES, (self.time(now), limit)).fetchall()

    def decode_claim(self, rows: list[tuple[Any, ...]]
                     ) -> tuple[list[Claimed], dict[Any, State]]:
        parse = self._parse
        timers: list[Claimed] = []
        states: dict[Any, State] = {}
        for (tid, iid, kind, due, generation, payload, status, *state) in rows:
            timers.append(Claimed(tid, iid, kind, parse(due), generation, payload))
            if status is not None:
                states[iid] = State(status, *state)
        return timers, states

    def claim_with_states(self, now: datetime,
                          limit: int) -> tuple[list[Claimed], dict[Any, State]]:
        return self.decode_claim(self.claim_rows(now, limit))

    def states(self, ids: Sequence[Any]) -> dict[Any, State]:
        out: dict[Any, State] = {}
        for chunk in _chunks(list(ids), _IN_CHUNK):
            for hid, *state in self.cursor.execute(
                    "SELECT i.id, i.status, i.severity, e.status, e.generation, e.snapshot "
                    "FROM incidents i LEFT JOIN escalations e ON e.incident_id = i.id "
                    f"WHERE i.id IN ({_marks(len(chunk))})", chunk):
                out[hid] = State(*state)
        return out

    def write(self, deliveries: list[tuple[Any, ...]], entries: list[tuple[Any, ...]],
              advanced: list[tuple[Any, ...]], done: list[int], now: datetime) -> None:
        cursor = self.cursor
        if deliveries:
            cursor.executemany(_SQLITE_DELIVERIES, deliveries)
        if entries:
            cursor.executemany(_SQLITE_ENTRIES, entries)
        stamp = self.time(now)
        if advanced:
            cursor.executemany(_SQLITE_ADVANCE, advanced)
        if done:
            cursor.executemany(_SQLITE_DONE, [(stamp, tid) for tid in done])


def for_session(session: Session) -> Store:
    """The store for the session's database."""
    if session.get_bind().dialect.name == "sqlite":
        return SqliteStore(session)
    return Store(session)


def _chunks(values: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def next_due(session: Session) -> datetime | None:
    """When the earliest pending timer falls due (one lookup in the due index)."""
    return session.scalar(select(TIMERS.c.due_at).where(TIMERS.c.status == "pending")
                          .order_by(TIMERS.c.due_at).limit(1))

