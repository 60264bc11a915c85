"""Values as SQLAlchemy's column types store them on SQLite, for plain driver statements.

The hot paths (alert ingest, timer firing, their timeline entries) skip SQLAlchemy's
per-row parameter processing on SQLite and hand the driver values already in the stored
form, so rows written either way read back the same through the ORM: times as naive UTC
text (`UTCDateTime`), UUIDs as 32 hex digits (`Uuid`), JSON as text written by orjson (the
engine's `json_serializer`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def json_text(value: Any) -> str:
    """JSON as every JSON column is written (SQLite text; PostgreSQL jsonb input)."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def parse_time(text: str | None) -> datetime | None:
    """A stored time read back aware (UTC)."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


class SqliteValues:
    """Converters for one batch. A batch shares few timestamps (its `now`, the start and
    end Prometheus repeats, one due instant), so each is formatted or parsed once."""

    def __init__(self) -> None:
        self._times: dict[datetime, str] = {}
        self._parsed: dict[str, datetime] = {}

    def time(self, value: datetime) -> str:
        text = self._times.get(value)
        if text is None:
            if value.tzinfo is None:  # as UTCDateTime: never guess the zone of a naive time
                raise ValueError("naive datetime given to a UTC column")
            text = self._times[value] = value.astimezone(UTC).strftime(TIME_FORMAT)
        return text

    def parse(self, text: str) -> datetime:
        value = self._parsed.get(text)
        if value is None:
            value = self._parsed[text] = datetime.fromisoformat(text).replace(tzinfo=UTC)
        return value

    @staticmethod
    def uid(value: uuid.UUID) -> str:
        return value.hex

    json = staticmethod(json_text)
