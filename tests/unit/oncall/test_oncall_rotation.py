"""Rotation arithmetic: round-robin order, custom lengths, DST wall-clock handoffs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from warroom.oncall import Schedule, local_to_utc, on_call_at, rotation_shifts, shifts
from warroom.oncall.config import CustomRotation, DailyRotation, WeeklyRotation

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sched(tz: str, rotation: dict) -> Schedule:
    return Schedule.model_validate({"id": "s", "timezone": tz, "rotation": rotation})


def shift_at(schedule: Schedule, at: datetime):
    (found,) = [s for s in shifts(schedule, at - 10 * 24 * H, at + 10 * 24 * H) if s.contains(at)]
    return found


# ----------------------------------------------------------------------------- local time rules


def test_local_to_utc_gap_resolves_to_instant_after_gap() -> None:
    # Berlin 2026-03-29 02:00 -> 03:00; 02:30 does not exist.
    assert local_to_utc(datetime(2026, 3, 29, 2, 30), BERLIN) == utc(2026, 3, 29, 1, 0)
    assert local_to_utc(datetime(2026, 3, 29, 2, 0), BERLIN) == utc(2026, 3, 29, 1, 0)
    # New York 2026-03-08 02:00 -> 03:00.
    assert local_to_utc(datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc(2026, 3, 8, 7, 0)


def test_local_to_utc_ambiguous_resolves_to_first_occurrence() -> None:
    # Berlin 2026-10-25 03:00 CEST -> 02:00 CET; 02:30 happens twice.
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    # New York 2026-11-01 02:00 EDT -> 01:00 EST; 01:30 EDT first.
    assert local_to_utc(datetime(2026, 11, 1, 1, 30), NEW_YORK) == utc(2026, 11, 1, 5, 30)


def test_local_to_utc_normal_time() -> None:
    assert local_to_utc(datetime(2026, 7, 1, 9, 0), BERLIN) == utc(2026, 7, 1, 7, 0)


# ----------------------------------------------------------------------------- DST shift lengths

DST_CASES = [
    # tz, rotation, an instant inside the transition shift, expected local start, length
    ("Europe/Berlin", "daily", utc(2026, 3, 28, 12), datetime(2026, 3, 28, 9), 23),
    ("Europe/Berlin", "daily", utc(2026, 10, 24, 12), datetime(2026, 10, 24, 9), 25),
    ("Europe/Berlin", "weekly", utc(2026, 3, 25, 12), datetime(2026, 3, 23, 9), 167),
    ("Europe/Berlin", "weekly", utc(2026, 10, 21, 12), datetime(2026, 10, 19, 9), 169),
    ("America/New_York", "daily", utc(2026, 3, 7, 18), datetime(2026, 3, 7, 9), 23),
    ("America/New_York", "daily", utc(2026, 10, 31, 18), datetime(2026, 10, 31, 9), 25),
    ("America/New_York", "weekly", utc(2026, 3, 4, 18), datetime(2026, 3, 2, 9), 167),
    ("America/New_York", "weekly", utc(2026, 10, 28, 18), datetime(2026, 10, 26, 9), 169),
]


@pytest.mark.parametrize(("tz", "kind", "inside", "local_start", "hours"), DST_CASES)
def test_dst_shift_lengths_and_wall_clock_handoff(
    tz: str, kind: str, inside: datetime, local_start: datetime, hours: int
) -> None:
    handoff = "09:00" if kind == "daily" else "monday 09:00"
    s = sched(tz, {"type": kind, "handoff": handoff, "members": ["a", "b", "c"]})
    shift = shift_at(s, inside)
    zone = ZoneInfo(tz)
    assert shift.start.astimezone(zone).replace(tzinfo=None) == local_start
    assert shift.end - shift.start == timedelta(hours=hours)
    # Handoff wall clock preserved on both sides of the transition.
    assert shift.end.astimezone(zone).strftime("%H:%M") == "09:00"
    if kind == "weekly":
        assert shift.end.astimezone(zone).weekday() == 0


def test_daily_handoffs_stay_at_wall_clock_for_a_year() -> None:
    s = sched("America/New_York", {"type": "daily", "handoff": "08:30", "members": ["a", "b"]})
    got = shifts(s, utc(2026, 1, 1), utc(2027, 1, 1))
    inner = got[1:-1]
    assert {sh.start.astimezone(NEW_YORK).strftime("%H:%M") for sh in inner} == {"08:30"}
    lengths = sorted({sh.duration for sh in inner})
    assert lengths == [23 * H, 24 * H, 25 * H]
    assert sum(1 for sh in inner if sh.duration != 24 * H) == 2


def test_handoff_inside_spring_gap_happens_right_after_gap() -> None:
    s = sched("Europe/Berlin", {"type": "daily", "handoff": "02:30", "members": ["a", "b"]})
    sh = shift_at(s, utc(2026, 3, 28, 12))
    assert sh.end == utc(2026, 3, 29, 1, 0)  # 03:00 CEST
    nxt = shift_at(s, utc(2026, 3, 29, 12))
    assert nxt.start == utc(2026, 3, 29, 1, 0)
    assert nxt.end == utc(2026, 3, 30, 0, 30)  # 02:30 CEST
    assert sh.duration == 23 * H + 30 * timedelta(minutes=1)  # 02:30 CET -> 03:00 CEST


def test_handoff_inside_fall_back_overlap_uses_first_occurrence() -> None:
    s = sched("America/New_York", {"type": "daily", "handoff": "01:30", "members": ["a", "b"]})
    sh = shift_at(s, utc(2026, 11, 1, 3))
    assert sh.end == utc(2026, 11, 1, 5, 30)  # 01:30 EDT (first)
    nxt = shift_at(s, utc(2026, 11, 1, 12))
    assert nxt.end == utc(2026, 11, 2, 6, 30)  # 01:30 EST
    assert nxt.duration == 25 * H


def test_custom_rotation_keeps_wall_clock_across_dst() -> None:
    s = sched(
        "Europe/Berlin",
        {"type": "custom", "length": "12h", "start": "2026-03-27T08:00", "members": ["a", "b"]},
    )
    got = shifts(s, utc(2026, 3, 27, 7), utc(2026, 3, 31, 6))
    hours = [sh.start.astimezone(BERLIN).hour for sh in got]
    assert set(hours) == {8, 20}
    assert [sh.duration for sh in got if sh.start.day == 28 and sh.start.hour == 19] == [11 * H]


# ----------------------------------------------------------------------------- order and anchors


def test_round_robin_order_follows_members_from_anchor() -> None:
    s = sched(
        "UTC",
        {"type": "daily", "handoff": "09:00", "start": "2026-01-01T09:00", "members": ["a", "b", "c"]},
    )
    got = shifts(s, utc(2026, 1, 1, 9), utc(2026, 1, 8, 9))
    assert [sh.person for sh in got] == ["a", "b", "c", "a", "b", "c", "a"]
    assert all(sh.duration == 24 * H for sh in got)
    # Before the anchor the order continues backwards.
    assert on_call_at(s, utc(2026, 1, 1, 8)) == ["c"]
    assert on_call_at(s, utc(2025, 12, 30, 10)) == ["b"]


def test_anchor_means_first_handoff_at_or_after_start() -> None:
    s = sched(
        "UTC",
        {"type": "weekly", "handoff": "wednesday 10:00", "start": "2026-01-05", "members": ["a", "b"]},
    )
    assert on_call_at(s, utc(2026, 1, 7, 10)) == ["a"]
    assert on_call_at(s, utc(2026, 1, 7, 9, 59)) == ["b"]
    assert on_call_at(s, utc(2026, 1, 14, 10)) == ["b"]


def test_default_epoch_is_documented_date() -> None:
    # Default anchor 2024-01-01 00:00 local: first Monday-09:00 handoff belongs to members[0].
    s = sched("Europe/Berlin", {"type": "weekly", "members": ["a", "b"]})
    assert on_call_at(s, utc(2024, 1, 1, 8, 0)) == ["a"]
    assert on_call_at(s, utc(2024, 1, 8, 8, 0)) == ["b"]


def test_aware_anchor_is_converted_to_schedule_zone() -> None:
    s = sched(
        "America/New_York",
        {"type": "daily", "handoff": "09:00", "start": "2026-01-05T14:00:00Z", "members": ["a", "b"]},
    )
    assert on_call_at(s, utc(2026, 1, 5, 14)) == ["a"]  # 09:00 EST
    assert on_call_at(s, utc(2026, 1, 6, 14)) == ["b"]


def test_custom_lengths() -> None:
    for length, hours in [("36h", 36), ("2d", 48), ("12h", 12), ("1h30m", 1.5)]:
        s = sched(
            "UTC",
            {"type": "custom", "length": length, "start": "2026-01-05T09:00", "members": ["x", "y"]},
        )
        got = shifts(s, utc(2026, 1, 5, 9), utc(2026, 1, 5, 9) + timedelta(hours=hours * 4))
        assert [sh.person for sh in got] == ["x", "y", "x", "y"]
        assert {sh.duration for sh in got} == {timedelta(hours=hours)}


def test_single_member_rotation_merges_into_one_shift() -> None:
    s = sched("UTC", {"type": "daily", "members": ["solo"]})
    assert len(shifts(s, utc(2026, 1, 1), utc(2026, 2, 1))) == 1


def test_rotation_shifts_are_unclipped_raw_shifts() -> None:
    rot = DailyRotation(type="daily", handoff="09:00", members=["a", "b"])
    raw = rotation_shifts(rot, UTC, utc(2026, 1, 1, 12), utc(2026, 1, 3, 12))
    assert (raw[0].start, raw[0].end) == (utc(2026, 1, 1, 9), utc(2026, 1, 2, 9))
    assert [r.end for r in raw][-1] == utc(2026, 1, 4, 9)
    assert len(raw) == 3
    assert rotation_shifts(rot, UTC, utc(2026, 1, 2), utc(2026, 1, 1)) == []


def test_rotation_model_helpers() -> None:
    w = WeeklyRotation(type="weekly", handoff="Fri 17:30", members=["a"])
    assert (w.handoff_weekday, w.handoff_time.hour, w.handoff_time.minute) == (4, 17, 30)
    c = CustomRotation(type="custom", length="2d", members=["a"])
    assert c.length == timedelta(days=2)


def test_naive_instants_are_rejected() -> None:
    s = sched("UTC", {"type": "daily", "members": ["a"]})
    with pytest.raises(ValueError, match="at must be timezone-aware"):
        on_call_at(s, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        shifts(s, datetime(2026, 1, 1), utc(2026, 1, 2))


def test_results_do_not_depend_on_the_wall_clock() -> None:
    s = sched("Europe/Berlin", {"type": "weekly", "members": ["a", "b"]})
    window = (utc(2026, 3, 1), utc(2026, 4, 1))
    with time_machine.travel(datetime(2030, 6, 1, tzinfo=UTC), tick=False):
        frozen_a = shifts(s, *window)
    with time_machine.travel(datetime(2001, 1, 1, tzinfo=UTC), tick=False):
        frozen_b = shifts(s, *window)
    assert frozen_a == frozen_b
    assert all(sh.start.tzinfo is UTC for sh in frozen_a)
