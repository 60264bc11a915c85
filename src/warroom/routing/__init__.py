"""Alert routing: matchers, the routing tree, severity mapping and their config."""

from warroom.durations import DurationError, format_duration, parse_duration
from warroom.routing.matchers import (
    Matcher,
    MatcherError,
    MatchType,
    format_matchers,
    matches_all,
    parse_matcher,
    parse_matchers,
)
from warroom.routing.severity_map import Severity, SeverityMap, map_severity, parse_severity
from warroom.routing.tree import (
    GROUP_BY_ALL,
    Route,
    RouteMatch,
    RouteSettings,
    RouteStep,
    RoutingError,
    default_route,
    group_key,
    group_labels,
    match,
    trace,
)

__all__ = [
    "GROUP_BY_ALL",
    "DurationError",
    "MatchType",
    "Matcher",
    "MatcherError",
    "Route",
    "RouteMatch",
    "RouteSettings",
    "RouteStep",
    "RoutingError",
    "Severity",
    "SeverityMap",
    "default_route",
    "format_duration",
    "format_matchers",
    "group_key",
    "group_labels",
    "map_severity",
    "match",
    "matches_all",
    "parse_duration",
    "parse_matcher",
    "parse_matchers",
    "parse_severity",
    "trace",
]
