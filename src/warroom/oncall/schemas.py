"""Output shapes of the on-call API (and of the CLI's --json).

Instants are UTC (`...Z`); `*_local` repeat them in the schedule's zone with its offset,
so a reader sees the handoff the way the schedule defines it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class NotificationRuleOut(BaseModel):
    severity: str
    channel: str
    delay_seconds: float


class PersonOut(BaseModel):
    """A person's contact details and paging preferences (the configuration holds no secrets
    for people; this shape is explicit so a future secret field cannot leak by default)."""

    id: str
    name: str
    email: str | None
    phone: str | None
    timezone: str
    chat: dict[str, str]
    notification_rules: list[NotificationRuleOut]
    teams: list[str] = Field(description="ids of the teams the person is a member of")


class TeamOut(BaseModel):
    id: str
    name: str
    members: list[str]
    schedule: str | None


class ShiftOut(BaseModel):
    """One resolved on-call segment [start, end); `layer` is a layer name or "override"."""

    schedule: str
    person: str
    layer: str
    start: datetime
    end: datetime
    start_local: datetime
    end_local: datetime
    timezone: str


class OnCallOut(BaseModel):
    """Who a schedule puts on call at `at`; `shift` is the segment containing `at` (its ends
    are cut at the service's look-around window for very long segments)."""

    schedule: str
    name: str | None
    timezone: str
    at: datetime
    on_call: list[str]
    shift: ShiftOut | None


class ScheduleOut(BaseModel):
    id: str
    name: str | None
    timezone: str
    layers: list[str]
    overrides: int = Field(description="number of configured overrides")
    now: OnCallOut
    next_shifts: list[ShiftOut] = Field(
        description="the rest of the current shift, then the upcoming ones"
    )


class ShiftPage(BaseModel):
    schedule: str
    timezone: str
    start: datetime
    end: datetime
    person: str | None = None
    shifts: list[ShiftOut]


class OnCallOverview(BaseModel):
    """Every schedule's on-call at `at` (services/escalation policies are not resolved yet)."""

    at: datetime
    schedules: list[OnCallOut]
