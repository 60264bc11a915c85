"""iCalendar export of resolved on-call shifts (one VEVENT per shift, UTC times).

Output is deterministic (no clock reads): DTSTAMP is the shift start unless the
caller passes `stamp`. UIDs hash (schedule, person, layer, shift start), so a
re-export keeps the same UID for the same shift even if its end moved. To keep
UIDs stable across export windows, shifts are resolved over a padded window
and exported unclipped when they overlap [start, end).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from warroom.oncall.config import Schedule
from warroom.oncall.rotation import require_aware
from warroom.oncall.schedule import Shift, shifts

if TYPE_CHECKING:  # imported where used: only calendar exports need it
    from icalendar import Calendar, Event

#: Extra range resolved on each side so boundary shifts are exported whole.
PAD = timedelta(days=8)
PRODID = "-//warroom//on-call//EN"


def shift_uid(schedule_id: str, shift: Shift) -> str:
    """Stable per-shift UID."""
    key = f"{schedule_id}|{shift.person}|{shift.layer}|{shift.start.isoformat()}"
    return f"{hashlib.sha256(key.encode()).hexdigest()[:32]}@warroom"


def _window_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    start, end = require_aware(start, "start"), require_aware(end, "end")
    padded = shifts(schedule, start - PAD, end + PAD)
    return [s for s in padded if s.end > start and s.start < end]


def _calendar(name: str) -> Calendar:
    from icalendar import Calendar

    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    return cal


def _event(schedule: Schedule, shift: Shift, summary: str, stamp: datetime | None) -> Event:
    from icalendar import Event

    ev = Event()
    ev.add("uid", shift_uid(schedule.id, shift))
    ev.add("dtstamp", require_aware(stamp, "stamp") if stamp else shift.start)
    ev.add("dtstart", shift.start)
    ev.add("dtend", shift.end)
    ev.add("summary", summary)
    ev.add("description", f"schedule={schedule.id} layer={shift.layer} person={shift.person}")
    ev.add("categories", ["on-call"])
    ev.add("transp", "OPAQUE")
    return ev


def schedule_to_ical(
    schedule: Schedule, start: datetime, end: datetime, *, stamp: datetime | None = None
) -> bytes:
    """All resolved shifts of `schedule` overlapping [start, end) as an iCalendar."""
    label = schedule.name or schedule.id
    cal = _calendar(f"On-call: {label}")
    for sh in _window_shifts(schedule, start, end):
        cal.add_component(_event(schedule, sh, f"{sh.person} on call ({label})", stamp))
    data: bytes = cal.to_ical()
    return data


def person_to_ical(
    person_id: str,
    schedules: list[Schedule],
    start: datetime,
    end: datetime,
    *,
    stamp: datetime | None = None,
) -> bytes:
    """One person's shifts across `schedules` overlapping [start, end)."""
    cal = _calendar(f"On-call: {person_id}")
    pairs = [
        (sched, sh)
        for sched in schedules
        for sh in _window_shifts(sched, start, end)
        if sh.person == person_id
    ]
    pairs.sort(key=lambda p: (p[1].start, p[0].id))
    for sched, sh in pairs:
        label = sched.name or sched.id
        cal.add_component(_event(sched, sh, f"On call: {label}", stamp))
    data: bytes = cal.to_ical()
    return data
