"""Incident use cases. They flush and never commit: the caller owns the transaction.

Every change appends its timeline entry in the same session, so a change and its record
land together or not at all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from warroom.config.schema import WarroomConfig
from warroom.errors import InvalidInput, NotFound
from warroom.incidents import lifecycle
from warroom.incidents.classify import (
    DEFAULT_RULES,
    Classification,
    ClassifierRule,
    Impact,
    classify,
)
from warroom.incidents.events import IncidentEvent, emit
from warroom.incidents.lifecycle import Action, Status
from warroom.incidents.models import Counter, Incident, IncidentService, RoleAssignment
from warroom.incidents.roles import ResponseRole
from warroom.incidents.schemas import ImpactIn, IncidentCreate, IncidentPatch
from warroom.incidents.severity import SeverityScale, default_scale
from warroom.timeline import service as timeline
from warroom.timeline.kinds import EntryType, Source

IMPACT_FIELDS = tuple(ImpactIn.model_fields)
DRILL_PREFIX = "[DRILL] "
_REFERENCE = re.compile(r"^(?:INC-)?(\d{1,12})$", re.IGNORECASE)


@dataclass(frozen=True)
class SeverityPolicy:
    """What the incidents domain needs from configuration."""

    scale: SeverityScale
    rules: tuple[ClassifierRule, ...] = DEFAULT_RULES
    fallback: str = "SEV4"

    def classify(self, impact: Impact) -> Classification:
        return classify(impact, self.rules, self.fallback)

    @classmethod
    def from_config(cls, config: WarroomConfig) -> SeverityPolicy:
        return cls(scale=config.severity_scale(), rules=config.classifier_rules(),
                   fallback=config.classifier_fallback())


DEFAULT_POLICY = SeverityPolicy(default_scale())


def impact_of(incident: Incident) -> Impact:
    return Impact(**{f: getattr(incident, f) for f in IMPACT_FIELDS})


def _next_number(session: Session, name: str = "incident") -> int:
    # One UPDATE ... RETURNING: the row lock orders concurrent creators on PostgreSQL,
    # and SQLite's write lock (BEGIN IMMEDIATE) does the same on the embedded default.
    stmt = update(Counter).where(Counter.name == name).values(value=Counter.value + 1)
    value = session.execute(stmt.returning(Counter.value)).scalar_one_or_none()
    if value is None:
        session.add(Counter(name=name, value=1))
        session.flush()
        return 1
    return value


def declare(
    session: Session,
    data: IncidentCreate,
    *,
    actor: str,
    now: datetime,
    policy: SeverityPolicy = DEFAULT_POLICY,
    source: Source = Source.HUMAN,
    severity_reason: str = "set by hand",
) -> Incident:
    """Open an incident; severity given by hand, else classified from impact, else default."""
    impact = Impact(**data.impact.model_dump())
    if data.severity:
        severity, reason = policy.scale.canonical(data.severity), severity_reason
    elif not impact.is_empty():
        result = policy.classify(impact)
        severity, reason = result.severity, f"classified: {result.reason}"
    else:
        severity, reason = policy.scale.default, "configured default"
    title, labels = data.title, dict(data.labels)
    if data.drill:  # a rehearsal must never be mistaken for the real thing
        title = title if title.startswith(DRILL_PREFIX) else f"{DRILL_PREFIX}{title}"[:500]
        labels["drill"] = "true"
    incident = Incident(
        id=uuid.uuid4(),
        number=_next_number(session),
        title=title,
        description=data.description,
        severity=severity,
        type=data.type or "unknown",
        status=Status.TRIGGERED.value,
        source=source.value,
        labels=labels,
        drill=data.drill,
        root_cause=data.root_cause,
        assignee=data.assignee,
        escalation_policy=data.escalation_policy,
        created_at=now,
        updated_at=now,
        triggered_at=now,
        **data.impact.model_dump(),
    )
    incident.services = [IncidentService(service=s) for s in data.all_services()]
    session.add(incident)
    session.flush()
    timeline.append(
        session, incident.id, kind="incident.declared", type=EntryType.DECLARATION,
        summary=f"{incident.reference} declared: {incident.title} ({severity}, {reason})",
        at=now, source=source, actor=actor,
        details={"severity": severity, "severity_reason": reason,
                 "services": incident.service_names, "type": incident.type},
    )
    emit(session, IncidentEvent("declared", incident, actor, now))
    return incident


def get_incident(session: Session, ref: str, *, for_update: bool = False) -> Incident | None:
    """Find by UUID or by reference (`INC-42` or `42`)."""
    query = select(Incident)
    match = _REFERENCE.match(ref.strip())
    if match:
        query = query.where(Incident.number == int(match.group(1)))
    else:
        try:
            query = query.where(Incident.id == uuid.UUID(ref))
        except ValueError:
            return None
    if for_update:
        query = query.with_for_update()
    return session.scalar(query)


def require_incident(session: Session, ref: str, *, for_update: bool = False) -> Incident:
    incident = get_incident(session, ref, for_update=for_update)
    if incident is None:
        raise NotFound(f"no incident {ref!r}")
    return incident


@dataclass(frozen=True)
class IncidentFilter:
    statuses: Sequence[str] = ()
    severities: Sequence[str] = ()
    service: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    open_only: bool = False


def list_incidents(
    session: Session, filt: IncidentFilter, *, limit: int, offset: int,
    policy: SeverityPolicy = DEFAULT_POLICY,
) -> tuple[list[Incident], int]:
    """A page of incidents, newest first, and the total matching the filter."""
    query = select(Incident)
    if filt.statuses:
        valid = {s.value for s in Status}
        bad = [s for s in filt.statuses if s not in valid]
        if bad:
            raise InvalidInput(f"unknown status {bad[0]!r}; valid: {', '.join(sorted(valid))}")
        query = query.where(Incident.status.in_(list(filt.statuses)))
    if filt.open_only:
        query = query.where(Incident.status.in_([s.value for s in lifecycle.OPEN_STATES]))
    if filt.severities:
        query = query.where(
            Incident.severity.in_([policy.scale.canonical(s) for s in filt.severities])
        )
    if filt.service:
        query = query.where(
            Incident.id.in_(
                select(IncidentService.incident_id).where(IncidentService.service == filt.service)
            )
        )
    if filt.since:
        query = query.where(Incident.created_at >= filt.since)
    if filt.until:
        query = query.where(Incident.created_at < filt.until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(Incident.created_at.desc(), Incident.number.desc())
        .limit(limit).offset(offset)
    )
    return list(rows), total


def _changed(old: Any, new: Any) -> bool:
    return bool(old != new)


def update_incident(
    session: Session, incident: Incident, patch: IncidentPatch, *, actor: str, now: datetime,
    policy: SeverityPolicy = DEFAULT_POLICY, source: Source = Source.HUMAN,
) -> Incident:
    """Apply a partial update; a severity change is its own timeline entry."""
    given = patch.model_dump(exclude_unset=True)
    changes: dict[str, dict[str, Any]] = {}
    if "severity" in given and given["severity"] is not None:
        new_sev = policy.scale.canonical(given["severity"])
        if new_sev != incident.severity:
            old_sev, incident.severity = incident.severity, new_sev
            timeline.append(
                session, incident.id, kind="incident.severity_changed",
                type=EntryType.SEVERITY_CHANGE, at=now, source=source, actor=actor,
                summary=f"Severity changed from {old_sev} to {new_sev}",
                details={"from": old_sev, "to": new_sev},
            )
    for name in ("title", "description", "type", "root_cause", "assignee", "labels"):
        if name in given and _changed(getattr(incident, name), given[name]):
            if name in ("title", "type") and given[name] is None:
                raise InvalidInput(f"{name} cannot be cleared")
            changes[name] = {"from": getattr(incident, name), "to": given[name]}
            setattr(incident, name, given[name])
    if "services" in given and given["services"] is not None:
        new_services = sorted(set(given["services"]))
        if new_services != incident.service_names:
            changes["services"] = {"from": incident.service_names, "to": new_services}
            incident.services = [IncidentService(service=s) for s in new_services]
    if given.get("impact") is not None:
        for name, value in patch.impact.model_dump(exclude_unset=True).items():  # type: ignore[union-attr]
            if _changed(getattr(incident, name), value):
                changes[name] = {"from": getattr(incident, name), "to": value}
                setattr(incident, name, value)
    if changes:
        timeline.append(
            session, incident.id, kind="incident.updated", type=EntryType.UPDATE, at=now,
            source=source, actor=actor, summary=f"Updated {', '.join(sorted(changes))}",
            details={"changes": changes},
        )
    incident.updated_at = now
    session.flush()
    if changes or "severity" in given:
        emit(session, IncidentEvent("updated", incident, actor, now, {"changes": changes}))
    return incident


_ACTION_ENTRY: dict[Action, tuple[str, EntryType]] = {
    Action.ACKNOWLEDGE: ("incident.acknowledged", EntryType.STATUS_CHANGE),
    Action.INVESTIGATE: ("incident.investigating", EntryType.INVESTIGATION),
    Action.IDENTIFY: ("incident.identified", EntryType.INVESTIGATION),
    Action.MITIGATE: ("incident.mitigated", EntryType.ACTION),
    Action.RESOLVE: ("incident.resolved", EntryType.RESOLUTION),
    Action.CLOSE: ("incident.closed", EntryType.STATUS_CHANGE),
    Action.REOPEN: ("incident.reopened", EntryType.STATUS_CHANGE),
}


def act(
    session: Session, incident: Incident, action: Action, *, actor: str, now: datetime,
    note: str | None = None, root_cause: str | None = None, source: Source = Source.HUMAN,
) -> Incident:
    """Move the incident through its lifecycle (validated by the pure transition function)."""
    current = Status(incident.status)
    new = lifecycle.transition(current, action)
    milestones = {f: getattr(incident, f) for f in lifecycle.MILESTONE.values()}
    for field, value in lifecycle.milestone_updates(milestones, action, new, now).items():
        setattr(incident, field, value)
    incident.status = new.value
    if root_cause:
        incident.root_cause = root_cause
    incident.updated_at = now
    kind, entry_type = _ACTION_ENTRY[action]
    summary = f"Status {current.value} → {new.value}"
    if note:
        summary += f": {note}"
    details: dict[str, Any] = {"from": current.value, "to": new.value, "action": action.value}
    if root_cause:
        details["root_cause"] = root_cause
    if note:
        details["note"] = note
    timeline.append(
        session, incident.id, kind=kind, type=entry_type, summary=summary, at=now,
        source=source, actor=actor, details=details,
    )
    session.flush()
    emit(session, IncidentEvent(new.value if action is not Action.REOPEN else "reopened",
                                incident, actor, now, {"from": current.value}))
    return incident


def assign_role(
    session: Session, incident: Incident, role: ResponseRole, person: str, *,
    actor: str, now: datetime,
) -> Incident:
    """Give `person` the role; single-holder roles pass from the previous holder."""
    previous = [r for r in incident.roles if r.role == role.value]
    if any(r.person == person for r in previous):
        return incident
    replaced = None
    if role.single_holder and previous:
        replaced = previous[0].person
        for r in previous:
            incident.roles.remove(r)
        session.flush()
    incident.roles.append(
        RoleAssignment(role=role.value, person=person, assigned_at=now, assigned_by=actor)
    )
    if role is ResponseRole.INCIDENT_COMMANDER and incident.assignee is None:
        incident.assignee = person
    incident.updated_at = now
    summary = f"{person} is now {role.title}" + (f" (was {replaced})" if replaced else "")
    timeline.append(
        session, incident.id, kind="incident.role_assigned", type=EntryType.ROLE_CHANGE,
        summary=summary, at=now, actor=actor,
        details={"role": role.value, "person": person, "replaced": replaced},
    )
    session.flush()
    return incident


def unassign_role(
    session: Session, incident: Incident, role: ResponseRole, person: str | None, *,
    actor: str, now: datetime,
) -> Incident:
    holders = [r for r in incident.roles if r.role == role.value and person in (None, r.person)]
    if not holders:
        who = f" held by {person!r}" if person else ""
        raise NotFound(f"{incident.reference} has no {role.value}{who}")
    for r in holders:
        incident.roles.remove(r)
        timeline.append(
            session, incident.id, kind="incident.role_unassigned", type=EntryType.ROLE_CHANGE,
            summary=f"{r.person} is no longer {role.title}", at=now, actor=actor,
            details={"role": role.value, "person": r.person},
        )
    incident.updated_at = now
    session.flush()
    return incident


def add_note(
    session: Session, incident: Incident, *, type: EntryType, summary: str,
    details: dict[str, Any], actor: str, now: datetime, at: datetime | None = None,
    source: Source = Source.HUMAN,
) -> timeline.TimelineEntry:
    """A responder's entry of any type; `at` may back-date it (e.g. when symptoms began)."""
    if at is not None and at > now:
        raise InvalidInput("a timeline entry cannot be dated in the future")
    entry = timeline.append(
        session, incident.id, kind="note.added", type=type, summary=summary,
        at=at or now, source=source, actor=actor, details=details,
    )
    incident.updated_at = now
    session.flush()
    return entry
