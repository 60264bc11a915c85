from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from warroom.routing.matchers import Matcher, MatchType
from warroom.suppression.config import (
    InhibitRuleConfig,
    MaintenanceWindowConfig,
    SuppressionConfig,
    WeeklyConfig,
    parse_days,
)
from warroom.suppression.maintenance import CronSchedule, WeeklySchedule, WeeklySpan

YAML_LIKE = {
    "inhibit_rules": [
        {
            "source_matchers": ['severity="critical"'],
            "target_matchers": ['severity=~"warning|info"'],
            "equal": ["alertname", "cluster"],
        }
    ],
    "maintenance_windows": [
        {"id": "nightly-db", "services": ["db"], "timezone": "Europe/Berlin",
         "cron": "30 2 * * *", "duration": "1h"},
        {"id": "weekend", "services": ["web"], "matchers": ['env="prod"'],
         "weekly": {"start": "sat 22:00", "end": "sun 02:00"}},
    ],
}


def test_build_everything() -> None:
    cfg = SuppressionConfig.model_validate(YAML_LIKE)
    (rule,) = cfg.build_inhibit_rules()
    assert rule.source_matchers == (Matcher("severity", MatchType.EQUAL, "critical"),)
    assert rule.target_matchers == (Matcher("severity", MatchType.REGEX, "warning|info"),)
    assert rule.equal == ("alertname", "cluster")
    nightly, weekend = cfg.build_maintenance_windows()
    assert nightly.schedule == CronSchedule("30 2 * * *", timedelta(hours=1))
    assert nightly.timezone == ZoneInfo("Europe/Berlin")
    assert nightly.services == frozenset({"db"})
    assert weekend.timezone == ZoneInfo("UTC")
    assert weekend.schedule == WeeklySchedule((WeeklySpan(5, time(22), 6, time(2)),))
    assert weekend.matchers == (Matcher("env", MatchType.EQUAL, "prod"),)
    assert weekend.active(datetime(2024, 6, 15, 23, 0, tzinfo=UTC))


def test_empty_config() -> None:
    cfg = SuppressionConfig.model_validate({})
    assert cfg.build_inhibit_rules() == [] and cfg.build_maintenance_windows() == []


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["mon"], [0]),
        (["Monday", "SUN"], [0, 6]),
        (["mon-fri"], [0, 1, 2, 3, 4]),
        (["fri-mon"], [0, 4, 5, 6]),
        (["sat", "sat-sun"], [5, 6]),
    ],
)
def test_parse_days(values: list[str], expected: list[int]) -> None:
    assert parse_days(values) == expected


def test_parse_days_rejects_unknown() -> None:
    with pytest.raises(ValueError, match="unknown weekday"):
        parse_days(["funday"])


@pytest.mark.parametrize(
    ("data", "spans"),
    [
        ({"days": ["mon-fri"], "start": "09:00", "end": "17:00"},
         [WeeklySpan(d, time(9), d, time(17)) for d in range(5)]),
        ({"days": ["fri"], "start": "23:00", "end": "01:00"},
         [WeeklySpan(4, time(23), 5, time(1))]),
        ({"days": ["sun"], "start": "22:00", "end": "02:00"}, [WeeklySpan(6, time(22), 0, time(2))]),
        ({"days": ["sat"], "start": "00:00", "end": "24:00"}, [WeeklySpan(5, time(0), 6, time(0))]),
        ({"days": ["sun"], "start": "20:00", "end": "24:00"}, [WeeklySpan(6, time(20), 0, time(0))]),
        ({"start": "01:00", "end": "02:00"}, [WeeklySpan(d, time(1), d, time(2)) for d in range(7)]),
        ({"start": "sun 22:00", "end": "mon 02:00"}, [WeeklySpan(6, time(22), 0, time(2))]),
        ({"start": "fri 18:00", "end": "mon 06:00"}, [WeeklySpan(4, time(18), 0, time(6))]),
        ({"start": "sat 22:00", "end": "sat 24:00"}, [WeeklySpan(5, time(22), 6, time(0))]),
    ],
)
def test_weekly_forms(data: dict[str, object], spans: list[WeeklySpan]) -> None:
    assert list(WeeklyConfig.model_validate(data).spans()) == spans


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"days": ["mon"], "start": "10:00", "end": "10:00"}, "must differ"),
        ({"days": ["mon"], "start": "25:00", "end": "10:00"}, "invalid time"),
        ({"days": ["mon"], "start": "24:00", "end": "10:00"}, "invalid time"),
        ({"days": ["mon"], "start": "9am", "end": "10:00"}, "invalid time"),
        ({"days": [], "start": "09:00", "end": "10:00"}, "must not be empty"),
        ({"days": ["mon"], "start": "sat 09:00", "end": "sun 10:00"}, "not both"),
        ({"start": "sat 09:00", "end": "10:00"}, "both name a day"),
        ({"start": "sat 09:00", "end": "sat 09:00"}, "same time"),
        ({"days": ["someday"], "start": "09:00", "end": "10:00"}, "unknown weekday"),
    ],
)
def test_weekly_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        WeeklyConfig.model_validate(data)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"id": "x", "cron": "0 0 * * *", "duration": "1h"}, "services and/or matchers"),
        ({"id": "x", "services": ["a"]}, "exactly one of cron or weekly"),
        ({"id": "x", "services": ["a"], "cron": "0 0 * * *",
          "weekly": {"start": "01:00", "end": "02:00"}}, "exactly one"),
        ({"id": "x", "services": ["a"], "cron": "0 0 * * *"}, "needs a duration"),
        ({"id": "x", "services": ["a"], "cron": "bogus", "duration": "1h"}, "invalid cron"),
        ({"id": "x", "services": ["a"], "cron": "0 0 30 2 *", "duration": "1h"}, "never fires"),
        ({"id": "x", "services": ["a"], "cron": "0 0 * * *", "duration": "0s"}, "positive"),
        ({"id": "x", "services": ["a"], "weekly": {"start": "01:00", "end": "02:00"},
          "duration": "1h"}, "duration only goes with cron"),
        ({"id": "x", "services": ["a"], "timezone": "Mars/Olympus", "cron": "0 0 * * *",
          "duration": "1h"}, "unknown timezone"),
        ({"id": "x", "matchers": ["a=~("], "cron": "0 0 * * *", "duration": "1h"},
         "invalid matcher"),
        ({"id": "", "services": ["a"], "cron": "0 0 * * *", "duration": "1h"}, "at least 1"),
        ({"id": "x", "services": ["a"], "cron": "0 0 * * *", "duration": "1h", "extra": 1},
         "Extra inputs"),
    ],
)
def test_maintenance_window_errors(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MaintenanceWindowConfig.model_validate(data)


def test_duplicate_window_ids_rejected() -> None:
    window = {"id": "x", "services": ["a"], "cron": "0 0 * * *", "duration": "1h"}
    with pytest.raises(ValidationError, match="duplicate maintenance window id 'x'"):
        SuppressionConfig.model_validate({"maintenance_windows": [window, window]})


def test_inhibit_rule_errors_name_location() -> None:
    with pytest.raises(ValidationError) as info:
        SuppressionConfig.model_validate(
            {"inhibit_rules": [{"source_matchers": ["a=1"], "target_matchers": ["b=~(x"]}]}
        )
    (error,) = info.value.errors()
    assert error["loc"] == ("inhibit_rules", 0, "target_matchers", 0)
    with pytest.raises(ValidationError):
        InhibitRuleConfig.model_validate({"equal": [""]})
    with pytest.raises(ValidationError):
        InhibitRuleConfig.model_validate({"source_match": {"a": "1"}})  # old form not accepted
