"""The incident lifecycle as one pure function.

    triggered ─► acknowledged ─► investigating ─► identified ─► mitigated ─► resolved ─► closed
        └──────────┴─────────────────┴──────────────┴─────────────┴──► resolved     (any open)
    resolved ─► (reopen) ─► triggered

Acknowledging is skippable; the working states (investigating, identified, mitigated) may be
entered from any open state, backwards too, because a fix that did not hold sends responders
back to investigating. A resolved incident may be reopened or closed; closed is final.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from warroom.errors import InvalidTransition


class Status(StrEnum):
    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MITIGATED = "mitigated"
    RESOLVED = "resolved"
    CLOSED = "closed"

    @property
    def is_open(self) -> bool:
        return self not in (Status.RESOLVED, Status.CLOSED)


class Action(StrEnum):
    ACKNOWLEDGE = "acknowledge"
    INVESTIGATE = "investigate"
    IDENTIFY = "identify"
    MITIGATE = "mitigate"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"


OPEN_STATES = frozenset(s for s in Status if s.is_open)
WORKING_STATES = frozenset({Status.INVESTIGATING, Status.IDENTIFIED, Status.MITIGATED})

TARGET: dict[Action, Status] = {
    Action.ACKNOWLEDGE: Status.ACKNOWLEDGED,
    Action.INVESTIGATE: Status.INVESTIGATING,
    Action.IDENTIFY: Status.IDENTIFIED,
    Action.MITIGATE: Status.MITIGATED,
    Action.RESOLVE: Status.RESOLVED,
    Action.CLOSE: Status.CLOSED,
    Action.REOPEN: Status.TRIGGERED,
}

ALLOWED_FROM: dict[Action, frozenset[Status]] = {
    Action.ACKNOWLEDGE: frozenset({Status.TRIGGERED}),
    Action.INVESTIGATE: OPEN_STATES - {Status.INVESTIGATING},
    Action.IDENTIFY: OPEN_STATES - {Status.IDENTIFIED},
    Action.MITIGATE: OPEN_STATES - {Status.MITIGATED},
    Action.RESOLVE: OPEN_STATES,
    Action.CLOSE: frozenset({Status.RESOLVED}),
    Action.REOPEN: frozenset({Status.RESOLVED}),
}

# Milestone timestamp kept for each status; first time reached, except resolved/closed which
# record the latest resolution (a reopen clears them).
MILESTONE: dict[Status, str] = {
    Status.TRIGGERED: "triggered_at",
    Status.ACKNOWLEDGED: "acknowledged_at",
    Status.INVESTIGATING: "investigating_at",
    Status.IDENTIFIED: "identified_at",
    Status.MITIGATED: "mitigated_at",
    Status.RESOLVED: "resolved_at",
    Status.CLOSED: "closed_at",
}


def transition(current: Status, action: Action) -> Status:
    """The status after `action`, or InvalidTransition naming both states."""
    if current not in ALLOWED_FROM[action]:
        raise InvalidTransition(current.value, action.value, TARGET[action].value)
    return TARGET[action]


def milestone_updates(
    milestones: dict[str, datetime | None], action: Action, new: Status, now: datetime
) -> dict[str, datetime | None]:
    """Which milestone timestamps change when `action` moves an incident into `new`."""
    updates: dict[str, datetime | None] = {}
    if action is Action.REOPEN:
        updates = {"resolved_at": None, "closed_at": None, "reopened_at": now}
        return updates
    field = MILESTONE[new]
    if new in (Status.RESOLVED, Status.CLOSED) or milestones.get(field) is None:
        updates[field] = now
    # Starting work without an explicit acknowledgement still ends the wait for a human, so
    # it counts as the acknowledgement. Resolving does not: an alert that cleared by itself
    # was never answered, and counting it would flatter time-to-acknowledge.
    if new in WORKING_STATES and milestones.get("acknowledged_at") is None:
        updates["acknowledged_at"] = now
    return updates
