"""Resolve a schedule (layers, restrictions, overrides) into who is on call.

Precedence, highest first: overrides (a later override beats an earlier one),
then layers from last to first, counting a layer only where it has someone on
call (its restriction windows, if any, contain the instant). Everything is
computed from one point-in-time resolver so `shifts` and `on_call_at` cannot
disagree: `shifts` collects every instant where any input can change and
evaluates the resolver once per elementary interval.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo

from warroom.oncall.config import (
    OVERRIDE_LAYER,
    Restriction,
    Schedule,
    parse_clock,
    parse_weekly_clock,
)
from warroom.oncall.rotation import (
    Cycle,
    cycle_for,
    local_to_utc,
    localize_input,
    require_aware,
    to_local,
)

#: How far `next_shifts` looks ahead at most.
MAX_HORIZON = timedelta(days=366)
_EPS = timedelta(microseconds=1)
_MAX = datetime.max.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Shift:
    """A resolved on-call segment [start, end) in UTC; `layer` is a layer name or "override"."""

    person: str
    start: datetime
    end: datetime
    layer: str

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    def contains(self, at: datetime) -> bool:
        return self.start <= at < self.end


# --------------------------------------------------------------------------- restrictions


def _restriction_windows(
    r: Restriction, tz: tzinfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """UTC windows of one restriction overlapping [start, end), unclipped."""
    first = to_local(start, tz).date() - timedelta(days=8)
    last = to_local(end, tz).date() + timedelta(days=1)
    out: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        span = _window_on(r, day)
        if span is not None:
            lo, hi = local_to_utc(span[0], tz), local_to_utc(span[1], tz)
            if lo < hi and lo < end and hi > start:
                out.append((lo, hi))
        day += timedelta(days=1)
    return out


def _window_on(r: Restriction, day: date) -> tuple[datetime, datetime] | None:
    """The local window of `r` that starts on `day`, if any."""
    if r.is_weekly:
        (swd, st), (ewd, et) = parse_weekly_clock(r.start), parse_weekly_clock(r.end)
        if day.weekday() != swd:
            return None
        lo = datetime.combine(day, st)
        hi = datetime.combine(day + timedelta(days=(ewd - swd) % 7), et)
        return lo, hi if hi > lo else hi + timedelta(days=7)
    if day.weekday() not in r.weekdays:
        return None
    lo = datetime.combine(day, parse_clock(r.start))
    hi = datetime.combine(day, parse_clock(r.end))
    return lo, hi if hi > lo else hi + timedelta(days=1)


def _merge(windows: list[tuple[datetime, datetime]]) -> tuple[tuple[datetime, datetime], ...]:
    out: list[tuple[datetime, datetime]] = []
    for lo, hi in sorted(windows):
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return tuple(out)


@dataclass(frozen=True)
class _Layer:
    """A layer prepared for one query range: its cycle and merged UTC windows."""

    name: str
    cycle: Cycle
    windows: tuple[tuple[datetime, datetime], ...] | None  # None = unrestricted

    def covers(self, at: datetime) -> bool:
        if self.windows is None:
            return True
        i = bisect_right(self.windows, (at, _MAX)) - 1
        return i >= 0 and at < self.windows[i][1]


@dataclass(frozen=True)
class _Prepared:
    """A schedule prepared for instants in [start, end): no per-instant re-parsing."""

    overrides: tuple[tuple[datetime, datetime, str], ...]
    layers: tuple[_Layer, ...]

    def resolve(self, at: datetime) -> tuple[str, str] | None:
        """(person, layer) on call at UTC instant `at`, or None."""
        for lo, hi, person in reversed(self.overrides):
            if lo <= at < hi:
                return person, OVERRIDE_LAYER
        for layer in reversed(self.layers):
            if layer.covers(at):
                return layer.cycle.member(layer.cycle.index_at(at)), layer.name
        return None


def _prepare(schedule: Schedule, start: datetime, end: datetime) -> _Prepared:
    tz = schedule.tz
    overrides = tuple(
        (localize_input(o.start, tz), localize_input(o.end, tz), o.person)
        for o in schedule.overrides
    )
    layers = []
    for layer in schedule.effective_layers:
        windows = None
        if layer.restrict:
            windows = _merge(
                [w for r in layer.restrict for w in _restriction_windows(r, tz, start, end)]
            )
        layers.append(_Layer(layer.name, cycle_for(layer.rotation, tz), windows))
    return _Prepared(overrides, tuple(layers))


def on_call_at(schedule: Schedule, at: datetime) -> list[str]:
    """Person ids on call at `at` (aware): one id, or empty when nobody is."""
    at = require_aware(at)
    hit = _prepare(schedule, at, at + _EPS).resolve(at)
    return [] if hit is None else [hit[0]]


def _change_points(prepared: _Prepared, start: datetime, end: datetime) -> list[datetime]:
    points = {start, end}
    for lo, hi, _ in prepared.overrides:
        points.update((lo, hi))
    for layer in prepared.layers:
        k = layer.cycle.index_at(start)
        b = layer.cycle.boundary(k)
        while b < end:
            points.add(b)
            k += 1
            b = layer.cycle.boundary(k)
        for lo, hi in layer.windows or ():
            points.update((lo, hi))
    return sorted(p for p in points if start <= p <= end)


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """The resolved timeline clipped to [start, end), same person+layer runs merged.

    Gaps (nobody on call) are simply absent. Adjacent segments of the same
    person from *different* layers stay separate so `layer` remains truthful.
    """
    start, end = require_aware(start, "start"), require_aware(end, "end")
    if end <= start:
        return []
    prepared = _prepare(schedule, start, end)
    out: list[Shift] = []
    points = _change_points(prepared, start, end)
    for lo, hi in zip(points, points[1:]):
        hit = prepared.resolve(lo)
        if hit is None:
            continue
        person, layer = hit
        prev = out[-1] if out else None
        if prev and prev.end == lo and prev.person == person and prev.layer == layer:
            out[-1] = Shift(person, prev.start, hi, layer)
        else:
            out.append(Shift(person, lo, hi, layer))
    return out


def next_shifts(
    schedule: Schedule, at: datetime, count: int, horizon: timedelta = MAX_HORIZON
) -> list[Shift]:
    """Up to `count` shifts from `at` on: the rest of the current one, then upcoming.

    Looks ahead at most `horizon`; a shift still running at the horizon is
    returned cut at the horizon only if it is needed to reach `count`.
    """
    at = require_aware(at)
    if count <= 0:
        return []
    window = min(timedelta(days=14), horizon)
    while True:
        found = shifts(schedule, at, at + window)
        # The last shift may be cut by the window; only trust it once at the horizon.
        complete = found if window >= horizon else found[:-1]
        if len(complete) >= count or window >= horizon:
            return complete[:count]
        window = min(window * 2, horizon)


def shifts_for_person(
    person_id: str, schedules: list[Schedule], start: datetime, end: datetime
) -> list[tuple[Schedule, Shift]]:
    """A person's shifts across schedules, ordered by start time."""
    pairs = [(s, sh) for s in schedules for sh in shifts(s, start, end) if sh.person == person_id]
    return sorted(pairs, key=lambda p: (p[1].start, p[0].id))


__all__ = ["MAX_HORIZON", "Shift", "next_shifts", "on_call_at", "shifts", "shifts_for_person"]
