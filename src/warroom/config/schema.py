"""The shape of warroom.yaml. Each section converts into its domain's runtime values."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from warroom.durations import parse_duration
from warroom.incidents.classify import DEFAULT_RULES, ClassifierRule
from warroom.incidents.roles import ResponseRole
from warroom.incidents.severity import DEFAULT_LEVELS, SeverityLevel, SeverityScale

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
