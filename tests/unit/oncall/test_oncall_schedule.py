"""Layering, restrictions, overrides, next_shifts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from warroom.oncall import Schedule, Shift, next_shifts, on_call_at, shifts, shifts_for_person

BERLIN = ZoneInfo("Europe/Berlin")
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def base_layer(members: list[str], start: str = "2026-01-05T09:00") -> dict:
    return {"name": "base", "rotation": {"type": "weekly", "handoff": "monday 09:00", "start": start, "members": members}}


def test_restricted_later_layer_wins_inside_its_window_only() -> None:
    s = Schedule.model_validate(
        {
            "id": "s",
            "timezone": "Europe/Berlin",
            "layers": [
                base_layer(["night1"]),
                {
                    "name": "day",
                    "rotation": {"type": "daily", "handoff": "09:00", "start": "2026-01-05", "members": ["carol", "dan"]},
                    "restrict": {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "09:00", "end": "18:00"},
                },
            ],
        }
    )
    # Mon 2026-01-05 is CET (+1).
    got = shifts(s, utc(2026, 1, 5, 0), utc(2026, 1, 7, 0))
    assert [(sh.person, sh.start, sh.end, sh.layer) for sh in got] == [
        ("night1", utc(2026, 1, 5, 0), utc(2026, 1, 5, 8), "base"),
        ("carol", utc(2026, 1, 5, 8), utc(2026, 1, 5, 17), "day"),
        ("night1", utc(2026, 1, 5, 17), utc(2026, 1, 6, 8), "base"),
        ("dan", utc(2026, 1, 6, 8), utc(2026, 1, 6, 17), "day"),
        ("night1", utc(2026, 1, 6, 17), utc(2026, 1, 7, 0), "base"),
    ]
    # Weekend: only the base layer.
    weekend = shifts(s, utc(2026, 1, 10), utc(2026, 1, 12))
    assert [(sh.person, sh.layer) for sh in weekend] == [("night1", "base")]
    assert on_call_at(s, utc(2026, 1, 10, 12)) == ["night1"]
    assert on_call_at(s, utc(2026, 1, 7, 12)) == ["carol"]


def test_restriction_window_keeps_wall_clock_across_dst() -> None:
    s = Schedule.model_validate(
        {
            "id": "s",
            "timezone": "Europe/Berlin",
            "layers": [
                {"name": "biz", "rotation": {"type": "daily", "members": ["x"]}, "restrict": {"start": "09:00", "end": "18:00"}}
            ],
        }
    )
    got = shifts(s, utc(2026, 3, 27), utc(2026, 3, 31))
    assert [sh.start.astimezone(BERLIN).hour for sh in got] == [9, 9, 9, 9]
    assert [sh.end.astimezone(BERLIN).hour for sh in got] == [18, 18, 18, 18]
    assert {sh.duration for sh in got} == {9 * H}


def test_layer_with_no_coverage_leaves_a_gap() -> None:
    s = Schedule.model_validate(
        {
            "id": "s",
            "layers": [
                {"name": "biz", "rotation": {"type": "daily", "members": ["x"]}, "restrict": {"start": "22:00", "end": "06:00"}}
            ],
        }
    )
    got = shifts(s, utc(2026, 1, 1, 12), utc(2026, 1, 3, 12))
    assert [(sh.start, sh.end) for sh in got] == [
        (utc(2026, 1, 1, 22), utc(2026, 1, 2, 6)),
        (utc(2026, 1, 2, 22), utc(2026, 1, 3, 6)),
    ]
    assert on_call_at(s, utc(2026, 1, 2, 12)) == []
    assert on_call_at(s, utc(2026, 1, 2, 23)) == ["x"]


def test_weekly_restriction_window_spanning_the_weekend() -> None:
    s = Schedule.model_validate(
        {
            "id": "s",
            "layers": [
                base_layer(["weekday"]),
                {"name": "wknd", "rotation": {"type": "weekly", "members": ["w1", "w2"], "start": "2026-01-05"},
                 "restrict": {"start": "fri 18:00", "end": "mon 09:00"}},
            ],
        }
    )  # fmt: skip
    got = shifts(s, utc(2026, 1, 9), utc(2026, 1, 13))
    assert [(sh.person, sh.start, sh.end) for sh in got] == [
        ("weekday", utc(2026, 1, 9), utc(2026, 1, 9, 18)),
        ("w1", utc(2026, 1, 9, 18), utc(2026, 1, 12, 9)),
        ("weekday", utc(2026, 1, 12, 9), utc(2026, 1, 13)),
    ]


def test_overrides_beat_all_layers_and_later_override_wins() -> None:
    s = Schedule.model_validate(
        {
            "id": "s",
            "timezone": "Europe/Berlin",
            "layers": [base_layer(["a", "b"])],
            "overrides": [
                {"person": "o1", "start": "2026-01-06T00:00:00Z", "end": "2026-01-08T00:00:00Z"},
                {"person": "o2", "start": "2026-01-07T00:00:00Z", "end": "2026-01-07T12:00:00Z"},
                {"person": "o3", "start": "2026-01-09T10:00", "end": "2026-01-09T11:00"},  # Berlin wall clock
            ],
        }
    )
    got = shifts(s, utc(2026, 1, 6), utc(2026, 1, 10))
    assert [(sh.person, sh.start, sh.end, sh.layer) for sh in got] == [
        ("o1", utc(2026, 1, 6), utc(2026, 1, 7), "override"),
        ("o2", utc(2026, 1, 7), utc(2026, 1, 7, 12), "override"),
        ("o1", utc(2026, 1, 7, 12), utc(2026, 1, 8), "override"),
        ("a", utc(2026, 1, 8), utc(2026, 1, 9, 9), "base"),
        ("o3", utc(2026, 1, 9, 9), utc(2026, 1, 9, 10), "override"),
        ("a", utc(2026, 1, 9, 10), utc(2026, 1, 10), "base"),
    ]
    assert on_call_at(s, utc(2026, 1, 7, 6)) == ["o2"]


def test_override_by_same_person_is_a_separate_segment() -> None:
    s = Schedule.model_validate(
        {
            "id": "s",
            "layers": [base_layer(["a"])],
            "overrides": [{"person": "a", "start": "2026-01-07T00:00:00Z", "end": "2026-01-08T00:00:00Z"}],
        }
    )
    got = shifts(s, utc(2026, 1, 6), utc(2026, 1, 9))
    assert [(sh.person, sh.layer) for sh in got] == [("a", "base"), ("a", "override"), ("a", "base")]


def test_shifts_are_clipped_to_window_and_empty_window() -> None:
    s = Schedule.model_validate({"id": "s", "rotation": {"type": "daily", "members": ["a", "b"]}})
    got = shifts(s, utc(2026, 1, 1, 12), utc(2026, 1, 1, 13))
    assert got == [Shift(got[0].person, utc(2026, 1, 1, 12), utc(2026, 1, 1, 13), "default")]
    assert shifts(s, utc(2026, 1, 2), utc(2026, 1, 1)) == []


def test_next_shifts_starts_with_remainder_of_current() -> None:
    s = Schedule.model_validate(
        {"id": "s", "rotation": {"type": "weekly", "start": "2026-01-05", "members": ["a", "b", "c"]}}
    )
    nxt = next_shifts(s, utc(2026, 1, 7, 12), 4)
    assert [sh.person for sh in nxt] == ["a", "b", "c", "a"]
    assert nxt[0].start == utc(2026, 1, 7, 12)
    assert nxt[1].start == utc(2026, 1, 12, 9)
    assert all(sh.duration == 7 * 24 * H for sh in nxt[1:])
    assert next_shifts(s, utc(2026, 1, 7), 0) == []


def test_next_shifts_respects_horizon() -> None:
    s = Schedule.model_validate({"id": "s", "rotation": {"type": "daily", "members": ["solo"]}})
    nxt = next_shifts(s, utc(2026, 1, 1), 3, horizon=timedelta(days=30))
    assert nxt == [Shift("solo", utc(2026, 1, 1), utc(2026, 1, 31), "default")]


def test_shifts_for_person_across_schedules() -> None:
    a = Schedule.model_validate({"id": "a", "rotation": {"type": "daily", "start": "2026-01-01", "members": ["x", "y"]}})
    b = Schedule.model_validate({"id": "b", "rotation": {"type": "daily", "handoff": "21:00", "start": "2026-01-01", "members": ["y", "x"]}})
    got = shifts_for_person("x", [a, b], utc(2026, 1, 1, 9), utc(2026, 1, 3, 9))
    assert [(sched.id, sh.start) for sched, sh in got] == [
        ("a", utc(2026, 1, 1, 9)),
        ("b", utc(2026, 1, 1, 9)),  # b's x shift began Dec 31 21:00, clipped
        ("b", utc(2026, 1, 2, 21)),
    ]
