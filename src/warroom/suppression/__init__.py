"""Alert suppression: silences, inhibition and recurring maintenance windows."""

from warroom.suppression.inhibit import Inhibition, InhibitRule, inhibited_by
from warroom.suppression.maintenance import (
    CronSchedule,
    MaintenanceWindow,
    WeeklySchedule,
    WeeklySpan,
    in_maintenance,
)
from warroom.suppression.silences import (
    Silence,
    SilenceError,
    SilenceState,
    can_update_in_place,
    expire,
    silencing,
)

__all__ = [
    "CronSchedule",
    "InhibitRule",
    "Inhibition",
    "MaintenanceWindow",
    "Silence",
    "SilenceError",
    "SilenceState",
    "WeeklySchedule",
    "WeeklySpan",
    "can_update_in_place",
    "expire",
    "in_maintenance",
    "inhibited_by",
    "silencing",
]
