"""The shape of warroom.yaml. Each section converts into its domain's runtime values."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from warroom.durations import parse_duration
from warroom.escalation.config import EscalationPolicyConfig
from warroom.incidents.classify import DEFAULT_RULES, ClassifierRule
from warroom.incidents.roles import ResponseRole
from warroom.incidents.severity import DEFAULT_LEVELS, SeverityLevel, SeverityScale
from warroom.oncall.config import OnCallConfig, Person, Schedule, Team, validate_references
from warroom.routing.config import MatcherString, RouteConfig, parse_matcher_strings
from warroom.routing.tree import Route, default_route
from warroom.suppression.config import InhibitRuleConfig, MaintenanceWindowConfig
from warroom.suppression.inhibit import InhibitRule
from warroom.suppression.maintenance import MaintenanceWindow
from warroom.triage.types import TypeRule, default_rules

Duration = Annotated[timedelta, BeforeValidator(parse_duration)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SeverityConfig(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    aliases: list[str] = []
    description: str = ""
    response_time: Duration = timedelta(0)
    update_every: Duration | None = None
    required_roles: list[ResponseRole] = []
    record_priority: str = Field(default="P4", pattern=r"^P[1-4]$")


class ClassifierRuleConfig(_Strict):
    severity: str
    reason: str = ""
    security_incident: bool | None = None
    data_loss: bool | None = None
    core_feature_affected: bool | None = None
    error_rate_pct_above: float | None = None
    affected_users_pct_above: float | None = None
    revenue_per_hour_above: float | None = None


class ClassifierConfig(_Strict):
    rules: list[ClassifierRuleConfig] | None = None
    fallback: str = "SEV4"


class ServiceConfig(_Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,200}$")
    name: str | None = None
    description: str = ""
    team: str | None = None
    escalation_policy: str | None = None


class IncidentTypeConfig(_Strict):
    """A triage rule: alerts whose labels match every matcher get this incident type."""

    type: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    matchers: list[MatcherString] = Field(min_length=1)
    min_severity: str | None = None
    responses: list[str] = []
    description: str = ""


IngestFormat = Literal["alertmanager", "pagerduty", "grafana", "opsgenie", "generic"]


class IntegrationConfig(_Strict):
    """An integration declared in configuration; its key comes from an environment variable."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.:-]{1,200}$")
    format: IngestFormat
    service: str | None = None
    key_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    options: dict[str, Any] = {}

    @model_validator(mode="after")
    def _mapping_for_generic(self) -> IntegrationConfig:
        if self.format == "generic":
            from warroom.alerts.formats.generic import GenericMapping

            if "mapping" not in self.options:
                raise ValueError("a generic integration needs options.mapping (at least title)")
            try:
                GenericMapping.model_validate(self.options["mapping"])
            except ValidationError as exc:
                problems = "; ".join(
                    f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
                raise ValueError(f"options.mapping: {problems}") from None
        return self


class AlertsConfig(_Strict):
    resolve_timeout: Duration = timedelta(minutes=5)
    max_alerts_per_request: int = Field(default=10_000, ge=1, le=1_000_000)


def _default_severities() -> list[SeverityConfig]:
    return [
        SeverityConfig(
            name=lvl.name, aliases=list(lvl.aliases), description=lvl.description,
            response_time=lvl.response_time, update_every=lvl.update_every,
            required_roles=[ResponseRole(r) for r in lvl.required_roles],
            record_priority=lvl.record_priority,
        )
        for lvl in DEFAULT_LEVELS
    ]


class WarroomConfig(_Strict):
    """Root of warroom.yaml; every section is optional and defaults to the seeds' values."""

    severities: list[SeverityConfig] = Field(default_factory=_default_severities, min_length=1)
    default_severity: str = "SEV3"
    classifier: ClassifierConfig = ClassifierConfig()
    services: list[ServiceConfig] = []
    routing: RouteConfig | None = None
    inhibit_rules: list[InhibitRuleConfig] = []
    maintenance_windows: list[MaintenanceWindowConfig] = []
    incident_types: list[IncidentTypeConfig] | None = None
    integrations: list[IntegrationConfig] = []
    alerts: AlertsConfig = AlertsConfig()
    people: list[Person] = []
    teams: list[Team] = []
    schedules: list[Schedule] = []
    channels: list[dict[str, Any]] = []
    escalation_policies: list[EscalationPolicyConfig] = []

    @model_validator(mode="after")
    def _check_references(self) -> WarroomConfig:
        seen: dict[str, str] = {}
        for level in self.severities:
            for key in (level.name, *level.aliases):
                folded = key.casefold()
                if folded in seen:
                    raise ValueError(
                        f"severity name or alias {key!r} is used twice ({seen[folded]}, {level.name})"
                    )
                seen[folded] = level.name
        scale = self._scale(default="")
        names = ", ".join(scale.accepted)
        if scale.get(self.default_severity) is None:
            raise ValueError(f"default_severity {self.default_severity!r} is not one of: {names}")
        for rule in self.classifier.rules or []:
            if scale.get(rule.severity) is None:
                raise ValueError(f"classifier rule severity {rule.severity!r} is not one of: {names}")
        if scale.get(self.classifier.fallback) is None:
            raise ValueError(f"classifier.fallback {self.classifier.fallback!r} is not one of: {names}")
        for rule in self.incident_types or []:
            if rule.min_severity and scale.get(rule.min_severity) is None:
                raise ValueError(
                    f"incident_types: min_severity {rule.min_severity!r} is not one of: {names}")
        names_seen = [i.name for i in self.integrations]
        dupes = sorted({n for n in names_seen if names_seen.count(n) > 1})
        if dupes:
            raise ValueError(f"integrations: duplicate name(s) {', '.join(dupes)}")
        issues = validate_references(self.people, self.teams, self.schedules)
        if issues:
            raise ValueError("; ".join(str(i) for i in issues))
        self._check_escalation_references()
        ids = [s.id for s in self.services]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"services: duplicate id(s) {', '.join(dupes)}")
        return self

    def severity_scale(self) -> SeverityScale:
        scale = self._scale(default="")
        return self._scale(default=scale.canonical(self.default_severity))

    def _scale(self, default: str) -> SeverityScale:
        levels = [
            SeverityLevel(
                name=s.name, rank=i + 1, aliases=tuple(s.aliases), description=s.description,
                response_time=s.response_time, update_every=s.update_every,
                required_roles=tuple(r.value for r in s.required_roles),
                record_priority=s.record_priority,
            )
            for i, s in enumerate(self.severities)
        ]
        return SeverityScale(tuple(levels), default=default)

    def classifier_rules(self) -> tuple[ClassifierRule, ...]:
        if self.classifier.rules is None:
            return DEFAULT_RULES
        scale = self.severity_scale()
        return tuple(
            ClassifierRule(**{**r.model_dump(), "severity": scale.canonical(r.severity),
                              "reason": r.reason or f"rule {i + 1}"})
            for i, r in enumerate(self.classifier.rules)
        )

    def classifier_fallback(self) -> str:
        return self.severity_scale().canonical(self.classifier.fallback)

    def _check_escalation_references(self) -> None:
        channel_ids = []
        for i, channel in enumerate(self.channels):
            cid, ctype = channel.get("id"), channel.get("type")
            if not isinstance(cid, str) or not cid or not isinstance(ctype, str):
                raise ValueError(f"channels[{i}]: every channel needs an `id` and a `type`")
            channel_ids.append(cid)
        from warroom.notify.config import parse_channel_config

        for i, channel in enumerate(self.channels):
            fields = {k: v for k, v in channel.items()
                      if k not in ("id", "fallback", "signing_secret_env")}
            try:
                parse_channel_config(fields)
            except ValidationError as exc:
                problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
                                     for e in exc.errors())
                raise ValueError(f"channels[{i}] ({channel['id']}): {problems}") from None
            except ValueError as exc:
                raise ValueError(f"channels[{i}] ({channel['id']}): {exc}") from None
        for i, channel in enumerate(self.channels):
            fallback = channel.get("fallback")
            if fallback is not None and fallback not in channel_ids:
                raise ValueError(f"channels[{i}].fallback: unknown channel {fallback!r}")
        known = {"person": {p.id for p in self.people}, "schedule": {s.id for s in self.schedules},
                 "team": {t.id for t in self.teams}}
        policy_ids = [p.id for p in self.escalation_policies]
        for policy in self.escalation_policies:
            steps = [(f"levels[{i}]", lvl.notify, lvl.via) for i, lvl in enumerate(policy.levels)]
            steps += [(f"conditions[{i}]", c.notify, c.via)
                      for i, c in enumerate(policy.conditions)]
            for where, notify, via in steps:
                for ref in notify:
                    kind, _, name = ref.partition(":")
                    if name not in known[kind]:
                        raise ValueError(f"escalation_policies {policy.id}: {where}.notify: "
                                         f"unknown {kind} {name!r}")
                for channel_id in via:
                    if channel_id not in channel_ids:
                        raise ValueError(f"escalation_policies {policy.id}: {where}.via: "
                                         f"unknown channel {channel_id!r}")
        for service in self.services:
            if service.escalation_policy and service.escalation_policy not in policy_ids:
                raise ValueError(f"services {service.id}: unknown escalation_policy "
                                 f"{service.escalation_policy!r}")

    def channel_types(self) -> dict[str, str]:
        return {str(c["id"]): str(c["type"]) for c in self.channels}

    def routing_tree(self) -> Route:
        return self.routing.build() if self.routing else default_route()

    def inhibit_rules_built(self) -> list[InhibitRule]:
        return [rule.build() for rule in self.inhibit_rules]

    def maintenance_windows_built(self) -> list[MaintenanceWindow]:
        return [window.build() for window in self.maintenance_windows]

    def type_rules(self) -> tuple[TypeRule, ...]:
        if self.incident_types is None:
            return default_rules()
        scale = self.severity_scale()
        return tuple(
            TypeRule(
                type=r.type, matchers=tuple(parse_matcher_strings(r.matchers)),
                min_severity=scale.canonical(r.min_severity) if r.min_severity else None,
                responses=tuple(r.responses), description=r.description,
            )
            for r in self.incident_types
        )

    def oncall(self) -> OnCallConfig:
        return OnCallConfig(people=self.people, teams=self.teams, schedules=self.schedules)
