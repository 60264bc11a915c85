"""Appending to and reading the timeline. Callers own the transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from warroom.db.sqlite_values import SqliteValues
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
    row = TimelineEntry(**entry(incident_id, kind=kind, type=type, summary=summary, at=at,
                                source=source, actor=actor, details=details))
    session.add(row)
    return row


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
        values = SqliteValues()
        session.connection().exec_driver_sql(
            "INSERT INTO timeline_entries (incident_id, at, kind, type, source, actor, "
            "summary, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(values.uid(r["incident_id"]), values.time(r["at"]), r["kind"], r["type"],
              r["source"], r["actor"], r["summary"], values.json(r["details"]))
             for r in rows])
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
