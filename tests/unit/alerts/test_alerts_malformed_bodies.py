"""Every class of bad input gives FormatError or ItemError with a message naming the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from warroom.alerts.formats import FormatError, require_format

NOW = datetime(2026, 11, 22, 21, 57, tzinfo=UTC)
MAPPING = {"mapping": {"title": "title", "dedup_key": "id", "status": "state", "labels": "labels",
                       "starts_at": "at", "severity": "sev"}}
PD_OK = {"routing_key": "rk", "event_action": "trigger",
         "payload": {"summary": "s", "source": "h", "severity": "info"}}
WEBHOOK = {"version": "4", "status": "firing", "alerts": []}
GRAFANA = {"version": "1", "orgId": 1, "status": "firing", "alerts": []}


def _pd(**changes: Any) -> dict[str, Any]:
    body = {**PD_OK, "payload": dict(PD_OK["payload"])}
    for key, value in changes.items():
        if key.startswith("payload_"):
            body["payload"][key.removeprefix("payload_")] = value
        else:
            body[key] = value
    return body


# (format, payload, options, field that must be named)
BODY_ERRORS: list[tuple[str, object, dict[str, Any] | None, str]] = [
    ("alertmanager", {"labels": {}}, None, "array"),
    ("alertmanager", "x", None, "array"),
    ("alertmanager_webhook", [], None, "object"),
    ("alertmanager_webhook", {"alerts": []}, None, "version"),
    ("alertmanager_webhook", {"version": "1", "alerts": []}, None, "version"),
    ("alertmanager_webhook", {"version": 4, "alerts": []}, None, "version"),
    ("alertmanager_webhook", {"version": "4"}, None, "alerts"),
    ("grafana", 3, None, "object"),
    ("grafana", {"alerts": []}, None, "version"),
    ("grafana", {"version": "1", "alerts": None}, None, "alerts"),
    ("pagerduty", [PD_OK], None, "object"),
    ("pagerduty", _pd(routing_key=None), None, "routing_key"),
    ("pagerduty", _pd(routing_key=""), None, "routing_key"),
    ("pagerduty", _pd(routing_key=7), None, "routing_key"),
    ("pagerduty", _pd(event_action=None), None, "event_action"),
    ("pagerduty", _pd(event_action="snooze"), None, "event_action"),
    ("pagerduty", _pd(event_action=["trigger"]), None, "event_action"),
    ("pagerduty", _pd(dedup_key=5), None, "dedup_key"),
    ("pagerduty", _pd(dedup_key="k" * 256), None, "dedup_key"),
    ("pagerduty", {"routing_key": "rk", "event_action": "resolve"}, None, "dedup_key"),
    ("pagerduty", _pd(payload=None), None, "payload"),
    ("pagerduty", _pd(payload="text"), None, "payload"),
    ("pagerduty", _pd(payload_summary=None), None, "payload.summary"),
    ("pagerduty", _pd(payload_summary="x" * 1025), None, "payload.summary"),
    ("pagerduty", _pd(payload_summary=["x"]), None, "payload.summary"),
    ("pagerduty", _pd(payload_source="  "), None, "payload.source"),
    ("pagerduty", _pd(payload_severity="fatal"), None, "payload.severity"),
    ("pagerduty", _pd(payload_severity=None), None, "payload.severity"),
    ("pagerduty", _pd(payload_timestamp="soon"), None, "payload.timestamp"),
    ("pagerduty", _pd(payload_component=1), None, "payload.component"),
    ("pagerduty", _pd(images={"src": "x"}), None, "images"),
    ("pagerduty", _pd(images=[{"src": "http://x"}]), None, "images[0].src"),
    ("pagerduty", _pd(links=[{"text": "no href"}]), None, "links[0].href"),
    ("pagerduty", _pd(client_url=3), None, "client_url"),
    ("pagerduty", {"routing_key": "rk", "payload": {"source": "ci"}}, {"change": True}, "payload.summary"),
    ("pagerduty", {"routing_key": "rk", "payload": {"summary": "s", "custom_details": 1}}, {"change": True},
     "payload.custom_details"),
    ("pagerduty", {"routing_key": "abc", "event_action": "resolve", "dedup_key": "k"},
     {"strict_routing_key": True}, "routing_key"),
    ("opsgenie", [], None, "object"),
    ("opsgenie", {}, None, "message"),
    ("opsgenie", {"message": "   "}, None, "message"),
    ("opsgenie", {"message": "m" * 131}, None, "message"),
    ("opsgenie", {"message": 5}, None, "message"),
    ("opsgenie", {"message": "m", "alias": "a" * 513}, None, "alias"),
    ("opsgenie", {"message": "m", "description": "d" * 15001}, None, "description"),
    ("opsgenie", {"message": "m", "priority": "high"}, None, "priority"),
    ("opsgenie", {"message": "m", "tags": ["t"] * 21}, None, "tags"),
    ("opsgenie", {"message": "m", "tags": [1]}, None, "tags"),
    ("opsgenie", {"message": "m", "details": {"k": 1}}, None, "details"),
    ("opsgenie", {"message": "m", "actions": ["a"] * 11}, None, "actions"),
    ("opsgenie", {"message": "m", "responders": ["team"]}, None, "responders"),
    ("opsgenie", {"action": "escalate"}, None, "action"),
    ("opsgenie", {"action": "close"}, None, "alias"),
    ("opsgenie", {"action": "close", "alias": "a", "identifierType": "tiny"}, None, "identifierType"),
    ("generic", "text", MAPPING, "body"),
    ("generic", {"data": 1}, {"mapping": {"items": "data", "title": "t"}}, "data"),
]


@pytest.mark.parametrize(("slug", "payload", "options", "field"), BODY_ERRORS,
                         ids=[f"{c[0]}-{i}-{c[3]}" for i, c in enumerate(BODY_ERRORS)])
def test_unusable_body_raises_format_error_naming_the_field(
    slug: str, payload: object, options: dict[str, Any] | None, field: str
) -> None:
    with pytest.raises(FormatError) as info:
        require_format(slug).parse(payload, now=NOW, options=options)
    assert any(field in p.message for p in info.value.problems), info.value.problems
    assert field in str(info.value)


def _am(item: object) -> list[object]:
    return [item]


def _wh(item: object, fmt: dict[str, Any] = WEBHOOK) -> dict[str, Any]:
    return {**fmt, "alerts": [item]}


# (format, payload, options, field the ItemError message must name)
ITEM_ERRORS: list[tuple[str, object, dict[str, Any] | None, str]] = [
    ("alertmanager", _am("x"), None, "object"),
    ("alertmanager", _am({"labels": ["a"]}), None, "labels"),
    ("alertmanager", _am({"labels": {"a": 1}}), None, "labels.a"),
    ("alertmanager", _am({"labels": {"a": None}}), None, "labels.a"),
    ("alertmanager", _am({"labels": {}}), None, "label"),
    ("alertmanager", _am({}), None, "label"),
    ("alertmanager", _am({"labels": {"bad-name": "v"}}), None, "bad-name"),
    ("alertmanager", _am({"labels": {"": "v"}}), None, "label set"),
    ("alertmanager", _am({"labels": {"a": "\ud800"}}), None, "labels"),
    ("alertmanager", _am({"labels": {"a": "b"}, "annotations": "s"}), None, "annotations"),
    ("alertmanager", _am({"labels": {"a": "b"}, "annotations": {"x y": "s"}}), None, "annotations"),
    ("alertmanager", _am({"labels": {"a": "b"}, "startsAt": 5}), None, "startsAt"),
    ("alertmanager", _am({"labels": {"a": "b"}, "startsAt": "2026-13-01T00:00:00Z"}), None, "startsAt"),
    ("alertmanager", _am({"labels": {"a": "b"}, "endsAt": "tomorrow"}), None, "endsAt"),
    ("alertmanager", _am({"labels": {"a": "b"}, "endsAt": "9999-12-31T23:59:59-23:59"}), None, "endsAt"),
    ("alertmanager", _am({"labels": {"a": "b"}, "startsAt": "2026-01-02T00:00:00Z",
                          "endsAt": "2026-01-01T00:00:00Z"}), None, "start time"),
    ("alertmanager", _am({"labels": {"a": "b"}, "generatorURL": 1}), None, "generatorURL"),
    ("alertmanager_webhook", _wh("x"), None, "object"),
    ("alertmanager_webhook", _wh({"labels": {"a": "b"}}), None, "status"),
    ("alertmanager_webhook", _wh({"status": "pending", "labels": {"a": "b"}}), None, "status"),
    ("alertmanager_webhook", _wh({"status": "firing", "labels": None}), None, "labels"),
    ("alertmanager_webhook", _wh({"status": "firing", "labels": {"a": "b"}, "startsAt": "x"}), None, "startsAt"),
    ("alertmanager_webhook", _wh({"status": "resolved", "labels": {"a": "b"}, "startsAt": "2026-01-02T00:00:00Z",
                                  "endsAt": "2026-01-01T00:00:00Z"}), None, "start time"),
    ("grafana", _wh({"status": "firing", "labels": {"a": "b"}, "fingerprint": 12}, GRAFANA), None, "fingerprint"),
    ("grafana", _wh({"status": "firing", "labels": {"a": 1}}, GRAFANA), None, "labels.a"),
    ("generic", [{"id": 1}], MAPPING, "title"),
    ("generic", [{"title": {"a": 1}}], MAPPING, "title"),
    ("generic", [{"title": "t", "sev": []}], MAPPING, "severity"),
    ("generic", [{"title": "t", "id": True}], MAPPING, "dedup_key"),
    ("generic", [{"title": "t", "state": "meh"}], MAPPING, "status"),
    ("generic", [{"title": "t", "labels": [1]}], MAPPING, "labels"),
    ("generic", [{"title": "t", "at": "noon"}], MAPPING, "starts_at"),
    ("generic", [{"title": "t", "at": 1e20}], MAPPING, "starts_at"),
    ("generic", [7], MAPPING, "object"),
]


@pytest.mark.parametrize(("slug", "payload", "options", "field"), ITEM_ERRORS,
                         ids=[f"{c[0]}-{i}-{c[3]}" for i, c in enumerate(ITEM_ERRORS)])
def test_bad_item_becomes_item_error_naming_the_field(
    slug: str, payload: object, options: dict[str, Any] | None, field: str
) -> None:
    result = require_format(slug).parse(payload, now=NOW, options=options)
    assert result.alerts == []
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.index == 0
    assert field in error.message, error
    assert str(error).startswith("item 0: ")
