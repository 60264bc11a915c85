"""YAML `inhibit_rules:` and `maintenance_windows:`; silences are runtime data, not config."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from warroom.routing.config import Duration, MatcherString, parse_matcher_strings
from warroom.suppression.inhibit import InhibitRule
from warroom.suppression.maintenance import (
    CronSchedule,
    MaintenanceWindow,
    WeeklySchedule,
    WeeklySpan,
)

__all__ = [
    "InhibitRuleConfig",
    "MaintenanceWindowConfig",
    "SuppressionConfig",
    "WeeklyConfig",
    "parse_days",
]

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK = re.compile(r"(?:(?P<day>[A-Za-z]+)\s+)?(?P<h>\d{1,2}):(?P<m>\d{2})")


def _day(name: str) -> int:
    key = name.strip().lower()
    for names in (_DAYS, _FULL_DAYS):
        if key in names:
            return names.index(key)
    raise ValueError(f"unknown weekday {name!r}: use mon..sun or monday..sunday")


def parse_days(values: list[str]) -> list[int]:
    """`["mon-fri", "sun"]` -> [0, 1, 2, 3, 4, 6]; ranges may wrap (`fri-mon`)."""
    days: list[int] = []
    for value in values:
        first, sep, last = value.partition("-")
        if not sep:
            days.append(_day(value))
            continue
        start, end = _day(first), _day(last)
        days.extend((start + i) % 7 for i in range((end - start) % 7 + 1))
    return sorted(set(days))


def _clock(value: str, *, allow_24: bool) -> tuple[int | None, time, bool]:
    """Parse `22:00` or `sat 22:00`; returns (day or None, time, is_24_00)."""
    found = _CLOCK.fullmatch(value.strip())
    if found is None:
        raise ValueError(
            f"invalid time {value!r}: expected HH:MM or 'DAY HH:MM' (e.g. 'sat 22:00')"
        )
    day = None if found.group("day") is None else _day(found.group("day"))
    hour, minute = int(found.group("h")), int(found.group("m"))
    if allow_24 and (hour, minute) == (24, 0):
        return day, time(0, 0), True
    if hour > 23 or minute > 59:
        raise ValueError(f"invalid time {value!r}: hours 00-23, minutes 00-59")
    return day, time(hour, minute), False


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {value!r}: use an IANA name like Europe/Berlin"
        ) from None
    return value


class InhibitRuleConfig(BaseModel):
    """Mute alerts matching `target_matchers` while one matching `source_matchers` fires."""

    model_config = ConfigDict(extra="forbid")

    source_matchers: list[MatcherString] = Field(default_factory=list)
    target_matchers: list[MatcherString] = Field(default_factory=list)
    equal: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)

    def build(self) -> InhibitRule:
        return InhibitRule(
            source_matchers=parse_matcher_strings(self.source_matchers),
            target_matchers=parse_matcher_strings(self.target_matchers),
            equal=tuple(self.equal),
        )


class WeeklyConfig(BaseModel):
    """Either `days` + `start`/`end` as HH:MM (end <= start runs into the next day,
    `24:00` means midnight), or `start`/`end` with days such as `sat 22:00`/`sun 02:00`."""

    model_config = ConfigDict(extra="forbid")

    days: list[str] | None = None
    start: str
    end: str

    @field_validator("days")
    @classmethod
    def _days_valid(cls, value: list[str] | None) -> list[str] | None:
        if value is not None:
            if not value:
                raise ValueError("days must not be empty (omit it for every day)")
            parse_days(value)
        return value

    @model_validator(mode="after")
    def _spans_valid(self) -> Self:
        self.spans()
        return self

    def spans(self) -> tuple[WeeklySpan, ...]:
        start_day, start, _ = _clock(self.start, allow_24=False)
        end_day, end, end_24 = _clock(self.end, allow_24=True)
        if (start_day is None) != (end_day is None):
            raise ValueError("start and end must both name a day, or neither")
        if start_day is not None and end_day is not None:
            if self.days is not None:
                raise ValueError("give either days or day names in start/end, not both")
            return (WeeklySpan(start_day, start, (end_day + end_24) % 7, end),)
        spans = []
        for day in parse_days(self.days) if self.days is not None else list(range(7)):
            rolls_over = end_24 or end <= start
            if not end_24 and end == start:
                raise ValueError("start and end must differ (use end: '24:00' for a full day)")
            spans.append(WeeklySpan(day, start, (day + rolls_over) % 7, end))
        return tuple(spans)


class MaintenanceWindowConfig(BaseModel):
    """A recurring window: `cron` + `duration`, or `weekly`."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    services: list[Annotated[str, Field(min_length=1)]] = Field(default_factory=list)
    matchers: list[MatcherString] = Field(default_factory=list)
    timezone: Annotated[str, AfterValidator(_check_timezone)] = "UTC"
    cron: str | None = None
    duration: Duration | None = None
    weekly: WeeklyConfig | None = None

    @model_validator(mode="after")
    def _schedule_valid(self) -> Self:
        if not self.services and not self.matchers:
            raise ValueError(f"maintenance window {self.id!r}: give services and/or matchers")
        if (self.cron is None) == (self.weekly is None):
            raise ValueError(f"maintenance window {self.id!r}: give exactly one of cron or weekly")
        if self.cron is not None:
            if self.duration is None:
                raise ValueError(f"maintenance window {self.id!r}: cron needs a duration")
            self._cron_schedule()
        elif self.duration is not None:
            raise ValueError(f"maintenance window {self.id!r}: duration only goes with cron")
        return self

    def _cron_schedule(self) -> CronSchedule:
        assert self.cron is not None and self.duration is not None
        schedule = CronSchedule(self.cron, self.duration)
        utc = ZoneInfo("UTC")
        if schedule.next_start(datetime(2000, 1, 1, tzinfo=utc), utc) is None:
            raise ValueError(f"cron expression {self.cron!r} never fires")
        return schedule

    def build(self) -> MaintenanceWindow:
        schedule: CronSchedule | WeeklySchedule
        if self.weekly is not None:
            schedule = WeeklySchedule(self.weekly.spans())
        else:
            schedule = self._cron_schedule()
        return MaintenanceWindow(
            id=self.id,
            schedule=schedule,
            timezone=ZoneInfo(self.timezone),
            services=frozenset(self.services),
            matchers=parse_matcher_strings(self.matchers),
        )


class SuppressionConfig(BaseModel):
    """The suppression-related top-level YAML keys, gathered for validation."""

    model_config = ConfigDict(extra="forbid")

    inhibit_rules: list[InhibitRuleConfig] = Field(default_factory=list)
    maintenance_windows: list[MaintenanceWindowConfig] = Field(default_factory=list)

    @field_validator("maintenance_windows")
    @classmethod
    def _unique_ids(cls, value: list[MaintenanceWindowConfig]) -> list[MaintenanceWindowConfig]:
        seen: set[str] = set()
        for window in value:
            if window.id in seen:
                raise ValueError(f"duplicate maintenance window id {window.id!r}")
            seen.add(window.id)
        return value

    def build_inhibit_rules(self) -> list[InhibitRule]:
        return [rule.build() for rule in self.inhibit_rules]

    def build_maintenance_windows(self) -> list[MaintenanceWindow]:
        return [window.build() for window in self.maintenance_windows]
