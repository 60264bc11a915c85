"""Silence use cases over stored rows. Callers own the transaction."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from warroom.errors import InvalidInput, NotFound
from warroom.routing.matchers import Matcher, MatcherError
from warroom.suppression.models import SilenceRow
from warroom.suppression.silences import (
    Silence,
    SilenceError,
    SilenceState,
    can_update_in_place,
    expire,
)


def to_silence(row: SilenceRow) -> Silence:
    return Silence(
        id=row.id, matchers=tuple(Matcher.from_api(m) for m in row.matchers),
        starts_at=row.starts_at, ends_at=row.ends_at, created_by=row.created_by,
        comment=row.comment, updated_at=row.updated_at,
    )


class _Changes:
    """Counts silence writes in this process, so cached active sets know to reload."""

    count = 0


def _store(row: SilenceRow, silence: Silence) -> None:
    _Changes.count += 1
    row.matchers = [m.to_dict() for m in silence.matchers]
    row.starts_at, row.ends_at = silence.starts_at, silence.ends_at
    row.created_by, row.comment, row.updated_at = (
        silence.created_by, silence.comment, silence.updated_at)


def build_silence(
    *, matchers: Sequence[Matcher], starts_at: datetime, ends_at: datetime, created_by: str,
    comment: str, now: datetime, silence_id: str | None = None,
) -> Silence:
    """Validate a silence; a start in the past begins now (as Alertmanager does)."""
    if ends_at <= now:
        raise InvalidInput("end time must be in the future")
    try:
        return Silence(
            id=silence_id or str(uuid.uuid4()), matchers=tuple(matchers),
            starts_at=max(starts_at, now), ends_at=ends_at, created_by=created_by,
            comment=comment, updated_at=now,
        )
    except (SilenceError, MatcherError) as exc:
        raise InvalidInput(str(exc)) from None


def upsert_silence(session: Session, silence: Silence, now: datetime,
                   existing_id: str | None = None) -> str:
    """Create, or update `existing_id`; an update that would rewrite history expires the
    old silence and stores the new one under a fresh id (Alertmanager's rule)."""
    if existing_id is None:
        row = SilenceRow(id=silence.id)
        _store(row, silence)
        session.add(row)
        session.flush()
        return silence.id
    row = session.get(SilenceRow, existing_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no silence {existing_id!r}")
    old = to_silence(row)
    if can_update_in_place(old, silence, now):
        _store(row, silence)
        return existing_id
    if old.state(now) is not SilenceState.EXPIRED:
        _store(row, expire(old, now))
    fresh = SilenceRow(id=str(uuid.uuid4()))
    _store(fresh, silence)
    session.add(fresh)
    session.flush()
    return fresh.id


def get_silence(session: Session, silence_id: str) -> Silence | None:
    row = session.get(SilenceRow, silence_id)
    return to_silence(row) if row else None


def require_silence(session: Session, silence_id: str) -> Silence:
    silence = get_silence(session, silence_id)
    if silence is None:
        raise NotFound(f"no silence {silence_id!r}")
    return silence


def expire_silence(session: Session, silence_id: str, now: datetime) -> Silence:
    row = session.get(SilenceRow, silence_id, with_for_update=True)
    if row is None:
        raise NotFound(f"no silence {silence_id!r}")
    try:
        expired = expire(to_silence(row), now)
    except SilenceError as exc:
        raise InvalidInput(str(exc)) from None
    _store(row, expired)
    return expired


def list_silences(session: Session) -> list[Silence]:
    return [to_silence(r) for r in session.scalars(
        select(SilenceRow).order_by(SilenceRow.ends_at.desc()))]


def active_silences(session: Session, now: datetime) -> list[Silence]:
    rows = session.scalars(select(SilenceRow).where(
        SilenceRow.ends_at > now, SilenceRow.starts_at <= now))
    return [to_silence(r) for r in rows]


AHEAD = timedelta(minutes=1)


class ActiveSilences:
    """The active silences, re-read at most every `ttl` seconds and at once after a silence
    is written in this process (the alert pipeline asks for every batch). A silence written
    by another process (the CLI on the same database, another API process) applies within
    `ttl`; with `shared` (several server processes: `serve --workers`), at once, for one
    small query per batch that says whether any silence was written since the last read.
    """

    def __init__(self, ttl: float = 1.0, *, shared: bool = False) -> None:
        self.ttl, self.shared = ttl, shared
        self._loaded: list[Silence] = []
        self._until = 0.0
        self._seen = -1
        self._version: tuple[Any, ...] | None = None
        self._at: datetime | None = None

    def get(self, session: Session, now: datetime) -> list[Silence]:
        clock = time.monotonic()
        version = _written(session) if self.shared else None
        if (clock >= self._until or self._seen != _Changes.count or self._at is None
                or not self._at <= now < self._at + AHEAD or version != self._version):
            self._seen, self._version = _Changes.count, version
            self._loaded = active_silences_until(session, now)
            self._until, self._at = clock + self.ttl, now
        return [s for s in self._loaded if s.is_active(now)]


def _written(session: Session) -> tuple[Any, ...]:
    """Changes whenever a silence is added, updated or expired (each sets updated_at)."""
    return tuple(session.execute(select(func.count(), func.max(SilenceRow.updated_at))).one())


def active_silences_until(session: Session, now: datetime) -> list[Silence]:
    """Active now, or starting within the next minute (so a cached set stays right)."""
    rows = session.scalars(select(SilenceRow).where(
        SilenceRow.ends_at > now, SilenceRow.starts_at <= now + AHEAD))
    return [to_silence(r) for r in rows]
