"""The YAML `routing:` section, validated up front so a bad matcher fails at load, not at 3am."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from warroom.durations import parse_duration
from warroom.routing.matchers import Matcher, MatcherError, parse_matchers
from warroom.routing.severity_map import Severity, SeverityMap
from warroom.routing.tree import (
    GROUP_BY_ALL,
    Route,
    RoutingError,
    default_route,
    validate_tree,
)

__all__ = [
    "Duration",
    "MatcherString",
    "RouteConfig",
    "build_routing",
    "parse_matcher_strings",
]

def _check_matcher_string(value: str) -> str:
    try:
        parse_matchers(value)
    except MatcherError as exc:
        raise ValueError(f"invalid matcher {value!r}: {exc}") from None
    return value


def _check_label_name(value: str) -> str:
    if not value or not value.strip():
        raise ValueError("label name must not be empty")
    return value


def _to_duration(value: Any) -> timedelta:
    return parse_duration(value)


def _to_severity(value: Any) -> Severity:
    if isinstance(value, Severity):
        return value
    if not isinstance(value, str):
        raise ValueError(f"severity must be a string such as SEV2 or critical, not {value!r}")
    severity = SeverityMap().lookup(value)
    if severity is None:
        raise ValueError(f"unknown severity {value!r}: use SEV1..SEV4, P1..P4 or critical/high/...")
    return severity


MatcherString = Annotated[str, AfterValidator(_check_matcher_string)]
"""A matcher list in amtool syntax, e.g. `severity=~"critical|high"` or `{a="1", b!="2"}`."""

Duration = Annotated[timedelta, BeforeValidator(_to_duration)]
"""`10m`, `1h30m`, `90s` or a number of seconds."""

LabelName = Annotated[str, AfterValidator(_check_label_name)]
ConfigSeverity = Annotated[Severity, BeforeValidator(_to_severity)]


def parse_matcher_strings(values: list[str]) -> tuple[Matcher, ...]:
    """Flatten a config list of matcher strings; each entry may hold several matchers."""
    return tuple(m for value in values for m in parse_matchers(value))


class RouteConfig(BaseModel):
    """One route in YAML; unset fields inherit from the parent route."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str | None = Field(default=None, min_length=1)
    matchers: list[MatcherString] = Field(default_factory=list)
    continue_: bool = Field(default=False, alias="continue")
    group_by: list[LabelName] | None = None
    group_window: Duration | None = None
    auto_resolve: bool | None = None
    reopen_window: Duration | None = None
    service: str | None = None
    team: str | None = None
    severity: ConfigSeverity | None = None
    severity_label: LabelName | None = None
    incident_type: str | None = None
    escalation_policy: str | None = None
    routes: list[RouteConfig] = Field(default_factory=list)

    @field_validator("group_by")
    @classmethod
    def _group_by_all_alone(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and GROUP_BY_ALL in value and len(value) > 1:
            raise ValueError(f"{GROUP_BY_ALL!r} must be the only entry when present")
        return value

    def _build(self) -> Route:
        return Route(
            id=self.id or "",
            matchers=parse_matcher_strings(self.matchers),
            continue_=self.continue_,
            group_by=None if self.group_by is None else tuple(self.group_by),
            group_window=self.group_window,
            auto_resolve=self.auto_resolve,
            reopen_window=self.reopen_window,
            service=self.service,
            team=self.team,
            severity=self.severity,
            severity_label=self.severity_label,
            incident_type=self.incident_type,
            escalation_policy=self.escalation_policy,
            routes=tuple(child._build() for child in self.routes),
        )

    def build(self) -> Route:
        """Build the runtime tree with this route as root.

        The root matches every alert, so matchers or `continue` on it are mistakes;
        a root without `group_by` groups by `alertname` like `default_route()`.
        """
        if self.matchers:
            raise RoutingError("routing: the root route must not have matchers")
        if self.continue_:
            raise RoutingError("routing: the root route cannot set 'continue'")
        root = self._build()
        if root.group_by is None:
            root = replace(root, group_by=default_route().group_by)
        validate_tree(root)
        return root


def build_routing(data: Mapping[str, Any] | None) -> Route:
    """The routing tree for a parsed `routing:` section; missing or empty means the default."""
    if not data:
        return default_route()
    return RouteConfig.model_validate(data).build()
