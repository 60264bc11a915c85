"""The responder's main path over HTTP: declare, acknowledge, resolve, report, record."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import jsonschema
from fastapi.testclient import TestClient

from warroom.incidents.record import record_schema


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_declare_acknowledge_resolve_flow(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    inc = make_incident(title="Payments failing", severity="critical",
                        services=["payments", "checkout"], labels={"region": "eu-west-1"},
                        impact={"error_rate_pct": 42.5, "core_feature_affected": True})
    assert inc["reference"] == "INC-1" and inc["severity"] == "SEV1"
    assert inc["status"] == "triggered" and inc["acknowledged_at"] is None
    assert inc["services"] == ["checkout", "payments"]
    assert _ts(inc["triggered_at"]).utcoffset().total_seconds() == 0

    acked = client.post(f"/api/v1/incidents/{inc['id']}/acknowledge", headers=auth_headers,
                        json={"note": "looking"}).json()
    assert acked["status"] == "acknowledged"
    resolved = client.post(f"/api/v1/incidents/{inc['reference']}/resolve", headers=auth_headers,
                           json={"root_cause": "expired TLS certificate"}).json()
    assert resolved["status"] == "resolved" and resolved["root_cause"] == "expired TLS certificate"
    t0, t1, t2 = (_ts(resolved[k]) for k in ("triggered_at", "acknowledged_at", "resolved_at"))
    assert t0 <= t1 <= t2
    assert resolved["time_to_acknowledge_seconds"] == (t1 - t0).total_seconds()
    assert resolved["time_to_resolve_seconds"] == (t2 - t0).total_seconds()

    timeline = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=auth_headers).json()
    assert [e["kind"] for e in timeline] == [
        "incident.declared", "incident.acknowledged", "incident.resolved"]
    assert [e["type"] for e in timeline] == ["declaration", "status_change", "resolution"]
    assert {e["actor"] for e in timeline} == {"alice"}
    assert timeline[1]["details"] == {"from": "triggered", "to": "acknowledged",
                                      "action": "acknowledge", "note": "looking"}

    report = client.get(f"/api/v1/incidents/{inc['id']}/report", headers=auth_headers)
    assert report.headers["content-type"].startswith("text/markdown")
    assert "# INC-1: Payments failing" in report.text
    assert "**Time to acknowledge:**" in report.text and "expired TLS certificate" in report.text
    as_json = client.get(f"/api/v1/incidents/{inc['id']}/report",
                         headers={**auth_headers, "Accept": "application/json"}).json()
    assert as_json["time_to_resolve_seconds"] == resolved["time_to_resolve_seconds"]
    assert len(as_json["timeline"]) == 3

    record = client.get(f"/api/v1/incidents/{inc['id']}/record", headers=auth_headers).json()
    jsonschema.Draft202012Validator(
        record_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(record)
    assert record["severity"] == "P1" and record["status"] == "resolved"
    assert record["incidentId"] == inc["id"] and record["rootCause"] == "expired TLS certificate"
    assert record["affectedServices"] == ["checkout", "payments"]
    assert [a["automated"] for a in record["actionsTaken"]] == [False, False]


def test_record_is_valid_in_every_state(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    validator = jsonschema.Draft202012Validator(
        record_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    inc = make_incident(severity="SEV4", type="drift")
    expected = {"triggered": "open", "investigating": "investigating",
                "identified": "investigating", "mitigated": "mitigated",
                "resolved": "resolved", "closed": "closed"}
    for action, status in [(None, "triggered"), ("investigate", "investigating"),
                           ("identify", "identified"), ("mitigate", "mitigated"),
                           ("resolve", "resolved"), ("close", "closed")]:
        if action:
            r = client.post(f"/api/v1/incidents/{inc['id']}/{action}", headers=auth_headers)
            assert r.status_code == 200, r.text
        record = client.get(f"/api/v1/incidents/{inc['id']}/record", headers=auth_headers).json()
        validator.validate(record)
        assert record["status"] == expected[status]
        assert record["severity"] == "P4" and record["type"] == "drift"


def test_severity_classified_from_impact_when_not_given(
    make_incident: Callable[..., dict[str, Any]]
) -> None:
    body = {"title": "Slow search", "impact": {"affected_users_pct": 30}}
    inc = make_incident(**body, severity=None)
    assert inc["severity"] == "SEV2"


def test_default_severity_when_nothing_known(
    make_incident: Callable[..., dict[str, Any]]
) -> None:
    assert make_incident(severity=None)["severity"] == "SEV3"


def test_patch_changes_fields_and_records_them(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    inc = make_incident()
    r = client.patch(f"/api/v1/incidents/{inc['id']}", headers=auth_headers,
                     json={"severity": "P1", "title": "Checkout down", "services": ["checkout",
                           "cart"], "impact": {"affected_users_pct": 90}})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["severity"] == "SEV1" and body["title"] == "Checkout down"
    assert body["services"] == ["cart", "checkout"]
    assert body["impact"]["affected_users_pct"] == 90
    timeline = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=auth_headers).json()
    sev = next(e for e in timeline if e["type"] == "severity_change")
    assert sev["details"] == {"from": "SEV2", "to": "SEV1"}
    upd = next(e for e in timeline if e["kind"] == "incident.updated")
    assert set(upd["details"]["changes"]) == {"title", "services", "affected_users_pct"}


def test_roles_assign_replace_and_unassign(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    inc = make_incident()
    url = f"/api/v1/incidents/{inc['id']}/roles"
    client.post(url, headers=auth_headers, json={"role": "incident_commander", "person": "bob"})
    client.post(url, headers=auth_headers, json={"role": "sme", "person": "dba-dan"})
    client.post(url, headers=auth_headers, json={"role": "sme", "person": "net-nina"})
    body = client.post(url, headers=auth_headers,
                       json={"role": "incident_commander", "person": "carol"}).json()
    roles = {(r["role"], r["person"]) for r in body["roles"]}
    assert roles == {("incident_commander", "carol"), ("sme", "dba-dan"), ("sme", "net-nina")}
    assert body["assignee"] == "bob"  # first IC became the assignee; a hand-over keeps it
    body = client.delete(f"{url}/sme", headers=auth_headers, params={"person": "dba-dan"}).json()
    assert {(r["role"], r["person"]) for r in body["roles"]} == {
        ("incident_commander", "carol"), ("sme", "net-nina")}
    assert client.delete(f"{url}/scribe", headers=auth_headers).status_code == 404
    timeline = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=auth_headers).json()
    handover = [e for e in timeline if e["type"] == "role_change"][3]
    assert handover["summary"] == "carol is now Incident Commander (was bob)"


def test_notes_of_any_type_and_backdating(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    inc = make_incident()
    url = f"/api/v1/incidents/{inc['id']}/timeline"
    r = client.post(url, headers=auth_headers, json={
        "type": "decision", "summary": "Roll back to v41", "details": {"by": "IC"}})
    assert r.status_code == 201 and r.json()["type"] == "decision"
    r = client.post(url, headers=auth_headers, json={
        "type": "alert", "summary": "first 500s seen", "at": "2020-01-01T00:00:00Z"})
    assert r.status_code == 201
    entries = client.get(url, headers=auth_headers).json()
    assert entries[0]["summary"] == "first 500s seen"  # ordered by time, not insertion
    future = client.post(url, headers=auth_headers, json={
        "summary": "later", "at": "2999-01-01T00:00:00Z"})
    assert future.status_code == 422


def test_list_filters_and_pagination(
    client: TestClient, auth_headers: dict[str, str], make_incident: Callable[..., dict[str, Any]]
) -> None:
    a = make_incident(severity="SEV1", service="db")
    make_incident(severity="SEV3", service="web")
    c = make_incident(severity="P1", service="web")
    client.post(f"/api/v1/incidents/{c['id']}/resolve", headers=auth_headers)

    def refs(**params: Any) -> list[str]:
        r = client.get("/api/v1/incidents", headers=auth_headers, params=params)
        assert r.status_code == 200, r.text
        return [i["reference"] for i in r.json()["items"]]

    assert refs() == ["INC-3", "INC-2", "INC-1"]
    assert refs(severity="critical") == ["INC-3", "INC-1"]
    assert refs(service="web") == ["INC-3", "INC-2"]
    assert refs(status="resolved") == ["INC-3"]
    assert refs(open="true") == ["INC-2", "INC-1"]
    assert refs(limit=1, offset=1) == ["INC-2"]
    assert refs(since=a["created_at"]) == ["INC-3", "INC-2", "INC-1"]
    assert refs(until=a["created_at"]) == []
    page = client.get("/api/v1/incidents", headers=auth_headers, params={"limit": 2}).json()
    assert page["total"] == 3 and len(page["items"]) == 2


def test_classify_endpoint(client: TestClient, auth_headers: dict[str, str]) -> None:
    r = client.post("/api/v1/classify", headers=auth_headers, json={"data_loss": True})
    assert r.json()["severity"] == "SEV1" and r.json()["reason"] == "data loss"
    assert r.json()["update_every_seconds"] == 900
    r = client.post("/api/v1/classify", headers=auth_headers, json={"error_rate_pct": 2})
    assert r.json()["severity"] == "SEV3"
