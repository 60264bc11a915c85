"""Resolve a schedule (layers, restrictions, overrides) into who is on call.

Precedence, highest first: overrides (a later override beats an earlier one),
then layers from last to first, counting a layer only where it has someone on
call (its restriction windows, if any, contain the instant). Everything is
computed from one point-in-time resolver so `shifts` and `on_call_at` cannot
disagree: `shifts` collects every instant where any input can change and
evaluates the resolver once per elementary interval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

from warroom.oncall.config import (
    OVERRIDE_LAYER,
    Layer,
    Restriction,
    Schedule,
    parse_clock,
    parse_weekly_clock,
)
from warroom.oncall.rotation import (
    cycle_for,
    local_to_utc,
    localize_input,
    require_aware,
    to_local,
)

#: How far `next_shifts` looks ahead at most.
MAX_HORIZON = timedelta(days=366)
_EPS = timedelta(microseconds=1)


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


def _layer_windows(
    layer: Layer, tz: tzinfo, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]] | None:
    """All restriction windows of a layer, or None when it is unrestricted."""
    if not layer.restrict:
        return None
    return [w for r in layer.restrict for w in _restriction_windows(r, tz, start, end)]


# --------------------------------------------------------------------------- resolution


def _resolve(schedule: Schedule, at: datetime) -> tuple[str, str] | None:
    """(person, layer) on call at UTC instant `at`, or None."""
    tz = schedule.tz
    for o in reversed(schedule.overrides):
        if localize_input(o.start, tz) <= at < localize_input(o.end, tz):
            return o.person, OVERRIDE_LAYER
    for layer in reversed(schedule.effective_layers):
        windows = _layer_windows(layer, tz, at, at + _EPS)
        if windows is not None and not any(lo <= at < hi for lo, hi in windows):
            continue
        cycle = cycle_for(layer.rotation, tz)
        return cycle.member(cycle.index_at(at)), layer.name
    return None


def on_call_at(schedule: Schedule, at: datetime) -> list[str]:
    """Person ids on call at `at` (aware): one id, or empty when nobody is."""
    hit = _resolve(schedule, require_aware(at))
    return [] if hit is None else [hit[0]]


def _change_points(schedule: Schedule, start: datetime, end: datetime) -> list[datetime]:
    tz = schedule.tz
    points = {start, end}
    for o in schedule.overrides:
        points.update((localize_input(o.start, tz), localize_input(o.end, tz)))
    for layer in schedule.effective_layers:
        cycle = cycle_for(layer.rotation, tz)
        k = cycle.index_at(start)
        b = cycle.boundary(k)
        while b < end:
            points.add(b)
            k += 1
            b = cycle.boundary(k)
        for lo, hi in _layer_windows(layer, tz, start, end) or []:
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
    points = _change_points(schedule, start, end)
    out: list[Shift] = []
    for lo, hi in zip(points, points[1:]):
        hit = _resolve(schedule, lo)
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
