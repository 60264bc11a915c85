"""Turning ORM rows into the API's output shapes (shared by HTTP and the local CLI)."""

from __future__ import annotations

from datetime import datetime, timedelta

from warroom.incidents.models import Incident
from warroom.incidents.schemas import ImpactOut, IncidentOut, RoleOut, TimelineEntryOut
from warroom.timeline.models import TimelineEntry


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start).total_seconds()


def time_to_acknowledge(incident: Incident) -> timedelta | None:
    s = _seconds(incident.triggered_at, incident.acknowledged_at)
    return None if s is None else timedelta(seconds=s)


def time_to_resolve(incident: Incident) -> timedelta | None:
    s = _seconds(incident.triggered_at, incident.resolved_at)
    return None if s is None else timedelta(seconds=s)


def incident_out(incident: Incident) -> IncidentOut:
    return IncidentOut(
        id=incident.id,
        reference=incident.reference,
        number=incident.number,
        title=incident.title,
        description=incident.description,
        severity=incident.severity,
        type=incident.type,
        status=incident.status,  # type: ignore[arg-type]
        source=incident.source,
        services=incident.service_names,
        labels=incident.labels or {},
        impact=ImpactOut(
            affected_users_pct=incident.affected_users_pct,
            error_rate_pct=incident.error_rate_pct,
            revenue_impact_per_hour=incident.revenue_impact_per_hour,
            security_incident=incident.security_incident,
            data_loss=incident.data_loss,
            core_feature_affected=incident.core_feature_affected,
        ),
        root_cause=incident.root_cause,
        assignee=incident.assignee,
        escalation_policy=incident.escalation_policy,
        drill=bool(incident.drill),
        roles=[
            RoleOut(role=r.role, person=r.person, assigned_at=r.assigned_at,  # type: ignore[arg-type]
                    assigned_by=r.assigned_by)
            for r in incident.roles
        ],
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        triggered_at=incident.triggered_at,
        acknowledged_at=incident.acknowledged_at,
        investigating_at=incident.investigating_at,
        identified_at=incident.identified_at,
        mitigated_at=incident.mitigated_at,
        resolved_at=incident.resolved_at,
        closed_at=incident.closed_at,
        reopened_at=incident.reopened_at,
        time_to_acknowledge_seconds=_seconds(incident.triggered_at, incident.acknowledged_at),
        time_to_resolve_seconds=_seconds(incident.triggered_at, incident.resolved_at),
    )


def entry_out(entry: TimelineEntry) -> TimelineEntryOut:
    return TimelineEntryOut(
        id=entry.id, at=entry.at, kind=entry.kind, type=entry.type,  # type: ignore[arg-type]
        source=entry.source, actor=entry.actor, summary=entry.summary,  # type: ignore[arg-type]
        details=entry.details or {},
    )
