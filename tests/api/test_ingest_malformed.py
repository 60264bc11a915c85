"""Bad bodies on every ingest endpoint: a 4xx that says what is wrong, never a 5xx;
valid alerts of a partly bad batch are still stored; oversized bodies get 413."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from warroom.settings import Settings

GENERIC = {"mapping": {"items": "events", "title": "name", "dedup_key": "id",
                       "labels": {"alertname": "name", "host": "host"}}}


@pytest.fixture
def keys(make_integration: Callable[..., str]) -> dict[str, str]:
    """One integration key per format."""
    return {fmt: make_integration(fmt, options=GENERIC if fmt == "generic" else None)
            for fmt in ("alertmanager", "grafana", "opsgenie", "generic", "pagerduty")}


def _send(client: TestClient, keys: dict[str, str], path: str, body: Any) -> Any:
    fmt = {"/api/v2/alerts": "alertmanager", "/api/v1/ingest/alertmanager": "alertmanager",
           "/api/v1/ingest/grafana": "grafana", "/api/v1/ingest/generic": "generic"}.get(path)
    if path.startswith("/api/v1/ingest/opsgenie"):
        headers = {"Authorization": f"GenieKey {keys['opsgenie']}"}
    elif fmt is not None:
        headers = {"Authorization": f"Bearer {keys[fmt]}"}
    else:  # PagerDuty: the routing key is in the body (and, here, in the header too)
        headers = {"Authorization": f"Bearer {keys['pagerduty']}"}
        if isinstance(body, dict):
            body = {"routing_key": keys["pagerduty"], **body}
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return client.post(path, content=content,
                       headers={**headers, "Content-Type": "application/json"})


def _am_item(**overrides: Any) -> dict[str, Any]:
    return {"labels": {"alertname": "A", "instance": "x"}, **overrides}


def _hook(alerts: Any, version: str = "4", **extra: Any) -> dict[str, Any]:
    return {"version": version, "status": "firing", "receiver": "r", "alerts": alerts,
            "groupKey": "{}:{}", **extra}


def _hook_item(**overrides: Any) -> dict[str, Any]:
    return {"status": "firing", "labels": {"alertname": "A"},
            "startsAt": "2026-01-01T00:00:00Z", **overrides}


PD_TRIGGER = {"event_action": "trigger", "dedup_key": "k",
              "payload": {"summary": "s", "source": "h", "severity": "critical"}}

# (path, body, expected status, a fragment the answer must contain)
CASES: list[tuple[str, Any, int, str]] = [
    # Alertmanager API v2: 400 with a JSON string
    ("/api/v2/alerts", b"{not json", 400, "not valid JSON"),
    ("/api/v2/alerts", b"", 400, "empty"),
    ("/api/v2/alerts", {"labels": {"a": "b"}}, 400, "JSON array"),
    ("/api/v2/alerts", [{"annotations": {"summary": "s"}}], 400,
     "at least one label pair required"),
    ("/api/v2/alerts", [_am_item(startsAt="yesterday")], 400, "startsAt"),
    ("/api/v2/alerts", [_am_item(endsAt=12)], 400, "endsAt"),
    ("/api/v2/alerts", [_am_item(labels={"bad-name": "x"})], 400, 'invalid name \\"bad-name\\"'),
    ("/api/v2/alerts", [_am_item(labels=["alertname"])], 400, "'labels' must be an object"),
    ("/api/v2/alerts", [_am_item(labels={"a": 1})], 400, "'labels.a' must be a string"),
    ("/api/v2/alerts", [_am_item(startsAt="2026-01-02T00:00:00Z",
                                 endsAt="2026-01-01T00:00:00Z")], 400,
     "start time must be before end time"),
    ("/api/v2/alerts", [_am_item(startsAt="2026-13-45T00:00:00Z")], 400, "startsAt"),
    ("/api/v2/alerts", ["alert"], 400, "alert must be a JSON object"),
    ("/api/v2/alerts", b"[1e999]", 400, "not valid JSON"),
    # Alertmanager webhook
    ("/api/v1/ingest/alertmanager", b"<xml/>", 400, "not valid JSON"),
    ("/api/v1/ingest/alertmanager", [], 400, "JSON object"),
    ("/api/v1/ingest/alertmanager", {"alerts": []}, 400, "'version' is required"),
    ("/api/v1/ingest/alertmanager", _hook([], version="3"), 400, "only \\\"4\\\""),
    ("/api/v1/ingest/alertmanager", _hook({"a": 1}), 400, "'alerts' must be an array"),
    ("/api/v1/ingest/alertmanager", _hook([_hook_item(status="broken")]), 400,
     "'status' must be 'firing' or 'resolved'"),
    ("/api/v1/ingest/alertmanager", _hook([_hook_item(status=None)]), 400, "'status' is required"),
    ("/api/v1/ingest/alertmanager", _hook([_hook_item(startsAt="2026-01-01 nope")]), 400,
     "startsAt"),
    ("/api/v1/ingest/alertmanager", _hook([_hook_item(labels={})]), 400, "at least one label"),
    # Grafana
    ("/api/v1/ingest/grafana", b"[", 400, "not valid JSON"),
    ("/api/v1/ingest/grafana", "text", 400, "JSON object"),
    ("/api/v1/ingest/grafana", _hook([], version="4"), 400, "alertmanager_webhook"),
    ("/api/v1/ingest/grafana", _hook([_hook_item(endsAt="then")], version="1", orgId=1), 400,
     "endsAt"),
    # Opsgenie: 422 with errors per field
    ("/api/v1/ingest/opsgenie", b"{", 422, "not valid JSON"),
    ("/api/v1/ingest/opsgenie", [], 422, "JSON object"),
    ("/api/v1/ingest/opsgenie", {"alias": "a"}, 422, "'message' can not be empty"),
    ("/api/v1/ingest/opsgenie", {"message": "m", "priority": "P9"}, 422, "'priority'"),
    ("/api/v1/ingest/opsgenie", {"message": "m" * 131}, 422, "too long"),
    ("/api/v1/ingest/opsgenie", {"message": "m", "details": {"a": 1}}, 422, "'details'"),
    ("/api/v1/ingest/opsgenie", {"message": "m", "action": "explode"}, 422, "'action'"),
    ("/api/v1/ingest/opsgenie/alerts/a1/close", b"{", 422, "not valid JSON"),
    ("/api/v1/ingest/opsgenie/alerts/a1/close?identifierType=tiny", {}, 422, "identifierType"),
    ("/api/v1/ingest/opsgenie/alerts/a1/acknowledge?identifierType=id", b"", 422,
     "identifierType"),
    # generic
    ("/api/v1/ingest/generic", b"nope", 400, "not valid JSON"),
    ("/api/v1/ingest/generic", {"events": "x"}, 400, "must be a JSON object or array"),
    ("/api/v1/ingest/generic", {"events": [{"host": "h"}]}, 400, "'title' is required"),
    ("/api/v1/ingest/generic", {"events": [{"name": {"x": 1}}]}, 400,
     "'title' must be a string or number"),
    # PagerDuty: 400 with PagerDuty's error body
    ("/v2/enqueue", b"{", 400, "not valid JSON"),
    ("/v2/enqueue", [PD_TRIGGER], 400, "body must be a JSON object"),
    ("/v2/enqueue", {**PD_TRIGGER, "event_action": "explode"}, 400,
     "'event_action' is invalid"),
    ("/v2/enqueue", {k: v for k, v in PD_TRIGGER.items() if k != "event_action"}, 400,
     "'event_action' is missing"),
    ("/v2/enqueue", {**PD_TRIGGER, "payload": {"source": "h", "severity": "critical"}}, 400,
     "'payload.summary' is missing"),
    ("/v2/enqueue", {**PD_TRIGGER, "payload": {**PD_TRIGGER["payload"], "severity": "bad"}},
     400, "'payload.severity' is invalid"),
    ("/v2/enqueue", {**PD_TRIGGER, "payload": {**PD_TRIGGER["payload"], "timestamp": "soon"}},
     400, "'payload.timestamp' is invalid"),
    ("/v2/enqueue", {"event_action": "resolve"}, 400, "'dedup_key' is missing"),
    ("/v2/enqueue", {**PD_TRIGGER, "dedup_key": "k" * 256}, 400, "'dedup_key'"),
    ("/v2/enqueue", {**PD_TRIGGER, "images": [{"src": "http://x"}]}, 400, "HTTPS"),
    ("/v2/change/enqueue", b"", 400, "empty"),
    ("/v2/change/enqueue", {"payload": "x"}, 400, "'payload' is missing or invalid"),
    ("/v2/change/enqueue", {"payload": {"summary": "s", "custom_details": 3}}, 400,
     "'payload.custom_details' is invalid"),
]


FAMILIES = ["/api/v2/alerts", "/api/v1/ingest/alertmanager", "/api/v1/ingest/grafana",
            "/api/v1/ingest/opsgenie", "/api/v1/ingest/generic", "/v2/"]


@pytest.mark.parametrize("family", FAMILIES)
def test_malformed_body_gets_a_4xx_saying_what_is_wrong(
    client: TestClient, keys: dict[str, str], family: str,
) -> None:
    cases = [c for c in CASES if c[0].startswith(family)]
    assert cases
    wrong = []
    for index, (path, body, status, fragment) in enumerate(cases):
        r = _send(client, keys, path, body)
        if r.status_code != status or fragment not in r.text:
            wrong.append(f"case {index} {path} {body!r:.80}: {r.status_code} {r.text[:300]}")
    assert wrong == []


def test_nothing_of_a_rejected_body_is_stored(
    client: TestClient, keys: dict[str, str], auth_headers: dict[str, str],
) -> None:
    for path, body, _, _ in CASES:
        _send(client, keys, path, body)
    alerts = client.get("/api/v2/alerts",
                        headers={"Authorization": f"Bearer {keys['alertmanager']}"})
    assert alerts.status_code == 200 and alerts.json() == []
    assert client.get("/api/v1/incidents", headers=auth_headers).json()["total"] == 0


# --- best effort: a partly bad batch stores every valid alert -------------------------


def _firing(client: TestClient, keys: dict[str, str]) -> list[str]:
    r = client.get("/api/v2/alerts", headers={"Authorization": f"Bearer {keys['alertmanager']}"})
    return sorted(a["labels"].get("instance", "") for a in r.json())


def test_partly_bad_api_v2_batch_stores_the_valid_alerts_and_answers_400(
    client: TestClient, keys: dict[str, str],
) -> None:
    body = [_am_item(labels={"alertname": "A", "instance": "1"}),
            _am_item(labels={"bad-name": "x"}),
            _am_item(labels={"alertname": "A", "instance": "2"}),
            _am_item(labels={"alertname": "A", "instance": "3"}, startsAt="never")]
    r = _send(client, keys, "/api/v2/alerts", body)
    assert r.status_code == 400
    assert 'invalid name \\"bad-name\\"' in r.text and "startsAt" in r.text
    assert _firing(client, keys) == ["1", "2"]


def test_partly_bad_webhook_batch_stores_the_valid_alerts_and_lists_the_bad(
    client: TestClient, keys: dict[str, str], auth_headers: dict[str, str],
) -> None:
    body = _hook([_hook_item(labels={"alertname": "A", "instance": "1"}),
                  _hook_item(status="maybe"),
                  _hook_item(labels={"alertname": "A", "instance": "2"})])
    r = _send(client, keys, "/api/v1/ingest/alertmanager", body)
    assert r.status_code == 400
    answer = r.json()
    assert answer["new"] == 2 and answer["incidents_opened"] == ["INC-1"]
    assert len(answer["errors"]) == 1 and answer["errors"][0].startswith("alert 1:")
    assert _firing(client, keys) == ["1", "2"]
    assert client.get("/api/v1/incidents", headers=auth_headers).json()["total"] == 1


def test_partly_bad_generic_batch_stores_the_valid_items(
    client: TestClient, keys: dict[str, str],
) -> None:
    body = {"events": [{"id": "1", "name": "Up", "host": "1"}, {"id": "2"},
                       {"id": "3", "name": "Up", "host": "3"}]}
    r = _send(client, keys, "/api/v1/ingest/generic", body)
    assert r.status_code == 400
    assert r.json()["new"] == 2 and r.json()["errors"][0].startswith("alert 1: 'title'")


def test_more_alerts_than_the_configured_maximum_are_cut_and_reported(
    make_client: Callable[..., TestClient], keys: dict[str, str],
) -> None:
    client = make_client("alerts: {max_alerts_per_request: 2}")
    body = _hook([_hook_item(labels={"alertname": "A", "instance": str(i)}) for i in range(3)])
    r = _send(client, keys, "/api/v1/ingest/alertmanager", body)
    assert r.status_code == 400 and r.json()["new"] == 2
    assert "only the first 2 alerts of 3" in r.json()["errors"][-1]


# --- values the database cannot hold as given ------------------------------------------


def test_nul_characters_are_refused_with_a_reason(
    client: TestClient, keys: dict[str, str],
) -> None:
    for path, body in [
        ("/api/v2/alerts", [{"labels": {"alertname": "A\u0000B"}}]),
        ("/api/v1/ingest/alertmanager", _hook([_hook_item(annotations={"s": "x\u0000"})])),
        ("/v2/enqueue", {**PD_TRIGGER, "dedup_key": "k\u0000"}),
        ("/api/v1/ingest/opsgenie", {"message": "m", "details": {"a\u0000": "b"}}),
    ]:
        r = _send(client, keys, path, body)
        assert 400 <= r.status_code < 500, (path, r.text)
        assert "NUL" in r.text, (path, r.text)
    assert _firing(client, keys) == []


def test_long_label_values_are_stored_and_grouped_without_error(
    client: TestClient, keys: dict[str, str], auth_headers: dict[str, str],
) -> None:
    long_name = "N" * 1500  # grouped on (alertname), beyond the group key column
    body = _hook([_hook_item(labels={"alertname": long_name, "service": "s" * 300,
                                     "severity": "x" * 100, "instance": "1"}),
                  _hook_item(labels={"alertname": long_name, "service": "s" * 300,
                                     "severity": "x" * 100, "instance": "2"})])
    r = _send(client, keys, "/api/v1/ingest/alertmanager", body)
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 2 and len(r.json()["incidents_opened"]) == 1
    # A changed annotation updates the stored alert, long severity and all.
    body["alerts"][0]["annotations"] = {"summary": "changed"}
    r = _send(client, keys, "/api/v1/ingest/alertmanager", body)
    assert r.status_code == 200 and r.json()["updated"] == 1
    other = _hook([_hook_item(labels={"alertname": long_name[:-1] + "M", "instance": "1"})])
    assert _send(client, keys, "/api/v1/ingest/alertmanager", other).json()[
        "incidents_opened"] == ["INC-2"]


def test_long_dedup_keys_and_fingerprints_are_accepted(
    client: TestClient, keys: dict[str, str],
) -> None:
    generic = {"events": [{"id": "k" * 600, "name": "Long key", "host": "h"}]}
    r = _send(client, keys, "/api/v1/ingest/generic", generic)
    assert r.status_code == 200, r.text
    again = _send(client, keys, "/api/v1/ingest/generic", generic)
    assert again.json()["deduplicated"] == 1
    grafana = _hook([_hook_item(fingerprint="f" * 100)], version="1", orgId=1)
    r = _send(client, keys, "/api/v1/ingest/grafana", grafana)
    assert r.status_code == 200, r.text
    assert _send(client, keys, "/api/v1/ingest/grafana", grafana).json()["deduplicated"] == 1


def test_integration_with_a_long_name_can_open_incidents(
    client: TestClient, make_integration: Callable[..., str],
) -> None:
    key = make_integration("alertmanager", name="p" * 200)
    r = client.post("/api/v1/ingest/alertmanager", json=_hook([_hook_item()]),
                    headers={"Authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    assert r.json()["incidents_opened"] == ["INC-1"]


# --- size limit -----------------------------------------------------------------------

PATHS = ["/api/v2/alerts", "/api/v1/ingest/alertmanager", "/api/v1/ingest/grafana",
         "/api/v1/ingest/opsgenie", "/api/v1/ingest/generic", "/v2/enqueue",
         "/v2/change/enqueue"]


def test_body_over_the_default_limit_gets_413_on_every_endpoint(
    client: TestClient, keys: dict[str, str],
) -> None:
    limit = Settings().max_body_bytes
    assert limit == 1_048_576
    padding = b" " * (limit + 1 - len(b"[]"))
    for path in PATHS:
        r = _send(client, keys, path, b"[" + padding + b"]")
        assert r.status_code == 413, path
        assert str(limit) in r.json()["detail"]
        at_limit = _send(client, keys, path, b"[" + padding[:-1] + b"]")
        assert at_limit.status_code not in (413, 500), path


def test_streamed_body_without_length_over_the_limit_gets_413(
    make_client: Callable[..., TestClient], keys: dict[str, str],
) -> None:
    client = make_client(max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:
        yield b"["
        for _ in range(20):
            yield b" " * 100
        yield b"]"

    r = client.post("/api/v1/ingest/alertmanager", content=chunks(),
                    headers={"Authorization": f"Bearer {keys['alertmanager']}"})
    assert r.status_code == 413
