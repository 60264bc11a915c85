"""The routing tree: which route (team, service, policy, grouping) an alert belongs to.

Matching follows Alertmanager: depth first, the first matching child wins unless it
sets `continue`, and a route none of whose children match is itself the result.
Settings left unset on a route are inherited from its parent.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from warroom.memo import remember
from warroom.routing.matchers import Matcher, format_label_name, quote
from warroom.routing.severity_map import Severity, SeverityMap

__all__ = [
    "DEFAULT_GROUP_WINDOW",
    "DEFAULT_REOPEN_WINDOW",
    "DEFAULT_SEVERITY_LABEL",
    "GROUP_BY_ALL",
    "ROOT_ID",
    "Route",
    "RouteCache",
    "RouteMatch",
    "RouteSettings",
    "RouteStep",
    "RoutingError",
    "default_route",
    "group_key",
    "group_labels",
    "iter_routes",
    "match",
    "trace",
    "validate_tree",
]

GROUP_BY_ALL = "..."
DEFAULT_GROUP_WINDOW = timedelta(minutes=10)
DEFAULT_REOPEN_WINDOW = timedelta(0)
DEFAULT_SEVERITY_LABEL = "severity"
ROOT_ID = "root"

_T = TypeVar("_T")


class RoutingError(ValueError):
    """The routing tree itself is inconsistent (e.g. two routes share an id)."""


@dataclass(frozen=True)
class Route:
    """One node of the tree; `None` means "inherit from the parent route"."""

    id: str = ""
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    group_by: tuple[str, ...] | None = None
    group_window: timedelta | None = None
    auto_resolve: bool | None = None
    reopen_window: timedelta | None = None
    service: str | None = None
    team: str | None = None
    severity: Severity | None = None
    severity_label: str | None = None
    incident_type: str | None = None
    escalation_policy: str | None = None
    routes: tuple[Route, ...] = ()

    def __post_init__(self) -> None:
        if self.group_by is not None and GROUP_BY_ALL in self.group_by and len(self.group_by) > 1:
            raise RoutingError(f"group_by {GROUP_BY_ALL!r} must be the only entry when present")
        for td_name in ("group_window", "reopen_window"):
            value = getattr(self, td_name)
            if value is not None and value < timedelta(0):
                raise RoutingError(f"{td_name} must not be negative")


@dataclass(frozen=True)
class RouteSettings:
    """The effective, fully inherited settings of a route."""

    group_by: tuple[str, ...] = ()
    group_window: timedelta = DEFAULT_GROUP_WINDOW
    auto_resolve: bool = True
    reopen_window: timedelta = DEFAULT_REOPEN_WINDOW
    service: str | None = None
    team: str | None = None
    severity: Severity | None = None
    severity_label: str = DEFAULT_SEVERITY_LABEL
    incident_type: str | None = None
    escalation_policy: str | None = None

    @property
    def group_by_all(self) -> bool:
        return self.group_by == (GROUP_BY_ALL,)

    def inherit(self, route: Route) -> RouteSettings:
        """Settings of `route` as a child of a route with these settings.

        A route that sets `severity_label` drops an inherited fixed `severity`:
        the nearest route that says anything about severity wins.
        """
        severity, label = self.severity, self.severity_label
        if route.severity is not None:
            severity = route.severity
        elif route.severity_label is not None:
            severity, label = None, route.severity_label
        return RouteSettings(
            group_by=self.group_by if route.group_by is None else route.group_by,
            group_window=_pick(route.group_window, self.group_window),
            auto_resolve=_pick(route.auto_resolve, self.auto_resolve),
            reopen_window=_pick(route.reopen_window, self.reopen_window),
            service=_pick(route.service, self.service),
            team=_pick(route.team, self.team),
            severity=severity,
            severity_label=label,
            incident_type=_pick(route.incident_type, self.incident_type),
            escalation_policy=_pick(route.escalation_policy, self.escalation_policy),
        )


def _pick(own: _T | None, inherited: _T) -> _T:
    return inherited if own is None else own


@dataclass(frozen=True)
class RouteStep:
    """One line of a routing explanation: a route was tried and did or did not match."""

    route_id: str
    depth: int
    matched: bool
    failed_matcher: Matcher | None = None
    actual_value: str | None = None

    def __str__(self) -> str:
        indent = "  " * self.depth
        if self.matched:
            return f"{indent}{self.route_id}: matched"
        if self.failed_matcher is None:
            return f"{indent}{self.route_id}: no match"
        label = format_label_name(self.failed_matcher.name)
        seen = "missing" if self.actual_value is None else quote(self.actual_value)
        failed = self.failed_matcher
        return f"{indent}{self.route_id}: no match, {failed} failed ({label} is {seen})"


@dataclass(frozen=True)
class RouteMatch:
    """A route an alert was routed to, with inherited settings and how it got there."""

    route_id: str
    route: Route
    settings: RouteSettings
    steps: tuple[RouteStep, ...] = field(default=(), compare=False)

    def severity_for(
        self, labels: Mapping[str, str], severity_map: SeverityMap | None = None
    ) -> Severity | None:
        """The fixed severity if the route sets one, else the mapped severity label."""
        if self.settings.severity is not None:
            return self.settings.severity
        return (severity_map or SeverityMap()).lookup(labels.get(self.settings.severity_label))

    def explain(self) -> list[str]:
        """Human-readable lines for `warroom route test`."""
        return [str(step) for step in self.steps]


def _child_id(parent_id: str, index: int, child: Route) -> str:
    return child.id or f"{parent_id}/{index}"


def iter_routes(root: Route) -> Iterator[tuple[str, int, Route]]:
    """Every route depth first as (effective id, depth, route); ids are explicit or positional."""
    stack: list[tuple[str, int, Route]] = [(root.id or ROOT_ID, 0, root)]
    while stack:
        route_id, depth, route = stack.pop()
        yield route_id, depth, route
        children = [
            (_child_id(route_id, i, child), depth + 1, child)
            for i, child in enumerate(route.routes)
        ]
        stack.extend(reversed(children))


def validate_tree(root: Route) -> None:
    """Reject duplicate route ids, since ids key incident groups and explanations."""
    seen: set[str] = set()
    for route_id, _, _ in iter_routes(root):
        if route_id in seen:
            raise RoutingError(f"duplicate route id {route_id!r}")
        seen.add(route_id)


def _first_failure(route: Route, labels: Mapping[str, str]) -> Matcher | None:
    return next((m for m in route.matchers if not m.matches(labels)), None)


def _walk(
    route: Route,
    route_id: str,
    depth: int,
    settings: RouteSettings,
    labels: Mapping[str, str],
    steps: list[RouteStep],
) -> list[RouteMatch] | None:
    failed = None if depth == 0 else _first_failure(route, labels)
    if failed is not None:
        steps.append(RouteStep(route_id, depth, False, failed, labels.get(failed.name)))
        return None
    steps.append(RouteStep(route_id, depth, True))
    found: list[RouteMatch] = []
    for index, child in enumerate(route.routes):
        child_id = _child_id(route_id, index, child)
        result = _walk(child, child_id, depth + 1, settings.inherit(child), labels, steps)
        if result is None:
            continue
        found.extend(result)
        if not child.continue_:
            break
    if not found:
        found.append(RouteMatch(route_id, route, settings, tuple(steps)))
    return found


def match(
    root: Route, labels: Mapping[str, str], defaults: RouteSettings | None = None
) -> list[RouteMatch]:
    """All routes the alert goes to; the root always matches (its matchers are ignored)."""
    settings = (defaults or RouteSettings()).inherit(root)
    result = _walk(root, root.id or ROOT_ID, 0, settings, labels, [])
    assert result is not None  # the root cannot fail
    return result


def trace(root: Route, labels: Mapping[str, str]) -> list[RouteStep]:
    """The full evaluation trace, including routes tried after a `continue` match."""
    steps: list[RouteStep] = []
    _walk(root, root.id or ROOT_ID, 0, RouteSettings().inherit(root), labels, steps)
    return steps


def group_labels(route_match: RouteMatch, labels: Mapping[str, str]) -> dict[str, str]:
    """The labels that define the alert's group; absent and empty labels are left out."""
    if route_match.settings.group_by_all:
        names: tuple[str, ...] | list[str] = sorted(labels)
    else:
        names = route_match.settings.group_by
    return {name: labels[name] for name in sorted(set(names)) if labels.get(name, "") != ""}


def group_key(route_match: RouteMatch, labels: Mapping[str, str]) -> str:
    """Stable key `route-id:{a="1",b="2"}`; alerts with equal keys are correlated."""
    return _key(route_match.route_id, group_labels(route_match, labels))


def _key(route_id: str, grouped: Mapping[str, str]) -> str:
    body = ",".join(f"{format_label_name(k)}={quote(v)}" for k, v in grouped.items())
    return f"{route_id}:{{{body}}}"


def default_route() -> Route:
    """The tree used when no routing is configured: one route grouping by alertname."""
    return Route(id=ROOT_ID, group_by=("alertname",))


def _grouped_names(route: Route) -> set[str] | None:
    """Every label name a route of the tree groups by; None if one groups by all."""
    names = set(route.group_by or ())
    if GROUP_BY_ALL in names:
        return None
    for child in route.routes:
        below = _grouped_names(child)
        if below is None:
            return None
        names |= below
    return names


def _matched_names(route: Route) -> set[str]:
    names = {m.name for m in route.matchers}
    for child in route.routes:
        names |= _matched_names(child)
    return names


class RouteCache:
    """`match` and `group_key` of one tree, remembered per distinct input.

    A route's decision depends only on the values of the labels its tree's matchers name
    (absent and empty kept apart, as `trace` shows them), and a group key only on the
    route and its `group_by` labels, so alerts that differ elsewhere (an instance, a pod)
    share one entry: a storm of new alerts is routed once per distinct decision, not once
    per alert. Bounded; cleared when full.
    """

    def __init__(self, root: Route, size: int = 4096) -> None:
        self.root, self.size = root, size
        self.names = tuple(sorted(_matched_names(root)))
        self._matches: dict[tuple[str | None, ...], list[RouteMatch]] = {}
        self._keys: dict[tuple[str, tuple[str | None, ...]], str] = {}
        # `decide` keys on every label a route or a group key can read; unless a route
        # groups by all labels, which makes every label set its own decision.
        grouped = _grouped_names(root)
        self.decision_names = (None if grouped is None
                               else tuple(sorted(set(self.names) | grouped)))
        self._decisions: dict[tuple[str | None, ...], tuple[RouteMatch, str]] = {}

    def decide(self, labels: Mapping[str, str]) -> tuple[RouteMatch, str]:
        """The first matching route and the alert's group key under it (`group_key`):
        what ingest asks of every alert, answered with one lookup."""
        if self.decision_names is None:
            route = self.match(labels)[0]
            return route, self.group_key(route, labels)
        key = tuple(map(labels.get, self.decision_names))
        found = self._decisions.get(key)
        if found is None:
            route = self.match(labels)[0]
            found = remember(self._decisions, key, (route, self.group_key(route, labels)),
                             self.size)
        return found

    def match(self, labels: Mapping[str, str]) -> list[RouteMatch]:
        key = tuple(map(labels.get, self.names))
        found = self._matches.get(key)
        if found is None:
            found = remember(self._matches, key, match(self.root, labels), self.size)
        return found

    def group_key(self, route_match: RouteMatch, labels: Mapping[str, str]) -> str:
        """`group_key`; "" when the alert has none of the group_by labels."""
        if route_match.settings.group_by_all:
            return self._group_key(route_match, labels)
        key = (route_match.route_id, tuple(map(labels.get, route_match.settings.group_by)))
        found = self._keys.get(key)
        if found is None:
            found = remember(self._keys, key, self._group_key(route_match, labels), self.size)
        return found

    @staticmethod
    def _group_key(route_match: RouteMatch, labels: Mapping[str, str]) -> str:
        grouped = group_labels(route_match, labels)
        return _key(route_match.route_id, grouped) if grouped else ""
