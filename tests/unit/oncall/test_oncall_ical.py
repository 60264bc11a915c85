"""iCalendar export parsed back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from warroom.oncall import Schedule, person_to_ical, schedule_to_ical, shifts


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


SCHED = Schedule.model_validate(
    {
        "id": "primary",
        "name": "Primary",
        "timezone": "Europe/Berlin",
        "rotation": {"type": "weekly", "handoff": "monday 09:00", "start": "2026-03-09", "members": ["alice", "bob"]},
        "overrides": [{"person": "carol", "start": "2026-03-25T00:00:00Z", "end": "2026-03-26T00:00:00Z"}],
    }
)  # fmt: skip


def events(data: bytes) -> list:
    cal = Calendar.from_ical(data)
    return [c for c in cal.walk("VEVENT")]


def test_schedule_to_ical_round_trips() -> None:
    data = schedule_to_ical(SCHED, utc(2026, 3, 20), utc(2026, 4, 6))
    assert data.startswith(b"BEGIN:VCALENDAR")
    cal = Calendar.from_ical(data)
    assert str(cal["X-WR-CALNAME"]) == "On-call: Primary"
    evs = events(data)
    got = [(str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND")) for e in evs]
    assert got == [
        ("bob on call (Primary)", utc(2026, 3, 16, 8), utc(2026, 3, 23, 8)),  # whole, not clipped
        ("alice on call (Primary)", utc(2026, 3, 23, 8), utc(2026, 3, 25)),
        ("carol on call (Primary)", utc(2026, 3, 25), utc(2026, 3, 26)),
        ("alice on call (Primary)", utc(2026, 3, 26), utc(2026, 3, 30, 7)),  # CEST from 03-29
        ("bob on call (Primary)", utc(2026, 3, 30, 7), utc(2026, 4, 6, 7)),
    ]
    for e in evs:
        assert e.decoded("DTSTART").utcoffset() == timedelta(0)
        assert e.decoded("DTSTAMP") == e.decoded("DTSTART")
    assert len({str(e["UID"]) for e in evs}) == len(evs)
    assert b"DTSTART:20260316T080000Z" in data  # UTC form, no TZID


def test_uids_are_stable_across_windows() -> None:
    a = {str(e["UID"]): e.decoded("DTSTART") for e in events(schedule_to_ical(SCHED, utc(2026, 3, 20), utc(2026, 4, 6)))}
    b = {str(e["UID"]): e.decoded("DTSTART") for e in events(schedule_to_ical(SCHED, utc(2026, 3, 27), utc(2026, 4, 20)))}
    shared = set(a) & set(b)
    assert len(shared) >= 2
    assert all(a[u] == b[u] for u in shared)
    assert schedule_to_ical(SCHED, utc(2026, 3, 20), utc(2026, 4, 6)) == schedule_to_ical(
        SCHED, utc(2026, 3, 20), utc(2026, 4, 6)
    )


def test_explicit_stamp() -> None:
    stamp = utc(2026, 1, 1, 12)
    evs = events(schedule_to_ical(SCHED, utc(2026, 3, 20), utc(2026, 3, 21), stamp=stamp))
    assert [e.decoded("DTSTAMP") for e in evs] == [stamp]


def test_person_to_ical_across_schedules() -> None:
    other = Schedule.model_validate(
        {"id": "db", "timezone": "UTC", "rotation": {"type": "daily", "start": "2026-03-20", "members": ["alice", "zed"]}}
    )
    data = person_to_ical("alice", [SCHED, other], utc(2026, 3, 23, 8), utc(2026, 3, 25))
    evs = events(data)
    assert str(Calendar.from_ical(data)["X-WR-CALNAME"]) == "On-call: alice"
    got = [(str(e["SUMMARY"]), e.decoded("DTSTART"), e.decoded("DTEND")) for e in evs]
    assert got == [
        ("On call: db", utc(2026, 3, 22, 9), utc(2026, 3, 23, 9)),
        ("On call: Primary", utc(2026, 3, 23, 8), utc(2026, 3, 25)),
        ("On call: db", utc(2026, 3, 24, 9), utc(2026, 3, 25, 9)),
    ]
    assert "person=alice" in str(evs[0]["DESCRIPTION"])
    assert events(person_to_ical("nobody", [SCHED], utc(2026, 3, 1), utc(2026, 4, 1))) == []


def test_every_resolved_shift_becomes_an_event() -> None:
    window = (utc(2026, 3, 1), utc(2026, 6, 1))
    inner = [s for s in shifts(SCHED, *window) if s.start > window[0] and s.end < window[1]]
    evs = events(schedule_to_ical(SCHED, *window))
    starts = {e.decoded("DTSTART") for e in evs}
    assert {s.start for s in inner} <= starts
