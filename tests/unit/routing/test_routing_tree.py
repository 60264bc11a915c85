from datetime import timedelta

import pytest

from warroom.routing.matchers import Matcher, MatchType, parse_matchers
from warroom.routing.severity_map import Severity, SeverityMap
from warroom.routing.tree import (
    Route,
    RouteMatch,
    RoutingError,
    default_route,
    group_key,
    group_labels,
    iter_routes,
    match,
    trace,
    validate_tree,
)


def m(text: str) -> tuple[Matcher, ...]:
    return tuple(parse_matchers(text))


def ids(matches: list[RouteMatch]) -> list[str]:
    return [rm.route_id for rm in matches]


TREE = Route(
    id="root",
    group_by=("alertname",),
    team="ops",
    escalation_policy="default",
    routes=(
        Route(
            id="db",
            matchers=m('service="db"'),
            team="dba",
            group_window=timedelta(minutes=30),
            routes=(
                Route(
                    id="db-crit", matchers=m('severity="critical"'), escalation_policy="dba-page"
                ),
                Route(id="db-replica", matchers=m('role="replica"'), auto_resolve=False),
            ),
        ),
        Route(id="audit", matchers=m('team=~".+"'), continue_=True, incident_type="audit"),
        Route(id="web", matchers=m('service=~"web|api"'), service="frontend"),
        Route(id="catchall-web", matchers=m('service=~"web.*"'), service="never"),
    ),
)


def test_root_matches_when_no_child_matches() -> None:
    (rm,) = match(TREE, {"alertname": "X", "service": "other"})
    assert rm.route_id == "root"
    assert rm.settings.team == "ops"
    assert rm.settings.group_by == ("alertname",)
    assert rm.settings.group_window == timedelta(minutes=10)  # default
    assert rm.settings.auto_resolve is True


def test_first_matching_child_wins_and_later_siblings_are_not_used() -> None:
    assert ids(match(TREE, {"service": "web"})) == ["web"]  # not also catchall-web


def test_descends_to_deepest_match_and_inherits() -> None:
    (rm,) = match(TREE, {"service": "db", "severity": "critical"})
    assert rm.route_id == "db-crit"
    s = rm.settings
    assert s.team == "dba"  # from db
    assert s.escalation_policy == "dba-page"  # own
    assert s.group_window == timedelta(minutes=30)  # from db
    assert s.group_by == ("alertname",)  # from root
    assert s.service is None


def test_parent_is_result_when_no_grandchild_matches() -> None:
    (rm,) = match(TREE, {"service": "db", "severity": "warning"})
    assert rm.route_id == "db"
    assert rm.settings.escalation_policy == "default"


def test_child_overrides_bool_with_false() -> None:
    (rm,) = match(TREE, {"service": "db", "role": "replica"})
    assert rm.route_id == "db-replica"
    assert rm.settings.auto_resolve is False


def test_continue_keeps_evaluating_siblings() -> None:
    matches = match(TREE, {"team": "x", "service": "api"})
    assert ids(matches) == ["audit", "web"]
    assert matches[0].settings.incident_type == "audit"
    assert matches[1].settings.incident_type is None  # siblings do not inherit from each other


def test_continue_route_alone_still_replaces_parent() -> None:
    # audit matched (with continue) and nothing else did: the root is not added.
    assert ids(match(TREE, {"team": "x"})) == ["audit"]


def test_non_continue_match_stops_before_continue_sibling() -> None:
    assert ids(match(TREE, {"team": "x", "service": "db"})) == ["db"]


def test_root_matchers_are_ignored() -> None:
    root = Route(matchers=m('never="true"'))
    assert ids(match(root, {})) == ["root"]


def test_positional_ids_when_unnamed() -> None:
    root = Route(routes=(Route(matchers=m("a=1")), Route(matchers=m("b=1"), routes=(Route(),))))
    assert ids(match(root, {"b": "1"})) == ["root/1/0"]
    assert [rid for rid, _, _ in iter_routes(root)] == ["root", "root/0", "root/1", "root/1/0"]


def test_explanation_records_failed_matcher_and_actual_value() -> None:
    (rm,) = match(TREE, {"service": "web"})
    lines = rm.explain()
    assert lines[0] == "root: matched"
    assert lines[1] == '  db: no match, service="db" failed (service is "web")'
    assert lines[2] == '  audit: no match, team=~".+" failed (team is missing)'
    assert lines[3] == "  web: matched"
    assert len(lines) == 4
    failed = rm.steps[1]
    assert not failed.matched and failed.failed_matcher == Matcher("service", MatchType.EQUAL, "db")


def test_trace_includes_routes_after_continue() -> None:
    steps = trace(TREE, {"team": "x"})
    assert [(s.route_id, s.matched) for s in steps] == [
        ("root", True), ("db", False), ("audit", True), ("web", False), ("catchall-web", False),
    ]


def test_severity_field_inheritance_nearest_wins() -> None:
    root = Route(
        severity=Severity.SEV2,
        routes=(
            Route(id="fixed", matchers=m("a=1")),
            Route(id="by-label", matchers=m("a=2"), severity_label="prio"),
            Route(id="override", matchers=m("a=3"), severity=Severity.SEV4),
        ),
    )
    fixed, = match(root, {"a": "1", "severity": "critical"})
    assert fixed.severity_for({"severity": "critical"}) is Severity.SEV2
    by_label, = match(root, {"a": "2"})
    assert by_label.settings.severity is None
    assert by_label.severity_for({"prio": "P1", "severity": "info"}) is Severity.SEV1
    assert by_label.severity_for({"severity": "info"}) is None
    override, = match(root, {"a": "3"})
    assert override.severity_for({}) is Severity.SEV4


def test_severity_for_uses_default_label_and_custom_map() -> None:
    (rm,) = match(Route(), {})
    assert rm.severity_for({"severity": "warning"}) is Severity.SEV3
    assert rm.severity_for({"severity": "disaster"}) is None
    custom = SeverityMap({"disaster": Severity.SEV1})
    assert rm.severity_for({"severity": "disaster"}, custom) is Severity.SEV1


def test_explicit_empty_group_by_stops_inheritance() -> None:
    root = Route(group_by=("alertname",), routes=(Route(matchers=m("a=1"), group_by=()),))
    (rm,) = match(root, {"a": "1", "alertname": "X"})
    assert rm.settings.group_by == ()
    assert group_key(rm, {"a": "1", "alertname": "X"}) == "root/0:{}"


def test_group_key_is_stable_and_uses_only_group_by_labels() -> None:
    (rm,) = match(default_route(), {})
    a = {"alertname": "DiskFull", "instance": "h1"}
    b = {"instance": "h2", "alertname": "DiskFull"}
    assert group_key(rm, a) == group_key(rm, b) == 'root:{alertname="DiskFull"}'
    assert group_key(rm, {"alertname": "Other"}) != group_key(rm, a)


def test_group_key_sorted_escaped_and_missing_equals_empty() -> None:
    root = Route(id="r", group_by=("z", "a", "q"))
    (rm,) = match(root, {})
    assert group_key(rm, {"z": 'x"y', "a": "1"}) == 'r:{a="1",z="x\\"y"}'
    assert group_key(rm, {"a": "1", "q": ""}) == group_key(rm, {"a": "1"})
    assert group_labels(rm, {"a": "1", "q": "", "other": "x"}) == {"a": "1"}


def test_group_by_all_uses_every_label() -> None:
    root = Route(id="r", group_by=("...",))
    (rm,) = match(root, {})
    assert rm.settings.group_by_all
    assert group_key(rm, {"b": "2", "a": "1"}) == 'r:{a="1",b="2"}'
    assert group_key(rm, {"a": "1"}) != group_key(rm, {"a": "1", "b": "2"})


def test_group_key_differs_per_route_for_continue_matches() -> None:
    root = Route(group_by=("alertname",), routes=(
        Route(id="x", matchers=m("a=1"), continue_=True), Route(id="y", matchers=m("a=1")),
    ))
    labels = {"a": "1", "alertname": "A"}
    keys = {group_key(rm, labels) for rm in match(root, labels)}
    assert keys == {'x:{alertname="A"}', 'y:{alertname="A"}'}


def test_route_validation() -> None:
    with pytest.raises(RoutingError):
        Route(group_by=("...", "a"))
    with pytest.raises(RoutingError):
        Route(group_window=timedelta(seconds=-1))
    with pytest.raises(RoutingError, match="duplicate route id 'x'"):
        validate_tree(Route(routes=(Route(id="x"), Route(id="x"))))
    validate_tree(TREE)


# ----------------------------------------------------------------- RouteCache

from warroom.routing.tree import RouteCache  # noqa: E402

LABEL_SETS = [
    {"alertname": "X", "service": "other"},
    {"service": "web", "instance": "a"},
    {"service": "web", "instance": "b"},
    {"service": "db", "severity": "critical", "pod": "p1"},
    {"service": "db", "severity": "warning"},
    {"service": "db", "severity": ""},
    {"service": "db", "role": "replica", "team": "x"},
    {"service": "webshop", "team": "t"},
    {"alertname": "Y"},
]


def test_the_cache_decides_as_match_does_for_every_label_set() -> None:
    cache = RouteCache(TREE)
    for labels in LABEL_SETS * 2:  # the second round is answered from the cache
        assert cache.match(labels) == match(TREE, labels), labels
        (rm,) = match(TREE, labels)[:1]
        expected = group_key(rm, labels) if group_labels(rm, labels) else ""
        assert cache.group_key(rm, labels) == expected


def test_the_cache_keys_on_the_labels_the_tree_reads_only() -> None:
    cache = RouteCache(TREE)
    assert cache.names == ("role", "service", "severity", "team")
    first = cache.match({"service": "web", "instance": "a"})
    assert cache.match({"service": "web", "instance": "b"}) is first  # instance is not read
    # absent and empty stay apart: a trace shows which one the alert had
    absent, empty = cache.match({"service": "db"}), cache.match({"service": "db", "severity": ""})
    assert absent is not empty


def test_group_keys_follow_the_group_by_labels_and_a_full_cache_starts_over() -> None:
    cache = RouteCache(TREE, size=2)
    (rm,) = cache.match({"alertname": "A"})
    assert cache.group_key(rm, {"alertname": "A", "pod": "1"}) == 'root:{alertname="A"}'
    assert cache.group_key(rm, {"alertname": "B"}) == 'root:{alertname="B"}'
    assert cache.group_key(rm, {"alertname": "C"}) == 'root:{alertname="C"}'  # cleared, refilled
    assert cache.group_key(rm, {"pod": "1"}) == ""  # none of the group_by labels
    everything = RouteCache(Route(id="all", group_by=("...",)))
    (rm_all,) = everything.match({"a": "1"})
    assert everything.group_key(rm_all, {"a": "1", "b": "2"}) == 'all:{a="1",b="2"}'


@pytest.mark.parametrize("tree", [TREE, Route(id="all", group_by=("...",)),
                                  Route(group_by=("alertname",), routes=(
                                      Route(id="pods", matchers=parse_matchers('team="x"'),
                                            group_by=("pod",)),))])
def test_decide_gives_the_first_route_and_its_group_key_for_every_label_set(tree: Route) -> None:
    cache = RouteCache(tree, size=3)  # small: the decisions are also cleared and refilled
    extra = [{"alertname": "A", "team": "x", "pod": "p1"}, {"alertname": "A", "team": "x",
                                                           "pod": "p2"}]
    for labels in (LABEL_SETS + extra) * 2:
        (rm,) = match(tree, labels)[:1]
        expected = group_key(rm, labels) if group_labels(rm, labels) else ""
        assert cache.decide(labels) == (rm, expected), labels
