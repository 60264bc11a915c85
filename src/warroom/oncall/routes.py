"""HTTP routes of the on-call domain: thin adapters over `service` (read-only, viewer token).

Time parameters are RFC 3339 instants with an offset (`Z` or `+HH:MM`); "now" by default.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from warroom.api.problems import problems
from warroom.api.state import State, Viewer
from warroom.clock import utcnow
from warroom.oncall import service
from warroom.oncall.schemas import (
    OnCallOut,
    OnCallOverview,
    PersonOut,
    ScheduleOut,
    ShiftPage,
    TeamOut,
)

router = APIRouter(prefix="/api/v1", tags=["on-call"])

ERRORS = problems()
NOT_FOUND = problems(404)
ICAL: dict[int | str, dict[str, Any]] = {200: {
    "description": "an iCalendar feed (one event per shift, UTC times)",
    "content": {"text/calendar": {"schema": {"type": "string"}}}}}

_INSTANT = "RFC 3339 instant with offset, e.g. 2026-03-30T09:00:00Z"
At = Annotated[str | None, Query(max_length=64, description=f"{_INSTANT}; default: now")]
PastDays = Annotated[int, Query(ge=0, le=service.ICAL_MAX_PAST_DAYS,
                                description="days before `at` to include")]
Days = Annotated[int, Query(ge=1, le=service.ICAL_MAX_DAYS,
                            description="days after `at` to include")]


def _calendar(data: bytes, filename: str) -> Response:
    return Response(data, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'inline; filename="{filename}.ics"'})


@router.get("/people", response_model=list[PersonOut], responses=ERRORS)
def list_people(state: State, _who: Viewer) -> list[PersonOut]:
    """People with contact details and notification rules."""
    return service.list_people(state.config.oncall())


@router.get("/people/{person_id}", response_model=PersonOut, responses={**ERRORS, **NOT_FOUND})
def get_person(state: State, _who: Viewer, person_id: str) -> PersonOut:
    return service.get_person(state.config.oncall(), person_id)


@router.get("/people/{person_id}/ical", response_class=Response,
            responses={**ERRORS, **NOT_FOUND, **ICAL})
def person_ical(
    state: State, _who: Viewer, person_id: str, at: At = None,
    past_days: PastDays = service.ICAL_PAST_DAYS, days: Days = service.ICAL_DAYS,
) -> Response:
    """A person's shifts across every schedule, as an iCalendar feed."""
    cfg = state.config.oncall()
    when = service.instant_or(at, utcnow())
    return _calendar(service.person_ical(cfg, person_id, when, past_days, days),
                     f"oncall-{person_id}")


@router.get("/teams", response_model=list[TeamOut], responses=ERRORS)
def list_teams(state: State, _who: Viewer) -> list[TeamOut]:
    return service.list_teams(state.config.oncall())


@router.get("/schedules", response_model=list[ScheduleOut], responses=ERRORS)
def list_schedules(state: State, _who: Viewer, at: At = None) -> list[ScheduleOut]:
    """Every schedule with who is on call at `at` and the next shifts."""
    return service.list_schedules(state.config.oncall(), service.instant_or(at, utcnow()))


@router.get("/schedules/{schedule_id}", response_model=ScheduleOut,
            responses={**ERRORS, **NOT_FOUND})
def get_schedule(state: State, _who: Viewer, schedule_id: str, at: At = None) -> ScheduleOut:
    cfg = state.config.oncall()
    schedule = service.require_schedule(cfg, schedule_id)
    return service.schedule_out(schedule, service.instant_or(at, utcnow()))


@router.get("/schedules/{schedule_id}/oncall", response_model=OnCallOut,
            responses={**ERRORS, **NOT_FOUND})
def schedule_oncall(state: State, _who: Viewer, schedule_id: str, at: At = None) -> OnCallOut:
    """Who the schedule puts on call at `at`, and the shift containing it."""
    schedule = service.require_schedule(state.config.oncall(), schedule_id)
    return service.on_call(schedule, service.instant_or(at, utcnow()))


@router.get("/schedules/{schedule_id}/shifts", response_model=ShiftPage,
            responses={**ERRORS, **NOT_FOUND})
def schedule_shifts(
    state: State, _who: Viewer, schedule_id: str,
    start: Annotated[str | None, Query(max_length=64, description=f"{_INSTANT}; default: now")]
    = None,
    end: Annotated[str | None, Query(max_length=64, description=f"{_INSTANT}; default: "
                                     "start + 14 days; at most 90 days after start")] = None,
    person: Annotated[str | None, Query(max_length=128, description="only this person")]
    = None,
) -> ShiftPage:
    """Resolved shifts in [start, end), in order; gaps (nobody on call) are absent."""
    cfg = state.config.oncall()
    service.require_schedule(cfg, schedule_id)
    lo = service.instant_or(start, utcnow(), name="start")
    hi = service.parse_instant(end, name="end") if end is not None else None
    return service.shift_page(cfg, schedule_id, lo, hi, person)


@router.get("/schedules/{schedule_id}/ical", response_class=Response,
            responses={**ERRORS, **NOT_FOUND, **ICAL})
def schedule_ical(
    state: State, _who: Viewer, schedule_id: str, at: At = None,
    past_days: PastDays = service.ICAL_PAST_DAYS, days: Days = service.ICAL_DAYS,
) -> Response:
    """The schedule's shifts as an iCalendar feed: `past_days` before `at` to `days` after."""
    cfg = state.config.oncall()
    when = service.instant_or(at, utcnow())
    return _calendar(service.schedule_ical(cfg, schedule_id, when, past_days, days),
                     f"oncall-{schedule_id}")


@router.get("/oncall", response_model=OnCallOverview, responses=ERRORS)
def oncall_overview(state: State, _who: Viewer, at: At = None) -> OnCallOverview:
    """Every schedule's on-call at `at` (services and escalation policies: not yet)."""
    return service.overview(state.config.oncall(), service.instant_or(at, utcnow()))
