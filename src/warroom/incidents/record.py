"""Seed 004's incident record JSON: warroom's states and severities mapped onto its enums."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from warroom.incidents.lifecycle import Status
from warroom.incidents.models import Incident
from warroom.incidents.report import _iso, build_report, render_markdown
from warroom.incidents.severity import SeverityScale
from warroom.timeline.kinds import EntryType, Source
from warroom.timeline.models import TimelineEntry

SCHEMA_PATH = Path(__file__).with_name("record_schema.json")

# The record knows five states; acknowledged work has not started investigating yet, so it
# stays "open", and "identified" is still an investigation until mitigation lands.
RECORD_STATUS: dict[Status, str] = {
    Status.TRIGGERED: "open",
    Status.ACKNOWLEDGED: "open",
    Status.INVESTIGATING: "investigating",
    Status.IDENTIFIED: "investigating",
    Status.MITIGATED: "mitigated",
    Status.RESOLVED: "resolved",
    Status.CLOSED: "closed",
}

ACTION_TYPES = {
    EntryType.ACTION, EntryType.DECISION, EntryType.ESCALATION, EntryType.COMMUNICATION,
    EntryType.RESOLUTION, EntryType.STATUS_CHANGE, EntryType.SEVERITY_CHANGE,
    EntryType.ROLE_CHANGE, EntryType.INVESTIGATION,
}
AUTOMATED_SOURCES = {Source.AUTOMATION.value, Source.MONITORING.value}


@cache
def record_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def to_record(
    incident: Incident, entries: list[TimelineEntry], scale: SeverityScale
) -> dict[str, Any]:
    level = scale.get(incident.severity)
    record: dict[str, Any] = {
        "incidentId": str(incident.id),
        "severity": level.record_priority if level else "P4",
        "type": incident.type,
        "description": incident.description or incident.title,
        "detectedAt": _iso(incident.triggered_at),
        "status": RECORD_STATUS[Status(incident.status)],
        "affectedServices": incident.service_names,
        "actionsTaken": [
            {"timestamp": _iso(e.at), "action": e.summary,
             "automated": e.source in AUTOMATED_SOURCES, "actor": e.actor or e.source}
            for e in entries if e.type in ACTION_TYPES
        ],
    }
    if incident.resolved_at:
        record["resolvedAt"] = _iso(incident.resolved_at)
    if incident.root_cause:
        record["rootCause"] = incident.root_cause
    if incident.status in (Status.RESOLVED, Status.CLOSED):
        record["postMortem"] = {
            "timeline": render_markdown(build_report(incident, entries)),
            "rootCauseAnalysis": incident.root_cause or "",
            "actionItems": [],
        }
    return record
