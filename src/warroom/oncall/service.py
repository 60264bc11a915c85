"""On-call use cases over the configuration and an explicit instant (`at`/`now`).

Thin: lookups that raise the domain's NotFound/InvalidInput, input time parsing shared by
the HTTP API and the CLI, range bounds, and the API's output shapes. The rules themselves
live in `warroom.oncall.schedule` / `warroom.oncall.ical` (pure, no clock).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from warroom.errors import InvalidInput, NotFound
from warroom.oncall.config import OnCallConfig, Person, Schedule, Team, load_zone
from warroom.oncall.ical import person_to_ical, schedule_to_ical
from warroom.oncall.rotation import local_to_utc
from warroom.oncall.schedule import Shift, next_shifts, on_call_at, shifts
from warroom.oncall.schemas import (
    NotificationRuleOut,
    OnCallOut,
    OnCallOverview,
    PersonOut,
    ScheduleOut,
    ShiftOut,
    ShiftPage,
    TeamOut,
)

#: The longest range `shift_page` resolves in one request.
MAX_SHIFT_RANGE = timedelta(days=90)
#: Default length of a shift listing when no end is given.
DEFAULT_SHIFT_RANGE = timedelta(days=14)
#: iCalendar export window around the anchor: defaults and bounds (days).
ICAL_PAST_DAYS, ICAL_MAX_PAST_DAYS = 30, 90
ICAL_DAYS, ICAL_MAX_DAYS = 90, 366
#: How many upcoming shifts a schedule listing shows.
UPCOMING = 3
#: How far around `at` the current shift is looked up (longer segments are cut here).
_AROUND = timedelta(days=35)
#: Instants outside these years are rejected (keeps range arithmetic far from overflow).
_MIN_YEAR, _MAX_YEAR = 1970, 2999

# "2026-03-30T09:00:00 02:00": an unencoded "+" in a query string arrives as a space.
_SPACE_OFFSET = re.compile(r"^(.*\d)\s(\d{2}:?\d{2})$")
_NAIVE_FORMS = ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S",
                "%Y-%m-%d")


# --------------------------------------------------------------------------- input


def parse_instant(text: str, *, tz: str | None = None, name: str = "at") -> datetime:
    """An RFC 3339 instant (UTC result); with `tz`, also a wall-clock time in that zone
    ("YYYY-MM-DD HH:MM", "YYYY-MM-DDTHH:MM[:SS]" or a date meaning its midnight)."""
    raw = text.strip()
    if raw.endswith(("z", "Z")):
        raw = raw[:-1] + "+00:00"
    elif (m := _SPACE_OFFSET.match(raw)) and ("T" in raw or raw.count(" ") > 1):
        raw = f"{m.group(1)}+{m.group(2)}"
    value = _from_text(raw)
    if value is None:
        raise InvalidInput(
            f"{name}: {text!r} is not an RFC 3339 time (e.g. 2026-03-30T09:00:00Z)"
        )
    if value.tzinfo is None:
        if tz is None:
            raise InvalidInput(f"{name}: {text!r} has no UTC offset (add Z or +HH:MM)")
        try:
            zone = load_zone(tz)
        except ValueError as exc:
            raise InvalidInput(str(exc)) from None
        if not _MIN_YEAR <= value.year <= _MAX_YEAR:
            raise InvalidInput(f"{name}: {text!r} is outside {_MIN_YEAR}-{_MAX_YEAR}")
        return local_to_utc(value, zone)
    return check_instant(value, name)


def _from_text(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw)
    except ValueError:
        pass
    for form in _NAIVE_FORMS:
        try:
            return datetime.strptime(raw, form)
        except ValueError:
            continue
    return None


def check_instant(value: datetime, name: str = "at") -> datetime:
    """Reject naive or far-out instants; return UTC."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(f"{name}: needs a UTC offset (add Z or +HH:MM)")
    try:
        utc = value.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"{name}: out of range") from None
    if not _MIN_YEAR <= utc.year <= _MAX_YEAR:
        raise InvalidInput(f"{name}: {value.isoformat()} is outside {_MIN_YEAR}-{_MAX_YEAR}")
    return utc


def instant_or(text: str | None, default: datetime, *, tz: str | None = None,
               name: str = "at") -> datetime:
    return check_instant(default, name) if text is None else parse_instant(text, tz=tz, name=name)


# --------------------------------------------------------------------------- lookups


def require_person(cfg: OnCallConfig, person_id: str) -> Person:
    for person in cfg.people:
        if person.id == person_id:
            return person
    raise NotFound(f"unknown person {person_id!r}")


def require_schedule(cfg: OnCallConfig, schedule_id: str) -> Schedule:
    try:
        return cfg.schedule(schedule_id)
    except KeyError:
        raise NotFound(f"unknown schedule {schedule_id!r}") from None


# --------------------------------------------------------------------------- shapes


def person_out(cfg: OnCallConfig, person: Person) -> PersonOut:
    return PersonOut(
        id=person.id, name=person.name, email=person.email, phone=person.phone,
        timezone=person.timezone, chat=dict(person.chat),
        notification_rules=[
            NotificationRuleOut(severity=r.severity, channel=r.channel,
                                delay_seconds=r.delay.total_seconds())
            for r in person.notification_rules
        ],
        teams=[t.id for t in cfg.teams if person.id in t.members],
    )


def team_out(team: Team) -> TeamOut:
    return TeamOut(id=team.id, name=team.name, members=list(team.members),
                   schedule=team.schedule)


def shift_out(schedule: Schedule, shift: Shift) -> ShiftOut:
    tz = schedule.tz
    return ShiftOut(
        schedule=schedule.id, person=shift.person, layer=shift.layer,
        start=shift.start, end=shift.end, start_local=shift.start.astimezone(tz),
        end_local=shift.end.astimezone(tz), timezone=schedule.timezone,
    )


# --------------------------------------------------------------------------- use cases


def list_people(cfg: OnCallConfig) -> list[PersonOut]:
    return [person_out(cfg, p) for p in cfg.people]


def get_person(cfg: OnCallConfig, person_id: str) -> PersonOut:
    return person_out(cfg, require_person(cfg, person_id))


def list_teams(cfg: OnCallConfig) -> list[TeamOut]:
    return [team_out(t) for t in cfg.teams]


def current_shift(schedule: Schedule, at: datetime) -> Shift | None:
    """The resolved segment containing `at` (cut at +-35 days around it), if anyone is on."""
    around = shifts(schedule, at - _AROUND, at + _AROUND)
    return next((s for s in around if s.contains(at)), None)


def on_call(schedule: Schedule, at: datetime) -> OnCallOut:
    at = check_instant(at)
    shift = current_shift(schedule, at)
    return OnCallOut(
        schedule=schedule.id, name=schedule.name, timezone=schedule.timezone, at=at,
        on_call=on_call_at(schedule, at), shift=shift_out(schedule, shift) if shift else None,
    )


def schedule_out(schedule: Schedule, at: datetime, upcoming: int = UPCOMING) -> ScheduleOut:
    at = check_instant(at)
    return ScheduleOut(
        id=schedule.id, name=schedule.name, timezone=schedule.timezone,
        layers=[layer.name for layer in schedule.effective_layers],
        overrides=len(schedule.overrides), now=on_call(schedule, at),
        next_shifts=[shift_out(schedule, s) for s in next_shifts(schedule, at, upcoming)],
    )


def list_schedules(cfg: OnCallConfig, at: datetime) -> list[ScheduleOut]:
    return [schedule_out(s, at) for s in cfg.schedules]


def overview(cfg: OnCallConfig, at: datetime, schedule_id: str | None = None) -> OnCallOverview:
    """Every schedule's (or one schedule's) on-call at `at`."""
    at = check_instant(at)
    chosen = [require_schedule(cfg, schedule_id)] if schedule_id else cfg.schedules
    return OnCallOverview(at=at, schedules=[on_call(s, at) for s in chosen])


def shift_page(cfg: OnCallConfig, schedule_id: str, start: datetime, end: datetime | None = None,
               person: str | None = None) -> ShiftPage:
    """Resolved shifts in [start, end) (at most 90 days), optionally only one person's."""
    schedule = require_schedule(cfg, schedule_id)
    if person is not None:
        require_person(cfg, person)
    start = check_instant(start, "start")
    end = check_instant(end, "end") if end is not None else start + DEFAULT_SHIFT_RANGE
    if end <= start:
        raise InvalidInput("end must be after start")
    if end - start > MAX_SHIFT_RANGE:
        raise InvalidInput(f"range too long: at most {MAX_SHIFT_RANGE.days} days per request")
    found = [s for s in shifts(schedule, start, end) if person is None or s.person == person]
    return ShiftPage(schedule=schedule.id, timezone=schedule.timezone, start=start, end=end,
                     person=person, shifts=[shift_out(schedule, s) for s in found])


def ical_window(at: datetime, past_days: int = ICAL_PAST_DAYS,
                days: int = ICAL_DAYS) -> tuple[datetime, datetime]:
    if not 0 <= past_days <= ICAL_MAX_PAST_DAYS:
        raise InvalidInput(f"past days must be between 0 and {ICAL_MAX_PAST_DAYS}")
    if not 1 <= days <= ICAL_MAX_DAYS:
        raise InvalidInput(f"days must be between 1 and {ICAL_MAX_DAYS}")
    at = check_instant(at)
    return at - timedelta(days=past_days), at + timedelta(days=days)


def schedule_ical(cfg: OnCallConfig, schedule_id: str, at: datetime,
                  past_days: int = ICAL_PAST_DAYS, days: int = ICAL_DAYS) -> bytes:
    schedule = require_schedule(cfg, schedule_id)
    start, end = ical_window(at, past_days, days)
    return schedule_to_ical(schedule, start, end)


def person_ical(cfg: OnCallConfig, person_id: str, at: datetime,
                past_days: int = ICAL_PAST_DAYS, days: int = ICAL_DAYS) -> bytes:
    require_person(cfg, person_id)
    start, end = ical_window(at, past_days, days)
    return person_to_ical(person_id, list(cfg.schedules), start, end)


__all__ = [
    "ICAL_DAYS", "ICAL_MAX_DAYS", "ICAL_MAX_PAST_DAYS", "ICAL_PAST_DAYS", "MAX_SHIFT_RANGE",
    "check_instant", "current_shift", "get_person", "instant_or", "list_people",
    "list_schedules", "list_teams", "on_call", "overview", "parse_instant", "person_ical",
    "require_person", "require_schedule", "schedule_ical", "schedule_out", "shift_page",
]
