"""Bulk reads and writes of alert rows for the ingest pipeline.

Statements, not ORM objects: a batch of a thousand alerts is a handful of statements
(one INSERT for the new ones, one locked SELECT for the known ones, one UPDATE per kind
of change), so the cost per alert is the row's bytes, not an object's bookkeeping.

On SQLite the every-batch statements are single statements over many rows (multi-row
VALUES, `UPDATE … FROM (VALUES …)`, a SELECT that answers in one JSON row), not
`executemany` or a row-per-step cursor. Python's sqlite3 releases the GIL around every
step of a statement, and a thread taking it back waits for the event loop's turn, up to
the 5 ms switch interval while requests are being parsed: with a busy loop, inserting
1,000 rows by `executemany` took ~850 µs a row, and 25 µs as two multi-row statements.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import String, bindparam, func, select, update
from sqlalchemy.orm import Session

from warroom.alerts.models import Alert, AlertGroup
from warroom.db.sqlite_values import SqliteValues, json_text, parse_time
from warroom.db.upsert import insert_ignore

CHUNK = 500
ROWS_PER_STATEMENT = 500  # SQLite: x 23 columns, well under its 32,766 parameters
TABLE = Alert.__table__
_C = TABLE.c


@dataclass(slots=True)
class StoredAlert:
    """What the pipeline needs of a stored alert: its state before this batch."""

    fingerprint: str
    content_hash: str
    status: str
    route_id: str | None
    group_key: str | None
    service: str | None
    suppressed: dict[str, Any]
    incident_id: uuid.UUID | None
    ends_at: datetime | None


_STORED_COLUMNS = (_C.fingerprint, _C.content_hash, _C.status, _C.route_id,
                   _C.group_key, _C.service, _C.suppressed, _C.incident_id, _C.ends_at)


def insert_new(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """Insert rows for fingerprints the caller found unknown; return those inserted.

    On PostgreSQL a concurrent writer inserting the same fingerprint makes this one wait
    and then skip it (ON CONFLICT DO NOTHING), so the caller treats it as known and locks
    it. On SQLite the write transaction excludes other writers, so every row is new and
    goes in through one plain executemany (no per-row statement compilation).
    """
    if not rows:
        return set()
    if session.get_bind().dialect.name == "sqlite":
        values = _SqliteRows()
        sqlite_many(session, _sqlite_insert, [values.row(r) for r in rows])
        return {r["fingerprint"] for r in rows}
    return _pg_insert(session, rows)


def _pg_insert(session: Session, rows: Sequence[dict[str, Any]]) -> set[str]:
    """One statement for the batch, its rows one JSON parameter the server unpacks
    (`_pg_rows`). Read as `jsonb`: `json_to_recordset` parses every nested value again
    for its column (labels, annotations, raw), which took 41 of 84 ms for 1,000 new
    alerts; `jsonb_to_recordset` unpacked them in 14.5 (EXPLAIN ANALYZE, 55 ms in all)."""
    with _pg_cursor(session) as cursor:
        cursor.execute(_pg_unnest_insert(), (_pg_rows(rows, _COLUMNS),))
        return {fp for (fp,) in cursor}


@lru_cache(maxsize=1)
def _pg_unnest_insert() -> str:
    from sqlalchemy.dialects import postgresql

    dialect = postgresql.dialect()

    def type_of(name: str) -> str:
        if name in _JSON:
            return "jsonb"
        if TABLE.c[name].foreign_keys:  # typed from the referenced table once loaded
            return "uuid"
        if isinstance(TABLE.c[name].type, String):  # the column checks its width
            return "text"
        return TABLE.c[name].type.compile(dialect)

    names = ", ".join(_COLUMNS)
    return (f"INSERT INTO alerts ({names}) SELECT {names} FROM jsonb_to_recordset(%s::jsonb) "
            f"AS v({', '.join(f'{name} {type_of(name)}' for name in _COLUMNS)}) "
            "ON CONFLICT (fingerprint) DO NOTHING RETURNING fingerprint")


def _pg_rows(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> str:
    """Rows as one JSON array of objects, for `jsonb_to_recordset`: a statement a row,
    even pipelined, cost ~20 µs of client CPU a row, and psycopg builds array parameters
    in Python; orjson writes the whole batch (times, UUIDs, nested JSON) in C."""
    return orjson.dumps([{name: r[name] for name in names} for r in rows],
                        option=orjson.OPT_NON_STR_KEYS).decode()


_COLUMNS = [c.name for c in TABLE.columns if c.name != "id"]


def row_marks(rows: int, columns: int) -> str:
    """`(?, ?), (?, ?)`: the VALUES of a multi-row statement."""
    one = f"({', '.join('?' * columns)})"
    return ", ".join([one] * rows)


def sqlite_many(session: Session, statement: Callable[[int], str],
                 rows: Sequence[tuple[Any, ...]]) -> None:
    """Run `statement(n)` (a multi-row statement for n rows) over `rows`, as few
    statements as SQLite's parameter limit allows."""
    connection = session.connection()
    for i in range(0, len(rows), ROWS_PER_STATEMENT):
        part = rows[i:i + ROWS_PER_STATEMENT]
        connection.exec_driver_sql(statement(len(part)), tuple(v for row in part for v in row))


@lru_cache(maxsize=64)
def _sqlite_insert(rows: int) -> str:
    return f"INSERT INTO alerts ({', '.join(_COLUMNS)}) VALUES {row_marks(rows, len(_COLUMNS))}"



_JSON = {c.name for c in TABLE.columns if c.name in ("labels", "annotations", "suppressed", "raw")}


class _SqliteRows(SqliteValues):
    """Alert rows in the stored form (see `db.sqlite_values`), in `_COLUMNS` order.

    Spelled out rather than converted column by column through a list of converters:
    every new alert of a storm passes here, and the generic loop cost ~4 µs a row."""

    def row(self, r: dict[str, Any]) -> tuple[Any, ...]:
        time = self.time
        integration, incident, suppressed = r["integration_id"], r["incident_id"], r["suppressed"]
        return (
            r["fingerprint"], r["content_hash"], r["status"], _json(r["labels"]),
            _json(r["annotations"]), r["summary"], r["severity_hint"], r["dedup_key"],
            r["generator_url"], r["source_format"], integration and integration.hex,
            _time(time, r["starts_at"]), _time(time, r["ends_at"]),
            _time(time, r["first_seen_at"]), _time(time, r["last_seen_at"]),
            _time(time, r["updated_at"]), r["receive_count"], r["route_id"], r["group_key"],
            r["service"], "{}" if suppressed == {} else _json(suppressed),
            incident and incident.hex, _json(r["raw"]))


def _json(value: Any) -> str | None:
    return None if value is None else json_text(value)


def _time(time: Callable[[datetime], str], value: datetime | None) -> str | None:
    return None if value is None else time(value)


_ROW_ORDER = ("fingerprint", "content_hash", "status", "labels", "annotations", "summary",
              "severity_hint", "dedup_key", "generator_url", "source_format", "integration_id",
              "starts_at", "ends_at", "first_seen_at", "last_seen_at", "updated_at",
              "receive_count", "route_id", "group_key", "service", "suppressed", "incident_id",
              "raw")
assert tuple(_COLUMNS) == _ROW_ORDER, "alerts columns changed: update _SqliteRows.row"


def lock_known(session: Session, fingerprints: Sequence[str]) -> dict[str, StoredAlert]:
    """The stored state of these alerts, row-locked until commit (PostgreSQL; SQLite's
    write transaction already excludes other writers). Locks are taken in the caller's
    (sorted) order, so concurrent batches queue instead of deadlocking."""
    found: dict[str, StoredAlert] = {}
    sqlite_db = session.get_bind().dialect.name == "sqlite"
    times = SqliteValues()
    for i in range(0, len(fingerprints), CHUNK):
        chunk = fingerprints[i:i + CHUNK]
        if sqlite_db:  # the every-batch statement: one step, no per-row type processing
            marks = ", ".join("?" * len(chunk))
            rows = session.connection().exec_driver_sql(
                f"SELECT json_group_array(json_array({_STORED_NAMES})) FROM alerts "
                f"WHERE fingerprint IN ({marks})", tuple(chunk)).scalar()
            incidents: dict[str, uuid.UUID] = {}  # a batch's alerts share a few incidents
            for fp, hash_, status, route, group, service, suppressed, incident, ends in \
                    orjson.loads(rows or "[]"):
                if incident and incident not in incidents:
                    incidents[incident] = uuid.UUID(hex=incident)
                found[fp] = StoredAlert(
                    fp, hash_, status, route, group, service,
                    orjson.loads(suppressed) if suppressed and suppressed != "{}" else {},
                    incidents[incident] if incident else None,
                    times.parse(ends) if ends else None)
            continue
        with _pg_cursor(session) as cursor:  # one array parameter, rows as the driver reads
            cursor.execute(_PG_LOCK_KNOWN, (orjson.dumps(chunk).decode(),))
            for fp, hash_, status, route, group, service, suppressed, incident, ends in cursor:
                found[fp] = StoredAlert(fp, hash_, status, route, group, service,
                                        suppressed or {}, incident, ends)
    return found


_PG_LOCK_KNOWN = (f"SELECT {', '.join(c.name for c in _STORED_COLUMNS)} FROM alerts "
                  "WHERE fingerprint IN (SELECT jsonb_array_elements_text(%s::jsonb)) "
                  "ORDER BY fingerprint FOR UPDATE")


def _pg_cursor(session: Session) -> Any:
    """A psycopg cursor on the session's connection, for statements that take a whole
    batch as one parameter (SQLAlchemy's executemany runs one statement a row)."""
    return session.connection().connection.dbapi_connection.cursor()


_STORED_NAMES = ", ".join(c.name for c in _STORED_COLUMNS)


_TOUCH = (update(TABLE).where(_C.fingerprint == bindparam("fp"))
          .values(receive_count=_C.receive_count + bindparam("n"),
                  last_seen_at=bindparam("now"), ends_at=bindparam("ends")))
_TOUCH_ROUTED = _TOUCH.values(route_id=bindparam("route"), group_key=bindparam("group"),
                              service=bindparam("svc"), suppressed=bindparam("supp"))
_REWRITE = _TOUCH_ROUTED.values(
    content_hash=bindparam("hash"), status=bindparam("st"), labels=bindparam("lab"),
    annotations=bindparam("ann"), summary=bindparam("sum"), severity_hint=bindparam("sev"),
    generator_url=bindparam("gen"), raw=bindparam("rawv"), updated_at=bindparam("now"),
    starts_at=func.coalesce(bindparam("starts", type_=_C.starts_at.type), _C.starts_at))


def _run(session: Session, stmt: Any, params: list[dict[str, Any]]) -> None:
    for i in range(0, len(params), CHUNK):
        session.execute(stmt, params[i:i + CHUNK])


def touch(session: Session, params: list[dict[str, Any]]) -> None:
    """Unchanged repeats: count and last-seen (keys fp, n, now, ends)."""
    if not params:
        return
    if session.get_bind().dialect.name == "sqlite":  # Prometheus' resends: the common case
        values = SqliteValues()
        sqlite_many(session, _sqlite_touch, [
            (p["n"], values.time(p["now"]), values.time(p["ends"]) if p["ends"] else None,
             p["fp"]) for p in params])
        return
    with _pg_cursor(session) as cursor:
        cursor.execute(_PG_TOUCH, (_pg_rows(params, ("fp", "n", "now", "ends")),))


_PG_TOUCH = ("UPDATE alerts SET receive_count = receive_count + v.n, last_seen_at = v.now, "
             "ends_at = v.ends FROM jsonb_to_recordset(%s::jsonb) "
             "AS v(fp text, n int, now timestamptz, ends timestamptz) "
             "WHERE alerts.fingerprint = v.fp")
_PG_SEEN = ("UPDATE alerts SET receive_count = receive_count + v.n, last_seen_at = v.now "
            "FROM jsonb_to_recordset(%s::jsonb) AS v(fp text, n int, now timestamptz) "
            "WHERE alerts.fingerprint = v.fp")


def seen(session: Session, params: list[dict[str, Any]]) -> None:
    """Unchanged repeats whose end time is the stored one too: count and last-seen only
    (keys fp, n, now). Writing an equal `ends_at` still rewrites its index entry, which
    cost more than the rest of the update (1.9 against 3.3 µs an alert on SQLite)."""
    if not params:
        return
    if session.get_bind().dialect.name == "sqlite":
        values = SqliteValues()
        sqlite_many(session, _sqlite_seen, [(p["n"], values.time(p["now"]), p["fp"])
                                             for p in params])
        return
    with _pg_cursor(session) as cursor:
        cursor.execute(_PG_SEEN, (_pg_rows(params, ("fp", "n", "now")),))


@lru_cache(maxsize=64)
def _sqlite_seen(rows: int) -> str:
    return ("UPDATE alerts SET receive_count = receive_count + v.column1, "
            "last_seen_at = v.column2 "
            f"FROM (VALUES {row_marks(rows, 3)}) AS v WHERE alerts.fingerprint = v.column3")


@lru_cache(maxsize=64)
def _sqlite_touch(rows: int) -> str:
    return ("UPDATE alerts SET receive_count = receive_count + v.column1, "
            "last_seen_at = v.column2, ends_at = v.column3 "
            f"FROM (VALUES {row_marks(rows, 4)}) AS v WHERE alerts.fingerprint = v.column4")


def touch_routed(session: Session, params: list[dict[str, Any]]) -> None:
    """Unchanged repeats whose route or suppression changed (adds route, group, svc, supp)."""
    if params:
        _run(session, _TOUCH_ROUTED, params)


def rewrite(session: Session, params: list[dict[str, Any]]) -> None:
    """Repeats whose content or status changed: every field the sender controls."""
    if params:
        _run(session, _REWRITE, params)


def attach(session: Session, pairs: Iterable[tuple[str, uuid.UUID]]) -> None:
    """Point alerts (by fingerprint) at the incident they now feed."""
    pairs = list(pairs)
    if not pairs:
        return
    if session.get_bind().dialect.name == "sqlite":  # every batch: one statement
        sqlite_many(session, _sqlite_attach,
                     [(fp, incident_id.hex) for fp, incident_id in pairs])
        return
    # PostgreSQL: one round trip, not one per incident
    with session.connection().connection.dbapi_connection.cursor() as cursor:
        for i in range(0, len(pairs), ROWS_PER_STATEMENT):
            part = pairs[i:i + ROWS_PER_STATEMENT]
            cursor.execute(_pg_attach(len(part)),
                           [v for fp, incident_id in part for v in (fp, incident_id)])


@lru_cache(maxsize=64)
def _pg_attach(rows: int) -> str:
    values = ", ".join(["(%s, %s::uuid)"] * rows)
    return ("UPDATE alerts SET incident_id = v.inc "
            f"FROM (VALUES {values}) AS v(fp, inc) WHERE alerts.fingerprint = v.fp")


@lru_cache(maxsize=64)
def _sqlite_attach(rows: int) -> str:
    return ("UPDATE alerts SET incident_id = v.column2 "
            f"FROM (VALUES {row_marks(rows, 2)}) AS v WHERE alerts.fingerprint = v.column1")


def firing_label_sets(session: Session) -> dict[str, dict[str, str]]:
    """fingerprint → labels of every firing alert: the sources inhibition rules look at."""
    query = select(_C.fingerprint, _C.labels).where(_C.status == "firing")
    return {fingerprint: labels for fingerprint, labels in session.execute(query)}


# --------------------------------------------------------------------------- groups

GROUPS = AlertGroup.__table__


@dataclass(slots=True)
class Group:
    """A correlation group as a batch sees and changes it (written back by `save_groups`)."""

    key: str
    incident_id: uuid.UUID | None
    last_alert_at: datetime | None
    changed: bool = False


def lock_groups(session: Session, keys: Sequence[str], *,
                shared: bool = False) -> dict[str, Group]:
    """Lock the groups (in the caller's key order), creating the missing ones first.

    One statement when the groups exist (the usual case); on PostgreSQL a race with
    another writer creating the same group ends in a deadlock the writer retries.
    `shared` (PostgreSQL): share locks, for a batch that only reads the groups (other
    such batches hold them too); missing groups are left out, not created.
    """
    found = _select_groups(session, keys, shared=shared)
    missing = [k for k in keys if k not in found]
    if missing and not shared:
        insert_ignore(session, AlertGroup, [
            {"group_key": k, "route_id": k.split(":", 1)[0], "incident_id": None,
             "last_alert_at": None} for k in missing], "group_key")
        found.update(_select_groups(session, missing))
    return found


def _select_groups(session: Session, keys: Sequence[str], *,
                   shared: bool = False) -> dict[str, Group]:
    found: dict[str, Group] = {}
    sqlite_db = session.get_bind().dialect.name == "sqlite"
    for i in range(0, len(keys), CHUNK):
        chunk = keys[i:i + CHUNK]
        if sqlite_db:  # every batch reads its groups: no per-row type processing
            rows = session.connection().exec_driver_sql(
                "SELECT group_key, incident_id, last_alert_at FROM alert_groups "
                f"WHERE group_key IN ({', '.join('?' * len(chunk))})", tuple(chunk))
            for key, incident, last in rows:
                found[key] = Group(key, uuid.UUID(hex=incident) if incident else None,
                                   parse_time(last))
            continue
        query = (select(GROUPS.c.group_key, GROUPS.c.incident_id, GROUPS.c.last_alert_at)
                 .where(GROUPS.c.group_key.in_(chunk))
                 .order_by(GROUPS.c.group_key).with_for_update(read=shared))
        for key, incident_id, last_alert_at in session.execute(query):
            found[key] = Group(key, incident_id, last_alert_at)
    return found


_SAVE_GROUP = (update(GROUPS).where(GROUPS.c.group_key == bindparam("key"))
               .values(incident_id=bindparam("inc"), last_alert_at=bindparam("at")))


def save_groups(session: Session, groups: Iterable[Group]) -> None:
    changed = [g for g in groups if g.changed]
    if not changed:
        return
    if session.get_bind().dialect.name == "sqlite":
        values = SqliteValues()
        session.connection().exec_driver_sql(
            "UPDATE alert_groups SET incident_id = ?, last_alert_at = ? WHERE group_key = ?",
            [(g.incident_id.hex if g.incident_id else None,
              values.time(g.last_alert_at) if g.last_alert_at else None, g.key)
             for g in changed])
        return
    _run(session, _SAVE_GROUP, [{"key": g.key, "inc": g.incident_id, "at": g.last_alert_at}
                                for g in changed])

