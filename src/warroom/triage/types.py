"""Seed 004's incident types as configurable rules on labels (pure).

A type names the automatic responses it will trigger; executing them belongs to the
automation domain, so triage only records the intent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from warroom.routing.matchers import Matcher, parse_matchers

UNKNOWN = "unknown"


@dataclass(frozen=True)
class TypeRule:
    """All matchers must match for the rule to apply; the first applying rule wins."""

    type: str
    matchers: tuple[Matcher, ...]
    min_severity: str | None = None
    responses: tuple[str, ...] = ()
    description: str = ""

    def applies(self, labels: Mapping[str, str]) -> bool:
        return all(m.matches(labels) for m in self.matchers)


@dataclass(frozen=True)
class Triage:
    type: str
    min_severity: str | None
    responses: tuple[str, ...]
    rule: TypeRule | None


SEED_TYPES: tuple[tuple[str, str | None, tuple[str, ...], str], ...] = (
    ("data-breach", "SEV1", ("activate-breach-protocol", "prepare-regulatory-notification"),
     "PII exposure or unauthorized data access"),
    ("security", "SEV2", ("isolate-affected-services", "emergency-patch-workflow"),
     "SAST/SCA finding in production, vulnerability detected"),
    ("agent-violation", "SEV2", ("suspend-agent", "extract-audit-log"),
     "Agent exceeded trust boundary or permission scope"),
    ("deployment-failure", "SEV2", ("rollback-to-last-known-good",),
     "Production deployment failed health checks"),
    ("drift", None, ("assess-drift-impact", "baseline-comparison-report"),
     "Configuration has deviated from baseline"),
    ("quality-degradation", None, ("assign-investigation",),
     "Coverage/mutation score below threshold"),
)


def default_rules() -> tuple[TypeRule, ...]:
    """An alert declares its type with an `incident_type` (or `category`) label."""
    rules = []
    for name, floor, responses, description in SEED_TYPES:
        for label in ("incident_type", "category"):
            rules.append(TypeRule(name, tuple(parse_matchers(f'{label}="{name}"')), floor,
                                  responses, description))
    return tuple(rules)


def triage(labels: Mapping[str, str], rules: Sequence[TypeRule],
           fixed_type: str | None = None) -> Triage:
    """The type of an alert: a route's fixed type wins, else the first applying rule."""
    if fixed_type:
        rule = next((r for r in rules if r.type == fixed_type), None)
        return Triage(fixed_type, rule.min_severity if rule else None,
                      rule.responses if rule else (), rule)
    for rule in rules:
        if rule.applies(labels):
            return Triage(rule.type, rule.min_severity, rule.responses, rule)
    return Triage(UNKNOWN, None, (), None)
