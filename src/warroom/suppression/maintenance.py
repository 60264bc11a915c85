"""Recurring maintenance windows: planned work should not page anyone.

Schedules are wall-clock times in an IANA timezone. Across DST changes:
* a wall time that does not exist (spring forward) means the moment the clock
  jumps, e.g. 02:30 on the Berlin spring-forward night is 03:00 CEST;
* a wall time that happens twice (fall back) means its first occurrence.
Cron windows last `duration` of elapsed time; weekly windows run from wall-clock
start to wall-clock end, so they can be an hour shorter or longer on DST nights.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from croniter import croniter  # type: ignore[import-untyped]

from warroom.routing.matchers import Matcher, matches_all

__all__ = [
    "CronSchedule",
    "MaintenanceWindow",
    "WeeklySchedule",
    "WeeklySpan",
    "in_maintenance",
    "localize",
]

_WEEK = timedelta(days=7)
_SCAN_LIMIT = 10_000


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive wall-clock time in `tz` (see the module doc for DST rules)."""
    first = wall.replace(tzinfo=tz, fold=0)
    utc = first.astimezone(UTC)
    if utc.astimezone(tz).replace(tzinfo=None, fold=0) == wall.replace(fold=0):
        return utc
    # In a gap: fold=1 gives the post-transition offset, an instant before the jump;
    # fold=0 an instant after it. Bisect to the first instant on the new offset.
    after_offset = wall.replace(tzinfo=tz, fold=1).utcoffset()
    low, high = wall.replace(tzinfo=tz, fold=1).astimezone(UTC), utc
    while high - low > timedelta(seconds=1):
        mid = low + (high - low) / 2
        if mid.astimezone(tz).utcoffset() == after_offset:
            high = mid
        else:
            low = mid
    return high.replace(microsecond=0)


def _wall(now: datetime, tz: ZoneInfo) -> datetime:
    return now.astimezone(tz).replace(tzinfo=None, fold=0)


@dataclass(frozen=True)
class CronSchedule:
    """Windows that start at each cron fire time (5-field, wall clock) and last `duration`."""

    expression: str
    duration: timedelta

    def __post_init__(self) -> None:
        if len(self.expression.split()) > 5:
            raise ValueError(
                f"cron expression {self.expression!r}: seconds/years are not supported"
            )
        if not croniter.is_valid(self.expression):
            raise ValueError(f"invalid cron expression {self.expression!r}")
        if self.duration <= timedelta(0):
            raise ValueError("maintenance window duration must be positive")

    def latest_start(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        """The last fire time at or before `now` (None if the expression never fires)."""
        wall = _wall(now, tz).replace(second=0, microsecond=0)
        try:
            # Wall times after `wall` can still be in the past during a fall-back hour.
            ahead = croniter(self.expression, wall)
            best: datetime | None = None
            for _ in range(_SCAN_LIMIT):
                start = localize(ahead.get_next(datetime), tz)
                if start > now:
                    break
                best = start
            if best is not None:
                return best
            behind = croniter(self.expression, wall + timedelta(minutes=1))
            return localize(behind.get_prev(datetime), tz)
        except ValueError:  # CroniterBadDateError: e.g. "0 0 30 2 *" never fires
            return None

    def next_start(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        wall = _wall(now, tz).replace(second=0, microsecond=0)
        try:
            ahead = croniter(self.expression, wall)
            for _ in range(_SCAN_LIMIT):
                start = localize(ahead.get_next(datetime), tz)
                if start > now:
                    return start
        except ValueError:
            return None
        return None

    def current(self, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        start = self.latest_start(now, tz)
        if start is None or now >= start + self.duration:
            return None
        return start, start + self.duration


@dataclass(frozen=True)
class WeeklySpan:
    """From `start_day start` to the next `end_day end` (days 0=Monday..6=Sunday)."""

    start_day: int
    start: time
    end_day: int
    end: time

    def __post_init__(self) -> None:
        for day in (self.start_day, self.end_day):
            if not 0 <= day <= 6:
                raise ValueError(f"weekday must be 0 (Monday) .. 6 (Sunday), got {day}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("weekly times are wall-clock times; give the timezone separately")
        if self.length == timedelta(0):
            raise ValueError("a weekly window must not start and end at the same time")

    @property
    def length(self) -> timedelta:
        """Wall-clock length, up to just under a week (the span may wrap Sunday->Monday)."""
        def offset(day: int, at: time) -> timedelta:
            return timedelta(days=day, hours=at.hour, minutes=at.minute, seconds=at.second)

        return (offset(self.end_day, self.end) - offset(self.start_day, self.start)) % _WEEK

    def occurrence(self, start_date: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
        wall_start = datetime.combine(start_date, self.start)
        return localize(wall_start, tz), localize(wall_start + self.length, tz)


@dataclass(frozen=True)
class WeeklySchedule:
    """One or more weekly spans, e.g. Saturday 22:00 to Sunday 02:00."""

    spans: tuple[WeeklySpan, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", tuple(self.spans))
        if not self.spans:
            raise ValueError("a weekly schedule needs at least one span")

    def _occurrences(self, now: datetime, tz: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
        today = _wall(now, tz).date()
        for delta in range(-8, 9):
            day = today + timedelta(days=delta)
            for span in self.spans:
                if day.weekday() == span.start_day:
                    yield span.occurrence(day, tz)

    def current(self, now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        hits = [(s, e) for s, e in self._occurrences(now, tz) if s <= now < e]
        return max(hits, key=lambda hit: hit[1]) if hits else None

    def next_start(self, now: datetime, tz: ZoneInfo) -> datetime | None:
        return min((s for s, _ in self._occurrences(now, tz) if s > now), default=None)


@dataclass(frozen=True)
class MaintenanceWindow:
    """A recurring window muting alerts of some services (and/or matching labels).

    Empty `services` and `matchers` mean the window covers every alert.
    """

    id: str
    schedule: CronSchedule | WeeklySchedule
    timezone: ZoneInfo = ZoneInfo("UTC")
    services: frozenset[str] = frozenset()
    matchers: tuple[Matcher, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "services", frozenset(self.services))
        object.__setattr__(self, "matchers", tuple(self.matchers))

    def current(self, now: datetime) -> tuple[datetime, datetime] | None:
        """(start, end) of the occurrence covering `now`, as UTC datetimes, or None."""
        _require_aware(now)
        return self.schedule.current(now, self.timezone)

    def active(self, now: datetime) -> bool:
        return self.current(now) is not None

    def next_start(self, now: datetime) -> datetime | None:
        """The first start strictly after `now`, in the window's timezone."""
        _require_aware(now)
        start = self.schedule.next_start(now, self.timezone)
        return None if start is None else start.astimezone(self.timezone)

    def applies_to(self, labels: Mapping[str, str], service: str | None = None) -> bool:
        """Whether the window covers this alert, regardless of time."""
        if self.services and service not in self.services:
            return False
        return matches_all(self.matchers, labels)

    def suppresses(self, labels: Mapping[str, str], service: str | None, now: datetime) -> bool:
        return self.applies_to(labels, service) and self.active(now)


def in_maintenance(
    labels: Mapping[str, str],
    service: str | None,
    windows: Iterable[MaintenanceWindow],
    now: datetime,
) -> list[str]:
    """Ids of the windows currently suppressing this alert, in input order."""
    return [w.id for w in windows if w.suppresses(labels, service, now)]
