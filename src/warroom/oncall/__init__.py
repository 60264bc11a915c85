"""On-call people, teams, schedules and rotations (pure; no I/O, no clock).

Callers pass instants explicitly (aware datetimes; results are UTC).
"""

from warroom.oncall.config import (
    DEFAULT_EPOCH,
    OVERRIDE_LAYER,
    ConfigIssue,
    CustomRotation,
    DailyRotation,
    Layer,
    NotificationRule,
    OnCallConfig,
    Override,
    Person,
    Restriction,
    Schedule,
    Team,
    WeeklyRotation,
    parse_duration,
    validate_references,
)
from warroom.oncall.ical import person_to_ical, schedule_to_ical
from warroom.oncall.rotation import local_to_utc, rotation_member_at, rotation_shifts
from warroom.oncall.schedule import Shift, next_shifts, on_call_at, shifts, shifts_for_person

__all__ = [
    "DEFAULT_EPOCH",
    "OVERRIDE_LAYER",
    "ConfigIssue",
    "CustomRotation",
    "DailyRotation",
    "Layer",
    "NotificationRule",
    "OnCallConfig",
    "Override",
    "Person",
    "Restriction",
    "Schedule",
    "Shift",
    "Team",
    "WeeklyRotation",
    "local_to_utc",
    "next_shifts",
    "on_call_at",
    "parse_duration",
    "person_to_ical",
    "rotation_member_at",
    "rotation_shifts",
    "schedule_to_ical",
    "shifts",
    "shifts_for_person",
    "validate_references",
]
