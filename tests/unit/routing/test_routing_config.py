from datetime import timedelta

import pytest
from pydantic import ValidationError

from warroom.routing.config import RouteConfig, build_routing
from warroom.routing.matchers import Matcher, MatchType
from warroom.routing.severity_map import Severity
from warroom.routing.tree import RoutingError, default_route, match

CONFIG = {
    "group_by": ["alertname", "cluster"],
    "group_window": "5m",
    "team": "ops",
    "routes": [
        {
            "id": "db",
            "matchers": ['service="db"', '{env=~"prod|staging", tier!="test"}'],
            "team": "dba",
            "severity": "critical",
            "continue": True,
            "group_window": 90,
            "reopen_window": "1h",
            "routes": [{"matchers": ["role=replica"], "auto_resolve": False}],
        },
        {"matchers": ["alertname=Watchdog"], "incident_type": "heartbeat", "group_by": ["..."]},
    ],
}


def test_build_full_tree() -> None:
    root = RouteConfig.model_validate(CONFIG).build()
    assert root.group_by == ("alertname", "cluster")
    assert root.group_window == timedelta(minutes=5)
    db = root.routes[0]
    assert db.id == "db"
    assert db.continue_ is True
    assert db.matchers == (
        Matcher("service", MatchType.EQUAL, "db"),
        Matcher("env", MatchType.REGEX, "prod|staging"),
        Matcher("tier", MatchType.NOT_EQUAL, "test"),
    )
    assert db.severity is Severity.SEV1
    assert db.group_window == timedelta(seconds=90)
    assert db.reopen_window == timedelta(hours=1)
    assert db.routes[0].auto_resolve is False
    assert db.routes[0].group_by is None
    assert root.routes[1].group_by == ("...",)


def test_built_tree_routes_with_continue_and_inheritance() -> None:
    root = build_routing(CONFIG)
    labels = {"service": "db", "env": "prod", "role": "replica", "alertname": "Watchdog"}
    first, second = match(root, labels)
    assert first.route_id == "db/0"
    assert first.settings.team == "dba"
    assert first.settings.auto_resolve is False
    assert first.settings.group_window == timedelta(seconds=90)
    assert second.route_id == "root/1"
    assert second.settings.team == "ops"
    assert second.settings.incident_type == "heartbeat"


def test_continue_accepted_by_field_name_too() -> None:
    cfg = RouteConfig.model_validate({"routes": [{"continue_": True}]})
    assert cfg.routes[0].continue_ is True


def test_no_configuration_is_default_route() -> None:
    assert build_routing(None) == default_route()
    assert build_routing({}) == default_route()
    assert default_route().group_by == ("alertname",)


def test_root_without_group_by_defaults_to_alertname_but_explicit_empty_is_kept() -> None:
    assert build_routing({"team": "x"}).group_by == ("alertname",)
    assert build_routing({"group_by": []}).group_by == ()


def _error_locations(data: dict[str, object]) -> list[tuple[object, ...]]:
    with pytest.raises(ValidationError) as info:
        RouteConfig.model_validate(data)
    return [e["loc"] for e in info.value.errors()]


def test_bad_matcher_error_names_location_and_matcher() -> None:
    data = {"routes": [{"routes": [{"matchers": ["a=1", 'b=~"(oops"']}]}]}
    with pytest.raises(ValidationError) as info:
        RouteConfig.model_validate(data)
    (error,) = info.value.errors()
    assert error["loc"] == ("routes", 0, "routes", 0, "matchers", 1)
    assert "b=~\"(oops\"" in error["msg"]
    assert "regular expression" in error["msg"]


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({"group_window": "ten minutes"}, ("group_window",)),
        ({"group_window": "-5m"}, ("group_window",)),
        ({"reopen_window": True}, ("reopen_window",)),
        ({"severity": "urgent"}, ("severity",)),
        ({"group_by": ["a", "..."]}, ("group_by",)),
        ({"group_by": [""]}, ("group_by", 0)),
        ({"recievers": []}, ("recievers",)),
        ({"routes": [{"continue": "maybe"}]}, ("routes", 0, "continue")),
        ({"id": ""}, ("id",)),
    ],
)
def test_validation_errors_name_the_field(data: dict[str, object], loc: tuple[object, ...]) -> None:
    assert loc in _error_locations(data)


def test_severity_accepts_canonical_and_words() -> None:
    assert RouteConfig.model_validate({"severity": "SEV3"}).severity is Severity.SEV3
    assert RouteConfig.model_validate({"severity": "p2"}).severity is Severity.SEV2
    assert RouteConfig.model_validate({"severity": "warning"}).severity is Severity.SEV3


def test_root_may_not_have_matchers_or_continue() -> None:
    with pytest.raises(RoutingError, match="root route must not have matchers"):
        RouteConfig.model_validate({"matchers": ["a=1"]}).build()
    with pytest.raises(RoutingError, match="continue"):
        RouteConfig.model_validate({"continue": True}).build()


def test_duplicate_route_ids_rejected_at_build() -> None:
    cfg = RouteConfig.model_validate({"routes": [{"id": "x"}, {"routes": [{"id": "x"}]}]})
    with pytest.raises(RoutingError, match="duplicate route id 'x'"):
        cfg.build()
