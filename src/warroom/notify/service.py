"""Deliveries: the outbox rows, their claiming, and what a send's outcome does.

Retries use exponential backoff with full jitter, never sooner than a provider's
Retry-After; after `MAX_ATTEMPTS` (or a permanent error) the delivery is dead-lettered and
the channel's fallback, if any, gets a new delivery. Every outcome lands on the timeline.
A failing channel never blocks escalation: levels fire from timers, not from sends.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from warroom.db.upsert import insert_ignore
from warroom.notify.models import Delivery
from warroom.timeline import service as timeline
from warroom.timeline.kinds import EntryType, Source

MAX_ATTEMPTS = 6
BASE_DELAY = 2.0
MAX_DELAY = 300.0
LEASE = timedelta(seconds=60)
ACTOR = "notifications"


def delivery_row(
    *, incident_id: uuid.UUID, person_id: str, channel_id: str, channel_type: str, kind: str,
    level: int | None, key: str, not_before: datetime, now: datetime,
    fallback_for: int | None = None,
) -> dict[str, object]:
    """The column values of a new pending delivery (columns that start empty are left out,
    which keeps a bulk insert of thousands of them cheaper)."""
    row: dict[str, object] = {
        "idempotency_key": key[:300], "incident_id": incident_id, "person_id": person_id,
        "channel_id": channel_id, "channel_type": channel_type, "kind": kind, "level": level,
        "status": "pending", "attempts": 0, "next_attempt_at": not_before, "created_at": now,
    }
    if fallback_for is not None:
        row["fallback_for"] = fallback_for
    return row


def enqueue_many(session: Session, rows: list[dict[str, object]]) -> int:
    """Insert deliveries whose idempotency key is new (one statement per 500); how many."""
    added = 0
    for i in range(0, len(rows), 500):
        added += len(insert_ignore(session, Delivery, rows[i:i + 500], "idempotency_key"))
    return added


def enqueue(
    session: Session, *, incident_id: uuid.UUID, person_id: str, channel_id: str,
    channel_type: str, kind: str, level: int | None, key: str, not_before: datetime,
    now: datetime, fallback_for: int | None = None,
) -> int:
    """Add a delivery unless one with the same idempotency key exists; 1 if added."""
    return enqueue_many(session, [delivery_row(
        incident_id=incident_id, person_id=person_id, channel_id=channel_id,
        channel_type=channel_type, kind=kind, level=level, key=key, not_before=not_before,
        now=now, fallback_for=fallback_for)])


def claim(session: Session, now: datetime, limit: int = 50) -> list[Delivery]:
    """Take due deliveries for sending; a crashed sender's lease expires and they return."""
    rows = list(session.scalars(
        select(Delivery).where(
            or_(
                (Delivery.status == "pending") & (Delivery.next_attempt_at <= now),
                (Delivery.status == "sending") & (Delivery.lease_until <= now),
            ))
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)
        .with_for_update(skip_locked=True)))
    for row in rows:
        row.status, row.lease_until = "sending", now + LEASE
        row.attempts += 1
    session.flush()
    return rows


def backoff(attempt: int, retry_after: float | None, rng: random.Random) -> float:
    """Seconds to wait before the next attempt: full jitter, at least Retry-After."""
    ceiling = min(MAX_DELAY, BASE_DELAY * 2 ** max(0, attempt - 1))
    delay = rng.uniform(0, ceiling)
    return max(delay, retry_after or 0.0)


@dataclass(frozen=True)
class Outcome:
    ok: bool
    retryable: bool = False
    detail: str = ""
    retry_after: float | None = None
    receipt: str | None = None


def _entry(session: Session, row: Delivery, kind: str, summary: str, now: datetime,
           **details: object) -> None:
    timeline.append(
        session, row.incident_id, kind=kind, type=EntryType.COMMUNICATION, at=now,
        source=Source.AUTOMATION, actor=ACTOR, summary=summary,
        details={"delivery": row.id, "person": row.person_id, "channel": row.channel_id,
                 "attempt": row.attempts, "delivery_kind": row.kind, **details},
    )


def record(
    session: Session, delivery_id: int, outcome: Outcome, now: datetime, *,
    fallbacks: Mapping[str, str], channel_types: Mapping[str, str],
    rng: random.Random | None = None,
) -> Delivery | None:
    """Apply a send's outcome to its row, in a new transaction after the send."""
    row = session.get(Delivery, delivery_id, with_for_update=True)
    if row is not None:
        _apply(session, row, outcome, now, fallbacks, channel_types, rng)
    return row


def record_many(
    session: Session, outcomes: Sequence[tuple[int, Outcome]], now: datetime, *,
    fallbacks: Mapping[str, str], channel_types: Mapping[str, str],
    rng: random.Random | None = None,
) -> list[tuple[Delivery, Outcome]]:
    """Apply the outcomes of a claim's sends: the rows locked with one SELECT (in id order,
    so two senders queue rather than deadlock), their changes and timeline entries written
    by the session's next flush (an UPDATE and an INSERT for the lot, not three
    statements per send). Returns each row found with its outcome."""
    ids = sorted({delivery_id for delivery_id, _ in outcomes})
    rows = {row.id: row for row in session.scalars(
        select(Delivery).where(Delivery.id.in_(ids)).order_by(Delivery.id).with_for_update())}
    applied: list[tuple[Delivery, Outcome]] = []
    for delivery_id, outcome in outcomes:
        row = rows.get(delivery_id)
        if row is not None:
            _apply(session, row, outcome, now, fallbacks, channel_types, rng)
            applied.append((row, outcome))
    return applied


def _apply(session: Session, row: Delivery, outcome: Outcome, now: datetime,
           fallbacks: Mapping[str, str], channel_types: Mapping[str, str],
           rng: random.Random | None) -> None:
    if row.status != "sending":
        return
    row.lease_until = None
    who = f"{row.kind} to {row.person_id} via {row.channel_id}"
    if outcome.ok:
        row.status, row.delivered_at, row.receipt = "delivered", now, outcome.receipt
        _entry(session, row, "notification.delivered", f"Delivered {who}", now,
               receipt=outcome.receipt)
        return
    row.last_error = outcome.detail[:2000]
    if outcome.retryable and row.attempts < MAX_ATTEMPTS:
        wait = backoff(row.attempts, outcome.retry_after, rng or random.Random())
        row.status, row.next_attempt_at = "pending", now + timedelta(seconds=wait)
        _entry(session, row, "notification.failed",
               f"Failed {who} (attempt {row.attempts}): {outcome.detail}; retry in {wait:.0f}s",
               now, error=outcome.detail, retry_in_seconds=round(wait, 1))
        return
    row.status = "dead"
    why = "permanent error" if not outcome.retryable else f"{row.attempts} attempts"
    _entry(session, row, "notification.dead_lettered",
           f"Gave up on {who} ({why}): {outcome.detail}", now, error=outcome.detail)
    fallback = fallbacks.get(row.channel_id)
    if fallback and fallback in channel_types and row.fallback_for is None:
        enqueue(session, incident_id=row.incident_id, person_id=row.person_id,
                channel_id=fallback, channel_type=channel_types[fallback], kind=row.kind,
                level=row.level, key=f"{row.idempotency_key}:fallback:{fallback}",
                not_before=now, now=now, fallback_for=row.id)
        _entry(session, row, "notification.fallback",
               f"Falling back to {fallback} for {row.person_id}", now, fallback=fallback)
