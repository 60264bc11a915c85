"""Severity from impact: seed 002's classifier as ordered, configurable rules (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Impact:
    """The measured impact of an incident; unknown values count as no impact."""

    affected_users_pct: float | None = None
    error_rate_pct: float | None = None
    revenue_impact_per_hour: float | None = None
    security_incident: bool | None = None
    data_loss: bool | None = None
    core_feature_affected: bool | None = None

    def is_empty(self) -> bool:
        return all(v is None for v in self.__dict__.values())


@dataclass(frozen=True)
class ClassifierRule:
    """All given conditions must hold (strictly greater than for thresholds)."""

    severity: str
    reason: str
    security_incident: bool | None = None
    data_loss: bool | None = None
    core_feature_affected: bool | None = None
    error_rate_pct_above: float | None = None
    affected_users_pct_above: float | None = None
    revenue_per_hour_above: float | None = None

    def holds(self, impact: Impact) -> bool:
        flags = (
            (self.security_incident, impact.security_incident),
            (self.data_loss, impact.data_loss),
            (self.core_feature_affected, impact.core_feature_affected),
        )
        for wanted, actual in flags:
            if wanted is not None and bool(actual) != wanted:
                return False
        thresholds = (
            (self.error_rate_pct_above, impact.error_rate_pct),
            (self.affected_users_pct_above, impact.affected_users_pct),
            (self.revenue_per_hour_above, impact.revenue_impact_per_hour),
        )
        for limit, value in thresholds:
            if limit is not None and not (value or 0.0) > limit:
                return False
        return True


@dataclass(frozen=True)
class Classification:
    severity: str
    reason: str


# Order matters: the first rule that holds wins, exactly as in seed 002's classify_severity.
DEFAULT_RULES: tuple[ClassifierRule, ...] = (
    ClassifierRule("SEV1", "security incident", security_incident=True),
    ClassifierRule("SEV1", "data loss", data_loss=True),
    ClassifierRule(
        "SEV1", "error rate > 50% and affected users > 75%",
        error_rate_pct_above=50, affected_users_pct_above=75,
    ),
    ClassifierRule(
        "SEV1", "core feature down and affected users > 50%",
        core_feature_affected=True, affected_users_pct_above=50,
    ),
    ClassifierRule("SEV1", "revenue impact > 10000/h", revenue_per_hour_above=10_000),
    ClassifierRule("SEV2", "revenue impact > 1000/h", revenue_per_hour_above=1_000),
    ClassifierRule("SEV2", "error rate > 10%", error_rate_pct_above=10),
    ClassifierRule("SEV2", "affected users > 25%", affected_users_pct_above=25),
    ClassifierRule("SEV3", "error rate > 1%", error_rate_pct_above=1),
    ClassifierRule("SEV3", "affected users > 5%", affected_users_pct_above=5),
)


def classify(
    impact: Impact,
    rules: Sequence[ClassifierRule] = DEFAULT_RULES,
    fallback: str = "SEV4",
) -> Classification:
    """The severity of the first rule that holds, else `fallback` (minimal impact)."""
    for rule in rules:
        if rule.holds(impact):
            return Classification(rule.severity, rule.reason)
    return Classification(fallback, "minimal impact")
