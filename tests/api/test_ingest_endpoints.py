"""Every ingest endpoint end to end over HTTP: authenticate by integration key, store,
open / acknowledge / resolve incidents, and refuse the wrong key or format."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

CAPTURES = Path(__file__).parents[1] / "contract" / "captures"


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def basic(key: str) -> dict[str, str]:
    token = base64.b64encode(f"prometheus:{key}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def genie(key: str) -> dict[str, str]:
    return {"Authorization": f"GenieKey {key}"}


class Api:
    """Reads through the incident API as a responder."""

    def __init__(self, client: TestClient, headers: dict[str, str]) -> None:
        self.client, self.headers = client, headers

    def incidents(self, **params: Any) -> list[dict[str, Any]]:
        r = self.client.get("/api/v1/incidents", headers=self.headers, params=params)
        assert r.status_code == 200, r.text
        return sorted(r.json()["items"], key=lambda i: i["number"])

    def only_incident(self) -> dict[str, Any]:
        found = self.incidents()
        assert len(found) == 1, [i["title"] for i in found]
        return found[0]

    def timeline(self, incident: dict[str, Any]) -> list[dict[str, Any]]:
        r = self.client.get(f"/api/v1/incidents/{incident['id']}/timeline", headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def kinds(self, incident: dict[str, Any]) -> list[str]:
        return [e["kind"] for e in self.timeline(incident)]


@pytest.fixture
def api(client: TestClient, auth_headers: dict[str, str]) -> Api:
    return Api(client, auth_headers)


def webhook_body(*alerts: dict[str, Any], version: str = "4") -> dict[str, Any]:
    return {"receiver": "warroom", "status": "firing", "alerts": list(alerts),
            "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
            "externalURL": "http://am:9093", "version": version, "groupKey": "{}:{}",
            "truncatedAlerts": 0}


def webhook_alert(status: str, **labels: str) -> dict[str, Any]:
    return {"status": status, "labels": {"alertname": "ApiDown", **labels},
            "annotations": {"summary": "API is down"},
            "startsAt": "2026-11-22T21:55:23.073Z",
            "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else _rfc3339(
                datetime.now(UTC)),
            "generatorURL": "http://prom/graph", "fingerprint": "ignored"}


# --- Alertmanager API v2 --------------------------------------------------------------


@pytest.mark.parametrize("auth", [bearer, basic], ids=["bearer", "basic-auth"])
def test_alertmanager_api_v2_post_stores_alerts_and_opens_an_incident(
    client: TestClient, api: Api, make_integration: Callable[..., str],
    auth: Callable[[str], dict[str, str]],
) -> None:
    key = make_integration("alertmanager")
    ends = _rfc3339(datetime.now(UTC) + timedelta(minutes=4))
    body = [{"labels": {"alertname": "BenchFakeUp", "i": str(i), "severity": "critical"},
             "annotations": {"summary": f"fake series {i} is up"},
             "startsAt": "2026-01-01T00:00:00.000Z", "endsAt": ends,
             "generatorURL": "http://prom/graph"} for i in range(3)]
    r = client.post("/api/v2/alerts", json=body, headers=auth(key))
    assert r.status_code == 200 and r.content == b""
    incident = api.only_incident()
    assert incident["severity"] == "SEV1" and incident["source"] == "monitoring"
    assert incident["title"].startswith("BenchFakeUp")

    listed = client.get("/api/v2/alerts", headers=bearer(key))
    assert listed.status_code == 200
    assert sorted(a["labels"]["i"] for a in listed.json()) == ["0", "1", "2"]
    assert {a["status"]["state"] for a in listed.json()} == {"active"}

    resolved = [{**a, "endsAt": "2026-01-01T00:05:00.000Z"} for a in body]
    assert client.post("/api/v2/alerts", json=resolved, headers=auth(key)).status_code == 200
    assert api.only_incident()["status"] == "resolved"
    assert client.get("/api/v2/alerts", headers=bearer(key)).json() == []


def test_alertmanager_api_v2_accepts_amtool_zero_timestamps(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("alertmanager")
    body = [{"annotations": {"summary": "hello"}, "endsAt": "0001-01-01T00:00:00.000Z",
             "startsAt": "0001-01-01T00:00:00.000Z",
             "labels": {"alertname": "AmtoolTest", "severity": "info"}}]
    assert client.post("/api/v2/alerts", json=body, headers=bearer(key)).status_code == 200
    incident = api.only_incident()
    assert incident["severity"] == "SEV4" and incident["status"] == "triggered"
    (listed,) = client.get("/api/v2/alerts", headers=bearer(key)).json()
    assert listed["startsAt"].startswith(str(datetime.now(UTC).year))


# --- Alertmanager webhook v4 -----------------------------------------------------------


def test_alertmanager_webhook_firing_then_resolved_opens_then_resolves(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("alertmanager")
    firing = webhook_body(webhook_alert("firing", instance="a"),
                          webhook_alert("firing", instance="b"))
    r = client.post("/api/v1/ingest/alertmanager", json=firing, headers=bearer(key))
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 2 and r.json()["incidents_opened"] == ["INC-1"]
    assert r.json()["errors"] == []

    repeat = client.post("/api/v1/ingest/alertmanager", json=firing, headers=bearer(key)).json()
    assert repeat["deduplicated"] == 2 and repeat["incidents_opened"] == []

    half = webhook_body(webhook_alert("resolved", instance="a"),
                        webhook_alert("firing", instance="b"))
    r = client.post("/api/v1/ingest/alertmanager", json=half, headers=bearer(key))
    assert r.json()["resolved"] == 1 and api.only_incident()["status"] == "triggered"

    done = webhook_body(webhook_alert("resolved", instance="a"),
                        webhook_alert("resolved", instance="b"))
    r = client.post("/api/v1/ingest/alertmanager", json=done, headers=bearer(key))
    assert r.status_code == 200 and r.json()["incidents_touched"] == ["INC-1"]
    incident = api.only_incident()
    assert incident["status"] == "resolved"
    kinds = api.kinds(incident)
    assert kinds.count("alert.resolved") == 2 and kinds[-1] in ("incident.resolved",
                                                                 "alert.resolved")
    entries = [e for e in api.timeline(incident) if e["kind"].startswith("alert.")]
    assert {(e["type"], e["source"]) for e in entries} == {("alert", "monitoring")}


def test_alertmanager_webhook_takes_a_captured_150_alert_notification(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("alertmanager")
    body = (CAPTURES / "webhook-001.json").read_bytes()
    r = client.post("/api/v1/ingest/alertmanager", content=body,
                    headers={**bearer(key), "Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    sent = len(json.loads(body)["alerts"])
    assert r.json()["received"] == sent and r.json()["new"] == sent
    incident = api.only_incident()
    attached = [e for e in api.timeline(incident) if e["kind"] == "alert.attached"]
    assert sum(e["details"]["count"] for e in attached) == sent


# --- Grafana ---------------------------------------------------------------------------


def test_grafana_notification_opens_an_incident_keyed_by_its_fingerprint(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("grafana")
    alert = {"status": "firing",
             "labels": {"alertname": "High memory usage", "team": "blue", "severity": "high"},
             "annotations": {"summary": "This alert was triggered for zone us-1"},
             "startsAt": "2021-10-12T09:51:03.157076+02:00", "endsAt": "0001-01-01T00:00:00Z",
             "generatorURL": "https://grafana/alerting/1/edit", "fingerprint": "c6eadffa33fcdf37",
             "values": {"B": 44.2, "C": 1}}
    body = {**webhook_body(alert, version="1"), "orgId": 1, "title": "[FIRING:1]",
            "state": "alerting", "message": "**Firing**"}
    r = client.post("/api/v1/ingest/grafana", json=body, headers=bearer(key))
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 1
    incident = api.only_incident()
    assert incident["severity"] == "SEV2"
    # Grafana re-evaluates and sends new values: not a change of the alert.
    alert["values"] = {"B": 51.0, "C": 1}
    again = client.post("/api/v1/ingest/grafana", json=body, headers=bearer(key)).json()
    assert again["deduplicated"] == 1 and again["updated"] == 0
    listed = client.get("/api/v2/alerts", headers=bearer(make_integration("alertmanager")))
    assert [a["fingerprint"] for a in listed.json()] == ["c6eadffa33fcdf37"]


# --- Opsgenie --------------------------------------------------------------------------


def test_opsgenie_create_then_close_by_alias_resolves_the_incident(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("opsgenie")
    body = {"message": "Disk full on db1", "alias": "db1-disk", "priority": "P1",
            "description": "95% used", "tags": ["disk", "db"], "details": {"host": "db1"},
            "entity": "db1", "source": "nagios"}
    r = client.post("/api/v1/ingest/opsgenie", json=body, headers=genie(key))
    assert r.status_code == 202, r.text
    assert r.json()["result"] == "Request will be processed" and r.json()["requestId"]
    again = client.post("/api/v1/ingest/opsgenie", json=body, headers=genie(key))
    assert again.status_code == 202
    incident = api.only_incident()
    assert incident["severity"] == "SEV1" and incident["title"] == "Disk full on db1"

    ack = client.post("/api/v1/ingest/opsgenie/alerts/db1-disk/acknowledge",
                      json={"user": "ops", "note": "on it"}, headers=genie(key))
    assert ack.status_code == 202
    assert api.only_incident()["status"] == "acknowledged"

    close = client.post("/api/v1/ingest/opsgenie/alerts/db1-disk/close", headers=genie(key))
    assert close.status_code == 202, close.text
    assert api.only_incident()["status"] == "resolved"


def test_opsgenie_close_of_an_unknown_alias_changes_nothing(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("opsgenie")
    client.post("/api/v1/ingest/opsgenie", json={"message": "m", "alias": "a1"},
                headers=genie(key))
    r = client.post("/api/v1/ingest/opsgenie/alerts/other/close", json={}, headers=genie(key))
    assert r.status_code == 202
    assert api.only_incident()["status"] == "triggered"


# --- generic ---------------------------------------------------------------------------

MAPPING = {"mapping": {
    "items": "events", "title": "name", "severity": "level", "dedup_key": "id",
    "status": {"path": "state", "values": {"ok": "resolved", "alerting": "firing"}},
    "labels": {"host": "host", "alertname": "name"}, "static_labels": {"source": "uptime"},
}}


def test_generic_webhook_is_mapped_by_the_integration_options(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("generic", options=MAPPING)
    body = {"events": [
        {"id": "chk-1", "name": "HTTP check", "level": "critical", "state": "alerting",
         "host": "web1"},
        {"id": "chk-2", "name": "TLS check", "level": "warning", "state": "alerting",
         "host": "web1"},
    ]}
    r = client.post("/api/v1/ingest/generic", json=body, headers=bearer(key))
    assert r.status_code == 200, r.text
    assert r.json()["new"] == 2 and len(r.json()["incidents_opened"]) == 2
    by_title = {i["title"]: i for i in api.incidents()}
    assert by_title["HTTP check"]["severity"] == "SEV1"
    assert by_title["TLS check"]["severity"] == "SEV3"

    body["events"][0]["state"] = "ok"
    r = client.post("/api/v1/ingest/generic", json=body, headers=bearer(key))
    assert r.json()["resolved"] == 1
    by_title = {i["title"]: i for i in api.incidents()}
    assert by_title["HTTP check"]["status"] == "resolved"
    assert by_title["TLS check"]["status"] == "triggered"


# --- PagerDuty Events API v2 -----------------------------------------------------------


def pd_trigger(key: str, dedup_key: str | None = "srv01/mysql",
               severity: str = "critical") -> dict[str, Any]:
    body: dict[str, Any] = {
        "routing_key": key, "event_action": "trigger",
        "payload": {"summary": "DISK at 99% on prod-datapipe03", "source": "prod-datapipe03",
                    "severity": severity, "timestamp": "2015-07-17T08:42:58.315+0000",
                    "component": "mysql", "custom_details": {"free space": "1%"}},
        "links": [{"href": "https://example.com/runbook", "text": "Runbook"}],
        "client": "Sample Monitoring Service"}
    if dedup_key is not None:
        body["dedup_key"] = dedup_key
    return body


def test_pagerduty_trigger_ack_resolve_follow_the_dedup_key(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("pagerduty", service="datapipe")
    r = client.post("/v2/enqueue", json=pd_trigger(key))
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "success", "message": "Event processed",
                        "dedup_key": "srv01/mysql"}
    assert client.post("/v2/enqueue", json=pd_trigger(key)).status_code == 202
    incident = api.only_incident()
    assert incident["severity"] == "SEV1" and incident["services"] == ["datapipe"]

    ack = client.post("/v2/enqueue", json={"routing_key": key, "dedup_key": "srv01/mysql",
                                           "event_action": "acknowledge"})
    assert ack.status_code == 202 and ack.json()["dedup_key"] == "srv01/mysql"
    assert api.only_incident()["status"] == "acknowledged"

    res = client.post("/v2/enqueue", json={"routing_key": key, "dedup_key": "srv01/mysql",
                                           "event_action": "resolve"})
    assert res.status_code == 202 and res.json()["dedup_key"] == "srv01/mysql"
    incident = api.only_incident()
    assert incident["status"] == "resolved"
    assert "alert.resolved" in api.kinds(incident)

    # After resolve, events for the key are dropped and a new trigger opens a new alert.
    late_ack = client.post("/v2/enqueue", json={"routing_key": key, "dedup_key": "srv01/mysql",
                                                "event_action": "acknowledge"})
    assert late_ack.status_code == 202 and api.only_incident()["status"] == "resolved"
    client.post("/v2/enqueue", json=pd_trigger(key))
    assert [i["status"] for i in api.incidents()] == ["resolved", "triggered"]


def test_pagerduty_trigger_without_dedup_key_gets_a_generated_one(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("pagerduty")
    first = client.post("/v2/enqueue", json=pd_trigger(key, dedup_key=None)).json()["dedup_key"]
    second = client.post("/v2/enqueue", json=pd_trigger(key, dedup_key=None)).json()["dedup_key"]
    assert first and second and first != second
    # Each generated key is its own alert, and an alert without any group_by label is its
    # own group: two unrelated PagerDuty events never share an incident.
    assert len(api.incidents()) == 2
    res = client.post("/v2/enqueue", json={"routing_key": key, "dedup_key": first,
                                           "event_action": "resolve"})
    assert res.status_code == 202
    statuses = sorted(i["status"] for i in api.incidents())
    assert statuses == ["resolved", "triggered"]  # only the resolved key's incident moved


def test_pagerduty_dedup_keys_are_scoped_to_their_routing_key(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    one, two = make_integration("pagerduty"), make_integration("pagerduty")
    client.post("/v2/enqueue", json=pd_trigger(one))
    client.post("/v2/enqueue", json=pd_trigger(two))
    r = client.post("/v2/enqueue", json={"routing_key": two, "dedup_key": "srv01/mysql",
                                         "event_action": "resolve"})
    assert r.status_code == 202
    listed = client.get("/api/v2/alerts", headers=bearer(make_integration("alertmanager")))
    assert len(listed.json()) == 1  # only the first integration's alert still fires


def test_pagerduty_change_event_lands_on_open_incidents_of_the_service(
    client: TestClient, api: Api, make_integration: Callable[..., str],
    make_incident: Callable[..., dict[str, Any]], auth_headers: dict[str, str],
) -> None:
    key = make_integration("pagerduty", service="checkout")
    client.post("/v2/enqueue", json=pd_trigger(key))
    by_hand = make_incident(service="checkout")
    other = make_incident(service="search")
    closed = make_incident(service="checkout", title="old")
    client.post(f"/api/v1/incidents/{closed['id']}/resolve", headers=auth_headers)

    change = {"routing_key": key, "payload": {
        "summary": "Build Success: Increase snapshot create timeout",
        "timestamp": "2020-07-17T08:42:58.315+0000", "source": "acme-build",
        "custom_details": {"build_number": "2"}},
        "links": [{"href": "https://acme.dev/build/2", "text": "View"}]}
    r = client.post("/v2/change/enqueue", json=change)
    assert r.status_code == 202, r.text
    assert r.json() == {"status": "success", "message": "Change event processed"}
    got = {i["id"]: [e for e in api.timeline(i) if e["kind"] == "change.recorded"]
           for i in api.incidents()}
    pd_incident = next(i for i in api.incidents() if i["id"] not in
                       (by_hand["id"], other["id"], closed["id"]))
    assert len(got[pd_incident["id"]]) == 1 and len(got[by_hand["id"]]) == 1
    assert got[other["id"]] == [] and got[closed["id"]] == []
    entry = got[by_hand["id"]][0]
    assert entry["summary"] == "Change: Build Success: Increase snapshot create timeout"
    assert entry["details"]["custom_details"] == {"build_number": "2"}
    assert entry["source"] == "external"


# --- authentication and format checks -------------------------------------------------

ENDPOINTS = [
    ("/api/v2/alerts", "alertmanager", [{"labels": {"alertname": "A"}}]),
    ("/api/v1/ingest/alertmanager", "alertmanager", webhook_body(webhook_alert("firing"))),
    ("/api/v1/ingest/grafana", "grafana", {**webhook_body(webhook_alert("firing"), version="1"),
                                           "orgId": 1}),
    ("/api/v1/ingest/opsgenie", "opsgenie", {"message": "m"}),
    ("/api/v1/ingest/generic", "generic", {"events": [{"name": "n"}]}),
]


@pytest.mark.parametrize(("path", "fmt", "body"), ENDPOINTS, ids=[e[1] + e[0] for e in ENDPOINTS])
def test_missing_or_wrong_key_is_401_and_stores_nothing(
    client: TestClient, api: Api, make_integration: Callable[..., str],
    path: str, fmt: str, body: Any,
) -> None:
    make_integration(fmt, options=MAPPING if fmt == "generic" else None)
    for headers in [{}, bearer("0" * 32), {"Authorization": "Basic !!"}, genie("nope"),
                    {"Authorization": "Token abc"}]:
        r = client.post(path, json=body, headers=headers)
        assert r.status_code == 401, (headers, r.text)
        assert "key" in r.text
    assert api.incidents() == []


@pytest.mark.parametrize("path", ["/v2/enqueue", "/v2/change/enqueue"])
def test_pagerduty_unknown_routing_key_is_refused_pagerduty_style(
    client: TestClient, api: Api, make_integration: Callable[..., str], path: str,
) -> None:
    make_integration("pagerduty")
    body = pd_trigger("f" * 32)
    r = client.post(path, json=body)
    assert r.status_code == 400
    assert r.json()["status"] == "invalid event" and "routing key" in r.json()["errors"][0]
    assert api.incidents() == []


@pytest.mark.parametrize(("path", "fmt", "body"), ENDPOINTS, ids=[e[1] + e[0] for e in ENDPOINTS])
def test_an_integration_of_another_format_is_refused(
    client: TestClient, api: Api, make_integration: Callable[..., str],
    path: str, fmt: str, body: Any,
) -> None:
    wrong = "pagerduty" if fmt != "pagerduty" else "grafana"
    key = make_integration(wrong)
    headers = genie(key) if fmt == "opsgenie" else bearer(key)
    r = client.post(path, json=body, headers=headers)
    assert 400 <= r.status_code < 500 and r.status_code != 401, r.text
    assert "pagerduty" in r.text and fmt in r.text
    assert api.incidents() == []


def test_pagerduty_endpoint_refuses_a_key_of_another_format(
    client: TestClient, api: Api, make_integration: Callable[..., str],
) -> None:
    key = make_integration("alertmanager")
    r = client.post("/v2/enqueue", json=pd_trigger(key))
    assert r.status_code == 400 and "pagerduty" in r.json()["errors"][0]
    assert api.incidents() == []


def test_a_disabled_integration_key_is_refused(
    client: TestClient, db: Any, make_integration: Callable[..., str],
) -> None:
    from warroom.integrations.models import Integration

    key = make_integration("alertmanager", name="old-prom")
    with db.transaction() as session:
        row = session.query(Integration).filter_by(name="old-prom").one()
        row.disabled_at = datetime.now(UTC)
    r = client.post("/api/v2/alerts", json=[{"labels": {"alertname": "A"}}], headers=bearer(key))
    assert r.status_code == 401
