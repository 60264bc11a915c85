"""Appending to and reading the timeline. Callers own the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from warroom.timeline.kinds import EntryType, Source
from warroom.timeline.models import TimelineEntry


def append(
    session: Session,
    incident_id: uuid.UUID,
    *,
    kind: str,
    type: EntryType,
    summary: str,
    at: datetime,
    source: Source = Source.HUMAN,
    actor: str | None = None,
    details: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Add an entry in the caller's transaction, so it lands with the change it describes."""
    entry = TimelineEntry(
        incident_id=incident_id,
        kind=kind,
        type=type.value,
        source=source.value,
        actor=actor,
        summary=summary,
        at=at,
        details=details or {},
    )
    session.add(entry)
    return entry


def entry(
    incident_id: uuid.UUID,
    *,
    kind: str,
    type: EntryType,
    summary: str,
    at: datetime,
    source: Source = Source.HUMAN,
    actor: str | None = None,
    details: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An entry as a row, for `append_all`."""
    return {"incident_id": incident_id, "kind": kind, "type": type.value,
            "source": source.value, "actor": actor, "summary": summary, "at": at,
            "details": details or {}}


def append_all(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add several entries with one statement (the alert pipeline's many small entries);
    the caller flushes pending ORM entries first if they must come before these."""
    if not rows:
        return
    if session.get_bind().dialect.name == "sqlite":  # as SQLAlchemy's types store them
        times: dict[datetime, str] = {}

        def when(at: datetime) -> str:
            if at not in times:
                times[at] = at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            return times[at]

        session.connection().exec_driver_sql(
            "INSERT INTO timeline_entries (incident_id, at, kind, type, source, actor, "
            "summary, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(r["incident_id"].hex, when(r["at"]), r["kind"], r["type"], r["source"],
              r["actor"], r["summary"], orjson.dumps(r["details"]).decode()) for r in rows])
        return
    session.execute(insert(TimelineEntry.__table__), list(rows))


def entries(
    session: Session, incident_id: uuid.UUID, types: Sequence[str] | None = None
) -> list[TimelineEntry]:
    """The incident's timeline, oldest first."""
    query = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
    if types:
        query = query.where(TimelineEntry.type.in_(list(types)))
    return list(session.scalars(query.order_by(TimelineEntry.at, TimelineEntry.id)))
