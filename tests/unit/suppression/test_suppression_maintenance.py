from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from warroom.routing.matchers import parse_matchers
from warroom.suppression.maintenance import (
    CronSchedule,
    MaintenanceWindow,
    WeeklySchedule,
    WeeklySpan,
    in_maintenance,
    localize,
)

BERLIN = ZoneInfo("Europe/Berlin")
# 2024: spring forward 31 Mar 02:00 CET -> 03:00 CEST (01:00Z); fall back 27 Oct 03:00 CEST
# -> 02:00 CET (01:00Z).
MON, FRI, SAT, SUN = 0, 4, 5, 6


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


def cron_window(expr: str, duration: timedelta, tz: ZoneInfo = BERLIN) -> MaintenanceWindow:
    return MaintenanceWindow("w", CronSchedule(expr, duration), tz, frozenset({"db"}))


def weekly_window(*spans: WeeklySpan, tz: ZoneInfo = BERLIN) -> MaintenanceWindow:
    return MaintenanceWindow("w", WeeklySchedule(spans), tz, frozenset({"db"}))


# --- localize ---------------------------------------------------------------------------


def test_localize_plain_and_dst_edges() -> None:
    assert localize(datetime(2024, 1, 10, 12, 0), BERLIN) == utc(2024, 1, 10, 11, 0)
    assert localize(datetime(2024, 7, 10, 12, 0), BERLIN) == utc(2024, 7, 10, 10, 0)
    # Nonexistent wall time -> the moment the clock jumps (03:00 CEST).
    assert localize(datetime(2024, 3, 31, 2, 0), BERLIN) == utc(2024, 3, 31, 1, 0)
    assert localize(datetime(2024, 3, 31, 2, 59, 59), BERLIN) == utc(2024, 3, 31, 1, 0)
    assert localize(datetime(2024, 3, 31, 3, 0), BERLIN) == utc(2024, 3, 31, 1, 0)
    # Ambiguous wall time -> first occurrence (still CEST).
    assert localize(datetime(2024, 10, 27, 2, 30), BERLIN) == utc(2024, 10, 27, 0, 30)
    assert localize(datetime(2024, 10, 27, 3, 0), BERLIN) == utc(2024, 10, 27, 2, 0)


def test_localize_half_hour_gap() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")  # +10:30 -> +11 on 2024-10-06 at 02:00
    expected = datetime(2024, 10, 6, 2, 30, tzinfo=lord_howe).astimezone(UTC)
    assert localize(datetime(2024, 10, 6, 2, 15), lord_howe) == expected


@given(st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
       st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)))
def test_localize_is_monotone(a: datetime, b: datetime) -> None:
    a, b = min(a, b), max(a, b)
    assert localize(a, BERLIN) <= localize(b, BERLIN)


# --- cron windows -----------------------------------------------------------------------


def test_cron_window_normal_day() -> None:
    w = cron_window("30 2 * * *", timedelta(hours=1))
    assert not w.active(utc(2024, 1, 10, 1, 29))
    assert w.active(utc(2024, 1, 10, 1, 30))  # 02:30 CET, start inclusive
    assert w.active(utc(2024, 1, 10, 2, 29, 59))
    assert not w.active(utc(2024, 1, 10, 2, 30))  # end exclusive
    assert w.current(utc(2024, 1, 10, 2, 0)) == (utc(2024, 1, 10, 1, 30), utc(2024, 1, 10, 2, 30))


def test_cron_window_in_spring_forward_gap_starts_at_the_jump() -> None:
    w = cron_window("30 2 * * *", timedelta(hours=1))
    assert not w.active(utc(2024, 3, 31, 0, 59))
    assert w.active(utc(2024, 3, 31, 1, 0))  # 03:00 CEST
    assert w.active(utc(2024, 3, 31, 1, 59))
    assert not w.active(utc(2024, 3, 31, 2, 0))  # one hour of elapsed time
    assert w.next_start(utc(2024, 3, 30, 12, 0)) == datetime(2024, 3, 31, 3, 0, tzinfo=BERLIN)
    # The next day is CEST: 02:30 CEST = 00:30Z.
    assert w.active(utc(2024, 4, 1, 0, 30))


def test_cron_window_on_fall_back_uses_first_occurrence_and_elapsed_duration() -> None:
    w = cron_window("30 2 * * *", timedelta(hours=1))
    assert not w.active(utc(2024, 10, 27, 0, 29))
    assert w.active(utc(2024, 10, 27, 0, 30))  # 02:30 CEST
    # 01:15Z is 02:15 CET, the second pass through 02:xx, still within the hour.
    assert w.active(utc(2024, 10, 27, 1, 15))
    assert not w.active(utc(2024, 10, 27, 1, 30))  # 02:30 CET: no second window
    assert not w.active(utc(2024, 10, 27, 1, 45))
    assert w.next_start(utc(2024, 10, 27, 1, 15)) == datetime(2024, 10, 28, 2, 30, tzinfo=BERLIN)


def test_cron_next_start_is_strictly_after_now_and_in_window_timezone() -> None:
    w = cron_window("0 22 * * sat", timedelta(hours=4))
    start = w.next_start(utc(2024, 6, 15, 20, 0))  # exactly Saturday 22:00 CEST
    assert start == datetime(2024, 6, 22, 22, 0, tzinfo=BERLIN)
    assert start is not None and start.tzinfo is BERLIN
    assert w.active(utc(2024, 6, 15, 20, 0))


def test_cron_duration_longer_than_interval_keeps_window_open() -> None:
    w = cron_window("0 * * * *", timedelta(minutes=90))
    for minute in range(0, 600, 7):
        assert w.active(utc(2024, 5, 1, 0, 0) + timedelta(minutes=minute))


def test_cron_that_never_fires_is_never_active() -> None:
    w = cron_window("0 0 30 2 *", timedelta(hours=1))
    assert not w.active(utc(2024, 2, 29, 23, 30))
    assert w.next_start(utc(2024, 1, 1)) is None


@pytest.mark.parametrize(
    ("expr", "duration"),
    [("not cron", timedelta(hours=1)), ("0 0 * * * 10", timedelta(hours=1)),
     ("61 * * * *", timedelta(hours=1)), ("0 0 * * *", timedelta(0))],
)
def test_cron_schedule_validation(expr: str, duration: timedelta) -> None:
    with pytest.raises(ValueError):
        CronSchedule(expr, duration)


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2025, 12, 31),
                    timezones=st.just(UTC)))
def test_cron_next_start_is_active_and_after_now(now: datetime) -> None:
    w = cron_window("15 1,2,3 * * *", timedelta(minutes=20))
    start = w.next_start(now)
    assert start is not None and start > now
    assert w.active(start)
    assert w.next_start(now) <= w.next_start(start)  # type: ignore[operator]


# --- weekly windows ---------------------------------------------------------------------

SAT_NIGHT = WeeklySpan(SAT, time(22, 0), SUN, time(2, 0))


def test_weekly_span_length_and_validation() -> None:
    assert SAT_NIGHT.length == timedelta(hours=4)
    assert WeeklySpan(SUN, time(22), MON, time(2)).length == timedelta(hours=4)
    assert WeeklySpan(MON, time(10), MON, time(9)).length == timedelta(days=6, hours=23)
    with pytest.raises(ValueError):
        WeeklySpan(MON, time(10), MON, time(10))
    with pytest.raises(ValueError):
        WeeklySpan(7, time(10), MON, time(11))


def test_weekly_crosses_midnight() -> None:
    w = weekly_window(SAT_NIGHT)
    # 2024-06-15 is a Saturday (CEST).
    assert not w.active(utc(2024, 6, 15, 19, 59))
    assert w.active(utc(2024, 6, 15, 20, 0))
    assert w.active(utc(2024, 6, 15, 23, 30))  # Sunday 01:30 local
    assert not w.active(utc(2024, 6, 16, 0, 0))  # Sunday 02:00 local
    assert not w.active(utc(2024, 6, 16, 20, 0))  # Sunday 22:00 local


def test_weekly_crosses_week_end() -> None:
    w = weekly_window(WeeklySpan(SUN, time(22, 0), MON, time(2, 0)))
    assert w.active(utc(2024, 6, 16, 20, 0))  # Sunday 22:00 CEST
    assert w.active(utc(2024, 6, 16, 23, 0))  # Monday 01:00 CEST
    assert not w.active(utc(2024, 6, 17, 0, 0))  # Monday 02:00 CEST
    assert w.next_start(utc(2024, 6, 17, 0, 0)) == datetime(2024, 6, 23, 22, 0, tzinfo=BERLIN)


def test_weekly_over_spring_forward_is_an_hour_shorter_in_wall_terms() -> None:
    w = weekly_window(WeeklySpan(SAT, time(23, 0), SUN, time(4, 0)))
    # Sat 2024-03-30 23:00 CET = 22:00Z; Sun 04:00 CEST = 02:00Z: 4 hours elapsed.
    assert w.current(utc(2024, 3, 31, 0, 0)) == (utc(2024, 3, 30, 22, 0), utc(2024, 3, 31, 2, 0))


def test_weekly_end_in_the_gap_ends_at_the_jump() -> None:
    w = weekly_window(SAT_NIGHT)
    # Sunday 02:00 does not exist on 2024-03-31: the window ends at 03:00 CEST (01:00Z).
    assert w.active(utc(2024, 3, 31, 0, 59))
    assert not w.active(utc(2024, 3, 31, 1, 0))
    assert w.current(utc(2024, 3, 30, 21, 0)) == (utc(2024, 3, 30, 21, 0), utc(2024, 3, 31, 1, 0))


def test_weekly_over_fall_back_is_an_hour_longer() -> None:
    w = weekly_window(WeeklySpan(SAT, time(23, 0), SUN, time(4, 0)))
    # Sat 2024-10-26 23:00 CEST = 21:00Z; Sun 04:00 CET = 03:00Z: 6 hours elapsed.
    expected = (utc(2024, 10, 26, 21, 0), utc(2024, 10, 27, 3, 0))
    assert w.current(utc(2024, 10, 27, 1, 30)) == expected
    assert w.active(utc(2024, 10, 27, 2, 59))
    assert not w.active(utc(2024, 10, 27, 3, 0))


def test_weekly_multiple_spans_and_next_start() -> None:
    w = weekly_window(
        WeeklySpan(MON, time(9), MON, time(10)),
        WeeklySpan(FRI, time(9), FRI, time(10)),
        tz=ZoneInfo("UTC"),
    )
    assert w.active(utc(2024, 6, 17, 9, 30))  # Monday
    assert not w.active(utc(2024, 6, 18, 9, 30))  # Tuesday
    assert w.next_start(utc(2024, 6, 17, 9, 30)) == utc(2024, 6, 21, 9, 0)
    assert w.next_start(utc(2024, 6, 21, 9, 0)) == utc(2024, 6, 24, 9, 0)


def _span_from(start_minute: int, length: int) -> WeeklySpan:
    end_minute = (start_minute + length) % (7 * 1440)
    def at(minute: int) -> time:
        return time((minute % 1440) // 60, minute % 60)
    return WeeklySpan(start_minute // 1440, at(start_minute), end_minute // 1440, at(end_minute))


_span = st.builds(_span_from, st.integers(0, 7 * 1440 - 1), st.integers(120, 7 * 1440 - 1))


def _week_minute(day: int, at: time) -> int:
    return day * 1440 + at.hour * 60 + at.minute


@given(span=_span, now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1),
                                    timezones=st.just(UTC)))
def test_weekly_in_utc_agrees_with_minute_of_week(span: WeeklySpan, now: datetime) -> None:
    w = weekly_window(span, tz=ZoneInfo("UTC"))
    start = _week_minute(span.start_day, span.start)
    length = int(span.length.total_seconds()) // 60
    now_minute = _week_minute(now.weekday(), now.time())
    inside = (now_minute - start) % (7 * 1440) < length
    assert w.active(now) is inside


@given(span=_span, now=st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2026, 1, 1),
                                    timezones=st.just(UTC)))
def test_weekly_next_start_is_active_in_berlin(span: WeeklySpan, now: datetime) -> None:
    w = weekly_window(span)
    start = w.next_start(now)
    assert start is not None and now < start <= now + timedelta(days=7, hours=1)
    assert w.active(start)


# --- scope ------------------------------------------------------------------------------


def test_applies_to_services_and_matchers() -> None:
    w = MaintenanceWindow(
        "db-maint", CronSchedule("0 0 * * *", timedelta(hours=1)), ZoneInfo("UTC"),
        frozenset({"db", "cache"}), tuple(parse_matchers('env="prod"')),
    )
    assert w.applies_to({"env": "prod"}, "db")
    assert not w.applies_to({"env": "prod"}, "web")
    assert not w.applies_to({"env": "prod"}, None)
    assert not w.applies_to({"env": "dev"}, "db")
    everything = MaintenanceWindow("all", CronSchedule("0 0 * * *", timedelta(hours=1)))
    assert everything.applies_to({}, None)


def test_in_maintenance_filters_by_scope_and_time() -> None:
    nightly = MaintenanceWindow("nightly", CronSchedule("0 0 * * *", timedelta(hours=1)),
                                ZoneInfo("UTC"), frozenset({"db"}))
    weekly = MaintenanceWindow("weekly", WeeklySchedule((SAT_NIGHT,)), BERLIN, frozenset({"db"}))
    windows = [nightly, weekly]
    assert in_maintenance({}, "db", windows, utc(2024, 6, 15, 0, 30)) == ["nightly"]
    assert in_maintenance({}, "db", windows, utc(2024, 6, 16, 0, 30)) == ["nightly"]
    assert in_maintenance({}, "db", windows, utc(2024, 6, 15, 23, 30)) == ["weekly"]
    assert in_maintenance({}, "web", windows, utc(2024, 6, 15, 0, 30)) == []
    assert in_maintenance({}, "db", windows, utc(2024, 6, 15, 12, 0)) == []


def test_naive_now_is_rejected() -> None:
    w = cron_window("0 0 * * *", timedelta(hours=1))
    with pytest.raises(ValueError, match="timezone-aware"):
        w.active(datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        w.next_start(datetime(2024, 1, 1))
