"""Rotation arithmetic: who a single rotation puts on call, DST-safe.

Handoffs are wall-clock times in the schedule's zone, so shift k starts at
``anchor + k * step`` computed on *naive local* datetimes and only then turned
into an instant. That keeps a 09:00 handoff at 09:00 across DST (a daily shift
is 23h/25h, a weekly one 167h/169h on the transition days).

Local times that do not map to exactly one instant are resolved as follows:

* nonexistent (spring-forward gap): the first instant after the gap, i.e. the
  transition itself (02:30 on a Europe/Berlin spring-forward day -> 03:00 CEST);
* ambiguous (fall-back overlap): the first occurrence (PEP 495 ``fold=0``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from warroom.oncall.config import (
    DEFAULT_EPOCH,
    CustomRotation,
    DailyRotation,
    WeeklyRotation,
)

AnyRotation = DailyRotation | WeeklyRotation | CustomRotation

_SECOND = timedelta(seconds=1)


def require_aware(value: datetime, name: str = "at") -> datetime:
    """Reject naive datetimes (ambiguous) and normalise to UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return value.astimezone(UTC)


def to_local(at: datetime, tz: tzinfo) -> datetime:
    """The naive wall-clock time in `tz` at instant `at`."""
    return at.astimezone(tz).replace(tzinfo=None)


def local_to_utc(local: datetime, tz: tzinfo) -> datetime:
    """Turn a naive wall-clock time in `tz` into a UTC instant (gap/overlap rules above)."""
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    first = local.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if to_local(first, tz) == local:
        return first  # exists; fold=0 picks the first occurrence if ambiguous
    # Nonexistent: fold=0 and fold=1 straddle the transition; find it to the second.
    other = local.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo, hi = min(first, other), max(first, other)
    while hi - lo > _SECOND:
        mid = lo + ((hi - lo) // 2 // _SECOND) * _SECOND
        if to_local(mid, tz) >= local:
            hi = mid
        else:
            lo = mid
    return hi


def localize_input(value: datetime, tz: tzinfo) -> datetime:
    """Config datetimes: aware ones are absolute, naive ones are `tz` wall-clock."""
    return local_to_utc(value, tz)


@dataclass(frozen=True)
class Cycle:
    """Boundaries ``B(k) = local_to_utc(anchor + k*step)``; shift k is [B(k), B(k+1))."""

    anchor: datetime  # naive, schedule-local
    step: timedelta
    tz: tzinfo
    members: tuple[str, ...]

    def boundary(self, k: int) -> datetime:
        return local_to_utc(self.anchor + k * self.step, self.tz)

    def index_at(self, at: datetime) -> int:
        """The k with B(k) <= at < B(k+1); B is non-decreasing, empty shifts are skipped."""
        k = (to_local(at, self.tz) - self.anchor) // self.step
        while self.boundary(k) > at:
            k -= 1
        while self.boundary(k + 1) <= at:
            k += 1
        return k

    def member(self, k: int) -> str:
        return self.members[k % len(self.members)]


def _anchor_local(rotation: AnyRotation, tz: tzinfo) -> datetime:
    start = rotation.start if rotation.start is not None else DEFAULT_EPOCH
    if start.tzinfo is not None:
        start = to_local(start, tz)
    if isinstance(rotation, CustomRotation):
        return start
    if isinstance(rotation, DailyRotation):
        first = datetime.combine(start.date(), rotation.handoff_time)
        return first if first >= start else first + timedelta(days=1)
    ahead = (rotation.handoff_weekday - start.weekday()) % 7
    first = datetime.combine(start.date() + timedelta(days=ahead), rotation.handoff_time)
    return first if first >= start else first + timedelta(days=7)


def cycle_for(rotation: AnyRotation, tz: tzinfo) -> Cycle:
    """Build the boundary cycle; members[0] owns the first shift at/after `start`."""
    if isinstance(rotation, CustomRotation):
        step = rotation.length
    elif isinstance(rotation, DailyRotation):
        step = timedelta(days=1)
    else:
        step = timedelta(days=7)
    return Cycle(_anchor_local(rotation, tz), step, tz, tuple(rotation.members))


@dataclass(frozen=True)
class RotationShift:
    """One raw (unlayered, unclipped) shift of a rotation."""

    index: int
    person: str
    start: datetime
    end: datetime


def rotation_member_at(rotation: AnyRotation, tz: tzinfo, at: datetime) -> str:
    """Who this rotation alone puts on call at instant `at`."""
    cycle = cycle_for(rotation, tz)
    return cycle.member(cycle.index_at(require_aware(at)))


def rotation_shifts(
    rotation: AnyRotation, tz: tzinfo, start: datetime, end: datetime
) -> list[RotationShift]:
    """Raw rotation shifts overlapping [start, end), unclipped, empty ones dropped."""
    start, end = require_aware(start, "start"), require_aware(end, "end")
    if end <= start:
        return []
    cycle = cycle_for(rotation, tz)
    out: list[RotationShift] = []
    k = cycle.index_at(start)
    lo = cycle.boundary(k)
    while lo < end:
        hi = cycle.boundary(k + 1)
        if hi > lo:
            out.append(RotationShift(k, cycle.member(k), lo, hi))
        k, lo = k + 1, hi
    return out
