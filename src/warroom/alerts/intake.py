"""Alerts accepted under load and processed right after: the durable copy in between.

A Prometheus that posts one alert a request keeps only as many requests in flight as
it has connections. If each is answered only once its alerts are deduplicated and
correlated, the alert writer never sees more than that many alerts at a time, and a
transaction's fixed costs (the correlation groups, the incidents, the timeline, the
commit) are paid for a handful of alerts. Under load the writer instead stores each
request's body here, commits, answers, and processes the accepted requests afterwards
in batches as large as the backlog: a 2xx still means the alerts are on disk.

The body is kept as it came, with the integration and the time it was received, so a
row can be parsed again exactly as it was the first time: by the writer that accepted
it (which still holds the parsed alerts and skips the parse), or after that writer's
process stopped, by any writer that finds it. Processing deletes the row in the same
transaction; whichever writer deletes it first is the one that processes it.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import orjson
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from warroom.alerts import store
from warroom.alerts.formats import require_format
from warroom.alerts.model import IncomingAlert
from warroom.alerts.models import AlertIntake
from warroom.db.sqlite_values import SqliteValues
from warroom.integrations.models import Integration

if TYPE_CHECKING:
    from warroom.alerts.service import Outcome, Sender

ERROR_LENGTH = 2000  # characters of a processing error kept on a failed row


@dataclass(eq=False)
class Intake:
    """What a request needs to be accepted before it is processed: its body as it came,
    for the row, and `on_processed`, told the outcome (or the exception) once it is
    processed. `id` is the row's, once journaled."""

    integration_id: uuid.UUID
    format: str
    body: bytes
    on_processed: Callable[[Outcome | BaseException], None] | None = None
    id: int | None = None


def journal(session: Session, intakes: Sequence[Intake], counts: Sequence[int],
            received_at: Sequence[datetime]) -> None:
    """Store the requests (`counts`: how many of each body's alerts were taken) and set
    each intake's `id`.

    Ids are random 63-bit numbers chosen here, never reused as a database sequence may
    reuse a deleted row's: a writer holding an id must not claim another request's row.
    One driver statement a batch: through SQLAlchemy's insert with RETURNING, a tenth of
    the event loop's share of the GIL went here at one alert a request."""
    ids = [random.getrandbits(63) for _ in intakes]
    if session.get_bind().dialect.name == "sqlite":
        values = SqliteValues()
        rows = [(row_id, values.time(at), i.integration_id and i.integration_id.hex,
                 i.format, i.body, n)
                for row_id, i, n, at in zip(ids, intakes, counts, received_at, strict=True)]
        store.sqlite_many(session, _sqlite_insert, rows)
    else:
        rows = [(row_id, at, i.integration_id, i.format, i.body, n)
                for row_id, i, n, at in zip(ids, intakes, counts, received_at, strict=True)]
        cursor = session.connection().connection.dbapi_connection.cursor()
        cursor.executemany(f"{_INSERT} VALUES (%s, %s, %s, %s, %s, %s)", rows)
    for intake, row_id in zip(intakes, ids, strict=True):
        intake.id = row_id


_INSERT = ("INSERT INTO alert_intake (id, received_at, integration_id, format, body, "
           "alert_count)")


@lru_cache(maxsize=32)
def _sqlite_insert(rows: int) -> str:
    return f"{_INSERT} VALUES {store.row_marks(rows, 6)}"


def claim(session: Session, ids: Sequence[int]) -> set[int]:
    """Delete these rows and return the ids that were still there: the caller processes
    exactly those, in this transaction. A row another writer deleted first is its own."""
    if not ids:
        return set()
    return set(session.scalars(
        delete(AlertIntake).where(AlertIntake.id.in_(ids)).returning(AlertIntake.id)))


def orphans(session: Session, *, received_before: datetime, excluding: set[int],
            limit: int) -> list[AlertIntake]:
    """Rows older than `received_before` that nobody is processing (`excluding`: the
    ids the caller still holds), oldest first; failed rows are left alone."""
    query = (select(AlertIntake)
             .where(AlertIntake.received_at < received_before, AlertIntake.failed_at.is_(None))
             .order_by(AlertIntake.received_at, AlertIntake.id)
             .limit(limit + len(excluding)))
    return [row for row in session.scalars(query) if row.id not in excluding][:limit]


def mark_failed(session: Session, row_id: int, error: BaseException, at: datetime) -> None:
    """Keep the row, with why it could not be processed, out of later sweeps."""
    text = f"{type(error).__name__}: {error}"[:ERROR_LENGTH]
    session.execute(update(AlertIntake).where(AlertIntake.id == row_id)
                    .values(failed_at=at, error=text))


# Per integration object (the key cache hands out the same one for a couple of seconds):
# building these on every request of a storm cost ~4 % of the event loop's time.
@lru_cache(maxsize=256)
def sender_of(integration: Integration) -> Sender:
    from warroom.alerts.service import Sender

    # Timeline actors are at most 200 characters, integration names too.
    return Sender(name=f"integration:{integration.name}"[:200],
                  integration_id=integration.id, service=integration.service)


def parse_options(integration: Integration, options: Mapping[str, Any] | None = None
                  ) -> Mapping[str, Any]:
    """What a format's parser is given for this integration (read-only)."""
    if not options:
        return _integration_options(integration)
    return {"dedup_scope": str(integration.id), **options, **(integration.options or {})}


@lru_cache(maxsize=256)
def _integration_options(integration: Integration) -> Mapping[str, Any]:
    return MappingProxyType({"dedup_scope": str(integration.id),
                             **(integration.options or {})})


def revive(session: Session, row: AlertIntake) -> tuple[Sender, list[IncomingAlert]]:
    """The sender and alerts of a stored row, parsed as when it was received."""
    from warroom.alerts.service import Sender

    integration = session.get(Integration, row.integration_id) if row.integration_id else None
    payload = orjson.loads(row.body)
    if integration is None:  # deleted since: its alerts still count
        sender, options = Sender(name="integration:(deleted)"), {}
    else:
        sender, options = sender_of(integration), parse_options(integration)
    parsed = require_format(row.format).parse(payload, now=row.received_at, options=options)
    return sender, parsed.alerts[: row.alert_count]


def counts(session: Session) -> tuple[int, int]:
    """How many rows wait to be processed, and how many are kept as failed."""
    failed = AlertIntake.failed_at.is_not(None)
    waiting, failed_count = session.execute(
        select(func.count().filter(~failed), func.count().filter(failed))
        .select_from(AlertIntake)).one()
    return waiting, failed_count


def held(session: Session) -> list[AlertIntake]:
    """Every row: failed ones first (they need a person), then waiting, oldest first."""
    return list(session.scalars(select(AlertIntake).order_by(
        AlertIntake.failed_at.is_(None), AlertIntake.received_at, AlertIntake.id)))


def retry(session: Session, ids: Sequence[int] | None = None) -> int:
    """Clear the failure of these failed rows (all failed rows without `ids`), so the next
    sweep processes them again; how many there were."""
    query = update(AlertIntake).where(AlertIntake.failed_at.is_not(None))
    if ids is not None:
        query = query.where(AlertIntake.id.in_(ids))
    return session.execute(query.values(failed_at=None, error=None)).rowcount  # type: ignore[attr-defined]
