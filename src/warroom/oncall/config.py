"""On-call configuration: people, teams, schedules, rotations (pydantic v2).

These models only validate shape and values; cross-references between people,
teams and schedules are checked by `validate_references` so that a loader can
report every dangling id at once instead of failing on the first one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from warroom.durations import parse_duration

#: Default rotation anchor (wall-clock, in the schedule's time zone) when a
#: rotation has no `start`. A Monday, so weekly rotations line up naturally.
DEFAULT_EPOCH = datetime(2024, 1, 1, 0, 0)

#: Layer name reserved for overrides in resolved shifts.
OVERRIDE_LAYER = "override"

WEEKDAYS: dict[str, int] = {
    "mon": 0, "monday": 0,
    "tue": 1, "tues": 1, "tuesday": 1,
    "wed": 2, "wednesday": 2,
    "thu": 3, "thur": 3, "thurs": 3, "thursday": 3,
    "fri": 4, "friday": 4,
    "sat": 5, "saturday": 5,
    "sun": 6, "sunday": 6,
}  # fmt: skip

_ID_RE = r"^[A-Za-z0-9][A-Za-z0-9_.@:-]*$"
_CLOCK_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


# --------------------------------------------------------------------------- parsing


def parse_clock(text: str) -> time:
    """Parse a wall-clock "HH:MM" (24h)."""
    m = _CLOCK_RE.match(text.strip())
    if not m:
        raise ValueError(f"invalid time {text!r}; expected HH:MM (00:00-23:59)")
    return time(int(m.group(1)), int(m.group(2)))


def parse_weekday(text: str) -> int:
    """Parse a weekday name ("mon", "Monday") into 0=Monday..6=Sunday."""
    try:
        return WEEKDAYS[text.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown weekday {text!r}; use mon..sun or monday..sunday") from None


def parse_weekly_clock(text: str) -> tuple[int, time]:
    """Parse "<weekday> HH:MM" (e.g. "monday 09:00") into (weekday, time)."""
    parts = text.split()
    if len(parts) != 2:
        raise ValueError(f"invalid weekly time {text!r}; expected '<weekday> HH:MM'")
    return parse_weekday(parts[0]), parse_clock(parts[1])


def load_zone(name: str) -> ZoneInfo:
    """Return the IANA zone or raise ValueError (so pydantic names the field)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _duration_in(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) and not value.startswith("P") else value


def _timezone_in(value: Any) -> Any:
    if isinstance(value, str):
        load_zone(value)
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


Duration = Annotated[timedelta, BeforeValidator(_duration_in)]
TimeZoneName = Annotated[str, BeforeValidator(_timezone_in)]
Ident = Annotated[str, Field(min_length=1, max_length=128, pattern=_ID_RE)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------- people / teams


class NotificationRule(_Model):
    """How and when a person wants to be contacted for a given severity."""

    severity: Annotated[str, Field(pattern=r"^SEV[0-9]$")]
    channel: Literal["email", "sms", "phone", "chat", "push"]
    delay: Duration = timedelta(0)

    @field_validator("severity", mode="before")
    @classmethod
    def _upper(cls, v: Any) -> Any:
        return v.strip().upper() if isinstance(v, str) else v

    @field_validator("delay")
    @classmethod
    def _non_negative(cls, v: timedelta) -> timedelta:
        if v < timedelta(0):
            raise ValueError("delay must not be negative")
        return v


class Person(_Model):
    id: Ident
    name: Annotated[str, Field(min_length=1)]
    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")] | None = None
    phone: Annotated[str, Field(pattern=r"^\+[1-9]\d{6,14}$")] | None = None
    timezone: TimeZoneName = "UTC"
    chat: dict[str, str] = Field(default_factory=dict)
    notification_rules: list[NotificationRule] = Field(default_factory=list)


class Team(_Model):
    id: Ident
    name: Annotated[str, Field(min_length=1)]
    members: list[Ident] = Field(default_factory=list)
    schedule: Ident | None = None


# --------------------------------------------------------------------------- rotations


class _RotationBase(_Model):
    members: Annotated[list[Ident], Field(min_length=1)]
    #: Wall-clock anchor in the schedule's zone (naive) or an absolute instant.
    #: The first shift beginning at or after it belongs to members[0].
    start: datetime | None = None


class DailyRotation(_RotationBase):
    """Hands off every day at `handoff` ("HH:MM", schedule-local wall clock)."""

    type: Literal["daily"]
    handoff: str = "09:00"

    @field_validator("handoff")
    @classmethod
    def _check_handoff(cls, v: str) -> str:
        parse_clock(v)
        return v

    @property
    def handoff_time(self) -> time:
        return parse_clock(self.handoff)


class WeeklyRotation(_RotationBase):
    """Hands off once a week at `handoff` ("<weekday> HH:MM")."""

    type: Literal["weekly"]
    handoff: str = "monday 09:00"

    @field_validator("handoff")
    @classmethod
    def _check_handoff(cls, v: str) -> str:
        parse_weekly_clock(v)
        return v

    @property
    def handoff_weekday(self) -> int:
        return parse_weekly_clock(self.handoff)[0]

    @property
    def handoff_time(self) -> time:
        return parse_weekly_clock(self.handoff)[1]


class CustomRotation(_RotationBase):
    """Fixed-length shifts counted in wall-clock time from `start`."""

    type: Literal["custom"]
    length: Duration

    @field_validator("length")
    @classmethod
    def _positive(cls, v: timedelta) -> timedelta:
        if v <= timedelta(0):
            raise ValueError("length must be positive")
        if v < timedelta(minutes=1):
            raise ValueError("length must be at least 1m")
        return v


Rotation = Annotated[
    DailyRotation | WeeklyRotation | CustomRotation, Field(discriminator="type")
]


# --------------------------------------------------------------------------- restrictions


class Restriction(_Model):
    """A recurring window a layer is limited to, in the schedule's time zone.

    Daily form: `start`/`end` are "HH:MM", optionally only on `days` (the day the
    window starts). Weekly form: `start`/`end` are "<weekday> HH:MM" and `days`
    is not allowed. `end` <= `start` wraps past midnight / the week's end.
    """

    start: str
    end: str
    days: list[str] | None = None

    @field_validator("days")
    @classmethod
    def _check_days(cls, v: list[str] | None) -> list[str] | None:
        if v is not None:
            if not v:
                raise ValueError("days must not be empty when given")
            for d in v:
                parse_weekday(d)
        return v

    @field_validator("start", "end")
    @classmethod
    def _check_clock(cls, v: str) -> str:
        if len(v.split()) == 2:
            parse_weekly_clock(v)
        else:
            parse_clock(v)
        return v

    @model_validator(mode="after")
    def _check_form(self) -> Restriction:
        weekly = [len(x.split()) == 2 for x in (self.start, self.end)]
        if weekly[0] != weekly[1]:
            raise ValueError("start and end must both be 'HH:MM' or both '<weekday> HH:MM'")
        if weekly[0] and self.days is not None:
            raise ValueError("days is only allowed with daily ('HH:MM') windows")
        return self

    @property
    def is_weekly(self) -> bool:
        return len(self.start.split()) == 2

    @property
    def weekdays(self) -> frozenset[int]:
        if self.days is None:
            return frozenset(range(7))
        return frozenset(parse_weekday(d) for d in self.days)


class Layer(_Model):
    name: Ident
    rotation: Rotation
    restrict: Annotated[list[Restriction] | None, BeforeValidator(_as_list)] = None

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, v: str) -> str:
        if v == OVERRIDE_LAYER:
            raise ValueError(f"layer name {OVERRIDE_LAYER!r} is reserved")
        return v


class Override(_Model):
    """Puts `person` on call for [start, end); naive times are schedule-local."""

    person: Ident
    start: datetime
    end: datetime


class Schedule(_Model):
    id: Ident
    name: str | None = None
    timezone: TimeZoneName = "UTC"
    rotation: Rotation | None = None
    layers: list[Layer] | None = None
    overrides: list[Override] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> Schedule:
        if (self.rotation is None) == (self.layers is None):
            raise ValueError("exactly one of 'rotation' or 'layers' is required")
        if self.layers is not None:
            if not self.layers:
                raise ValueError("layers must not be empty")
            names = [layer.name for layer in self.layers]
            dupes = sorted({n for n in names if names.count(n) > 1})
            if dupes:
                raise ValueError(f"layers: duplicate layer name(s) {dupes}")
        for i, o in enumerate(self.overrides):
            if _localize(o.end, self.tz) <= _localize(o.start, self.tz):
                raise ValueError(f"overrides[{i}]: end must be after start")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return load_zone(self.timezone)

    @property
    def effective_layers(self) -> tuple[Layer, ...]:
        """Layers in precedence order (last wins); the shorthand is one layer "default"."""
        if self.layers is not None:
            return tuple(self.layers)
        assert self.rotation is not None
        return (Layer(name="default", rotation=self.rotation),)


def _localize(dt: datetime, tz: ZoneInfo) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=tz)


# --------------------------------------------------------------------------- references


@dataclass(frozen=True)
class ConfigIssue:
    """A cross-reference problem; `field` is a dotted path into the config."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


def _dupes(kind: str, ids: list[str]) -> list[ConfigIssue]:
    seen: set[str] = set()
    out: list[ConfigIssue] = []
    for i, ident in enumerate(ids):
        if ident in seen:
            out.append(ConfigIssue(f"{kind}[{i}].id", f"duplicate id {ident!r}"))
        seen.add(ident)
    return out


def validate_references(
    people: list[Person], teams: list[Team], schedules: list[Schedule]
) -> list[ConfigIssue]:
    """Return every duplicate id and dangling person/schedule reference (empty = ok)."""
    issues = _dupes("people", [p.id for p in people])
    issues += _dupes("teams", [t.id for t in teams])
    issues += _dupes("schedules", [s.id for s in schedules])
    person_ids = {p.id for p in people}
    schedule_ids = {s.id for s in schedules}

    def person(path: str, ident: str) -> None:
        if ident not in person_ids:
            issues.append(ConfigIssue(path, f"unknown person {ident!r}"))

    for ti, team in enumerate(teams):
        for mi, member in enumerate(team.members):
            person(f"teams[{ti}].members[{mi}]", member)
        if team.schedule is not None and team.schedule not in schedule_ids:
            issues.append(
                ConfigIssue(f"teams[{ti}].schedule", f"unknown schedule {team.schedule!r}")
            )
    for si, sched in enumerate(schedules):
        if sched.rotation is not None:
            for mi, member in enumerate(sched.rotation.members):
                person(f"schedules[{si}].rotation.members[{mi}]", member)
        for li, layer in enumerate(sched.layers or []):
            for mi, member in enumerate(layer.rotation.members):
                person(f"schedules[{si}].layers[{li}].rotation.members[{mi}]", member)
        for oi, override in enumerate(sched.overrides):
            person(f"schedules[{si}].overrides[{oi}].person", override.person)
    return issues


class OnCallConfig(_Model):
    """The whole on-call section; rejects dangling references on validation."""

    people: list[Person] = Field(default_factory=list)
    teams: list[Team] = Field(default_factory=list)
    schedules: list[Schedule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check_refs(self) -> OnCallConfig:
        issues = validate_references(self.people, self.teams, self.schedules)
        if issues:
            raise ValueError("; ".join(str(i) for i in issues))
        return self

    def schedule(self, schedule_id: str) -> Schedule:
        for s in self.schedules:
            if s.id == schedule_id:
                return s
        raise KeyError(schedule_id)
