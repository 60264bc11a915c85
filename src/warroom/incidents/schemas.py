"""Input and output shapes of the incidents API (and of the CLI's --json)."""

from __future__ import annotations

import math
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from warroom.incidents.lifecycle import Status
from warroom.incidents.roles import ResponseRole
from warroom.textfields import LabelName, LabelValue, LongText, Name, ShortText, Title
from warroom.timeline.kinds import EntryType, Source


def _finite(value: float | None) -> float | None:
    if value is not None and not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Percent = Annotated[float, Field(ge=0, le=100), AfterValidator(_finite)]
Money = Annotated[float, Field(ge=0, le=1e15), AfterValidator(_finite)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImpactIn(_In):
    """Seed 002's classifier inputs; all optional."""

    affected_users_pct: Percent | None = None
    error_rate_pct: Percent | None = None
    revenue_impact_per_hour: Money | None = None
    security_incident: bool | None = None
    data_loss: bool | None = None
    core_feature_affected: bool | None = None


class IncidentCreate(_In):
    title: Title
    description: LongText = ""
    severity: ShortText | None = Field(
        default=None, description="SEV1-SEV4, P1-P4 or critical/high/medium/low; "
        "omitted: classified from `impact`, else the configured default",
    )
    type: Name | None = Field(default=None, description="incident type / category")
    service: Name | None = None
    services: list[Name] = Field(default_factory=list, max_length=100)
    labels: dict[LabelName, LabelValue] = Field(default_factory=dict, max_length=200)
    impact: ImpactIn = Field(default_factory=ImpactIn)
    assignee: Name | None = None
    root_cause: LongText | None = None
    escalation_policy: Name | None = Field(
        default=None, description="escalation policy id; default: the service's policy")
    drill: bool = Field(default=False, description="a game-day rehearsal, marked everywhere")

    def all_services(self) -> list[str]:
        names = list(self.services)
        if self.service:
            names.insert(0, self.service)
        return list(dict.fromkeys(names))


class IncidentPatch(_In):
    """Fields to change; status moves only through the lifecycle actions."""

    title: Title | None = None
    description: LongText | None = None
    severity: ShortText | None = None
    type: Name | None = None
    services: list[Name] | None = Field(default=None, max_length=100)
    labels: dict[LabelName, LabelValue] | None = Field(default=None, max_length=200)
    impact: ImpactIn | None = None
    assignee: Name | None = None
    root_cause: LongText | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> IncidentPatch:
        if not self.model_fields_set:
            raise ValueError("nothing to change: give at least one field")
        return self


class TransitionIn(_In):
    note: LongText | None = Field(default=None, description="why; lands on the timeline")
    root_cause: LongText | None = Field(default=None, description="on resolve: what broke")


class RoleAssign(_In):
    role: ResponseRole
    person: Name


class NoteIn(_In):
    type: EntryType = EntryType.NOTE
    summary: Annotated[str, Field(min_length=1, max_length=65_536)]
    details: dict[str, Any] = Field(default_factory=dict)
    at: datetime | None = Field(default=None, description="when it happened; default now")

    @model_validator(mode="after")
    def _clean(self) -> NoteIn:
        if "\x00" in self.summary or "\\u0000" in str(self.details) or "\x00" in str(self.details):
            raise ValueError("summary and details must not contain NUL characters")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at must carry a time zone offset, e.g. 2026-01-01T10:00:00Z")
        return self


class ImpactOut(BaseModel):
    affected_users_pct: float | None
    error_rate_pct: float | None
    revenue_impact_per_hour: float | None
    security_incident: bool | None
    data_loss: bool | None
    core_feature_affected: bool | None


class RoleOut(BaseModel):
    role: ResponseRole
    person: str
    assigned_at: datetime
    assigned_by: str


class IncidentOut(BaseModel):
    id: uuid.UUID
    reference: str
    number: int
    title: str
    description: str
    severity: str
    type: str
    status: Status
    source: str
    services: list[str]
    labels: dict[str, str]
    impact: ImpactOut
    root_cause: str | None
    assignee: str | None
    escalation_policy: str | None
    drill: bool
    roles: list[RoleOut]
    created_at: datetime
    updated_at: datetime
    triggered_at: datetime
    acknowledged_at: datetime | None
    investigating_at: datetime | None
    identified_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    reopened_at: datetime | None
    time_to_acknowledge_seconds: float | None
    time_to_resolve_seconds: float | None


class IncidentPage(BaseModel):
    items: list[IncidentOut]
    total: int
    limit: int
    offset: int


class TimelineEntryOut(BaseModel):
    id: int
    at: datetime
    kind: str
    type: EntryType
    source: Source
    actor: str | None
    summary: str
    details: dict[str, Any]


class ClassifyOut(BaseModel):
    severity: str
    reason: str
    response_time_seconds: float
    update_every_seconds: float | None
    required_roles: list[str]


class SeverityOut(BaseModel):
    name: str
    rank: int
    aliases: list[str]
    description: str
    response_time_seconds: float
    update_every_seconds: float | None
    required_roles: list[str]


ReportFormat = Literal["markdown", "json"]
