"""Silences: operator-created, time-boxed mutes with Alertmanager semantics.

Silences are data (API/CLI), not config; this module only decides state and matching.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from warroom.routing.matchers import Matcher, matches_all

__all__ = [
    "Silence",
    "SilenceError",
    "SilenceState",
    "can_update_in_place",
    "expire",
    "silencing",
]


class SilenceError(ValueError):
    """A silence violates Alertmanager's validation rules."""


class SilenceState(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    EXPIRED = "expired"


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise SilenceError(f"{name} must be timezone-aware")


@dataclass(frozen=True)
class Silence:
    """A silence; active for `starts_at <= now < ends_at`."""

    id: str
    matchers: tuple[Matcher, ...]
    starts_at: datetime
    ends_at: datetime
    created_by: str
    comment: str
    updated_at: datetime

    def __post_init__(self) -> None:
        object.__setattr__(self, "matchers", tuple(self.matchers))
        if not self.matchers:
            raise SilenceError("at least one matcher required")
        if all(m.matches_value("") for m in self.matchers):
            # Such a silence would mute every alert, including ones without the label.
            raise SilenceError("at least one matcher must not match the empty string")
        for name in ("starts_at", "ends_at", "updated_at"):
            _require_aware(name, getattr(self, name))
        if self.ends_at < self.starts_at:
            raise SilenceError("end time must not be before start time")

    def state(self, now: datetime) -> SilenceState:
        """Pending before `starts_at`, active until `ends_at` (exclusive), then expired."""
        if now < self.starts_at:
            return SilenceState.PENDING
        if now < self.ends_at:
            return SilenceState.ACTIVE
        return SilenceState.EXPIRED

    def is_active(self, now: datetime) -> bool:
        return self.state(now) is SilenceState.ACTIVE

    def mutes(self, labels: Mapping[str, str], now: datetime) -> bool:
        """Active and every matcher matches the label set."""
        return self.is_active(now) and matches_all(self.matchers, labels)

    def to_api(self, now: datetime) -> dict[str, Any]:
        """The API v2 `gettableSilence` shape (times as RFC 3339 UTC with milliseconds)."""
        return {
            "id": self.id,
            "status": {"state": self.state(now).value},
            "updatedAt": _rfc3339(self.updated_at),
            "comment": self.comment,
            "createdBy": self.created_by,
            "startsAt": _rfc3339(self.starts_at),
            "endsAt": _rfc3339(self.ends_at),
            "matchers": [m.to_dict() for m in self.matchers],
        }


def _rfc3339(value: datetime) -> str:
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def silencing(
    labels: Mapping[str, str], silences: Iterable[Silence], now: datetime
) -> list[str]:
    """Ids of the active silences that mute this label set, in input order."""
    return [s.id for s in silences if s.mutes(labels, now)]


def expire(silence: Silence, now: datetime) -> Silence:
    """Alertmanager's expire: end an active silence now, or collapse a pending one to now."""
    state = silence.state(now)
    if state is SilenceState.EXPIRED:
        raise SilenceError(f"silence {silence.id} already expired")
    if state is SilenceState.PENDING:
        return replace(silence, starts_at=now, ends_at=now, updated_at=now)
    return replace(silence, ends_at=now, updated_at=now)


def can_update_in_place(old: Silence, new: Silence, now: datetime) -> bool:
    """Whether `new` may overwrite `old` under the same id (Alertmanager's canUpdate).

    Otherwise the old silence must be expired and `new` stored under a fresh id,
    so history never shows a silence muting something it did not mute at the time.
    """
    if old.matchers != new.matchers:
        return False
    state = old.state(now)
    if state is SilenceState.ACTIVE:
        return (
            int(new.starts_at.timestamp()) == int(old.starts_at.timestamp())
            and new.ends_at >= now
        )
    if state is SilenceState.PENDING:
        return new.starts_at >= now
    return False
