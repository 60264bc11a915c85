"""Timeline vocabulary: seed 002's event types and sources, plus warroom's dotted kinds."""

from __future__ import annotations

from enum import StrEnum


class EntryType(StrEnum):
    """What kind of moment this was (seed 002's EventType plus change types)."""

    ALERT = "alert"
    DECLARATION = "declaration"
    ESCALATION = "escalation"
    INVESTIGATION = "investigation"
    ACTION = "action"
    DECISION = "decision"
    COMMUNICATION = "communication"
    RESOLUTION = "resolution"
    STATUS_CHANGE = "status_change"
    SEVERITY_CHANGE = "severity_change"
    ROLE_CHANGE = "role_change"
    UPDATE = "update"
    NOTE = "note"


class Source(StrEnum):
    """Where the entry came from (seed 002's EventSource)."""

    MONITORING = "monitoring"
    HUMAN = "human"
    AUTOMATION = "automation"
    EXTERNAL = "external"
