"""warroom's own APIs around alerts: integrations (admin), stored alerts, silences."""

from __future__ import annotations

import re
from typing import Callable

from fastapi.testclient import TestClient


def _admin(client: TestClient, make_token: Callable[..., str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {make_token('admin')}"}


def test_integrations_are_admin_only_and_keys_shown_once(
    client: TestClient, make_token: Callable[..., str], auth_headers: dict[str, str]
) -> None:
    admin = _admin(client, make_token)
    assert client.post("/api/v1/integrations", headers=auth_headers,
                       json={"name": "p", "format": "alertmanager"}).status_code == 403
    created = client.post("/api/v1/integrations", headers=admin,
                          json={"name": "prom", "format": "alertmanager", "service": "api"})
    assert created.status_code == 201
    key = created.json()["key"]
    assert len(key) == 32
    listed = client.get("/api/v1/integrations", headers=admin).json()
    assert [i["name"] for i in listed] == ["prom"] and "key" not in listed[0]
    assert client.post("/api/v1/integrations", headers=admin,
                       json={"name": "prom", "format": "grafana"}).status_code == 409
    bad = client.post("/api/v1/integrations", headers=admin, json={"name": "x", "format": "nagios"})
    assert bad.status_code == 422

    sent = client.post("/api/v2/alerts", headers={"Authorization": f"Bearer {key}"},
                       json=[{"labels": {"alertname": "ApiDown", "severity": "critical"}}])
    assert sent.status_code == 200
    alerts = client.get("/api/v1/alerts", headers=auth_headers).json()
    assert alerts["total"] == 1
    alert = alerts["items"][0]
    assert alert["service"] == "api" and alert["status"] == "firing"
    assert re.fullmatch(r"[0-9a-f]{16}", alert["fingerprint"])
    incident = client.get(f"/api/v1/incidents/{alert['incident_id']}", headers=auth_headers)
    assert incident.json()["services"] == ["api"] and incident.json()["severity"] == "SEV1"
    attached = client.get(f"/api/v1/incidents/{alert['incident_id']}/alerts",
                          headers=auth_headers).json()
    assert [a["fingerprint"] for a in attached] == [alert["fingerprint"]]

    assert client.delete("/api/v1/integrations/prom", headers=admin).status_code == 200
    refused = client.post("/api/v2/alerts", headers={"Authorization": f"Bearer {key}"},
                          json=[{"labels": {"alertname": "ApiDown"}}])
    assert refused.status_code == 401


def test_silence_created_natively_is_served_by_the_alertmanager_api(
    client: TestClient, auth_headers: dict[str, str]
) -> None:
    r = client.post("/api/v1/silences", headers=auth_headers, json={
        "matchers": ['alertname="Noisy"', 'env=~"stag.*"'], "duration": "2h",
        "comment": "known flapping"})
    assert r.status_code == 201, r.text
    silence = r.json()
    assert silence["state"] == "active" and silence["created_by"] == "alice"
    am = client.get("/api/v2/silences", headers=auth_headers).json()
    assert [s["id"] for s in am] == [silence["id"]]
    assert am[0]["matchers"][1] == {"name": "env", "value": "stag.*", "isRegex": True,
                                    "isEqual": True}
    expired = client.delete(f"/api/v1/silences/{silence['id']}", headers=auth_headers).json()
    assert expired["state"] == "expired"
    assert client.get(f"/api/v2/silence/{silence['id']}",
                      headers=auth_headers).json()["status"]["state"] == "expired"
    assert client.delete(f"/api/v1/silences/{silence['id']}",
                         headers=auth_headers).status_code == 422
    assert client.get("/api/v1/silences/nope", headers=auth_headers).status_code == 404


def test_silence_input_errors_are_422(client: TestClient, auth_headers: dict[str, str]) -> None:
    for body in (
        {"matchers": ["alertname=~\"(\""], "duration": "1h", "comment": "x"},
        {"matchers": ["alertname=X"], "comment": "x"},
        {"matchers": ["alertname=X"], "duration": "soon", "comment": "x"},
        {"matchers": ["env=~\".*\""], "duration": "1h", "comment": "x"},
        {"matchers": [], "duration": "1h", "comment": "x"},
        {"matchers": ["alertname=X"], "ends_at": "2000-01-01T00:00:00Z", "comment": "x"},
    ):
        r = client.post("/api/v1/silences", headers=auth_headers, json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.json()["detail"]
    assert client.get("/api/v1/silences", headers=auth_headers).json() == []


def test_alert_list_filters(client: TestClient, make_token: Callable[..., str],
                            auth_headers: dict[str, str]) -> None:
    admin = _admin(client, make_token)
    key = client.post("/api/v1/integrations", headers=admin,
                      json={"name": "prom", "format": "alertmanager"}).json()["key"]
    client.post("/api/v1/silences", headers=auth_headers, json={
        "matchers": ["alertname=Quiet"], "duration": "1h", "comment": "c"})
    client.post("/api/v2/alerts", headers={"Authorization": f"Bearer {key}"}, json=[
        {"labels": {"alertname": "Loud", "job": "api"}},
        {"labels": {"alertname": "Quiet", "job": "db"}},
    ])
    def names(**params: object) -> list[str]:
        r = client.get("/api/v1/alerts", headers=auth_headers, params=params)
        assert r.status_code == 200, r.text
        return sorted(a["labels"]["alertname"] for a in r.json()["items"])
    assert names() == ["Loud", "Quiet"]
    assert names(suppressed=True) == ["Quiet"]
    assert names(suppressed=False) == ["Loud"]
    assert names(filter='{job="db"}') == ["Quiet"]
    assert names(status="resolved") == []
    assert client.get("/api/v1/alerts", headers=auth_headers,
                      params={"filter": "job=~\"(\""}).status_code == 422
    quiet = next(a for a in client.get("/api/v1/alerts", headers=auth_headers).json()["items"]
                 if a["labels"]["alertname"] == "Quiet")
    assert quiet["incident_id"] is None and "silenced_by" in quiet["suppressed"]
