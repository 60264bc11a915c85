"""/metrics: Prometheus text format that parses, and counters that move with traffic."""

from __future__ import annotations

from typing import Callable

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_counters_move_with_alert_traffic(
    client: TestClient, make_integration: Callable[..., str], auth_headers: dict[str, str],
) -> None:
    key = make_integration("alertmanager")
    before = scrape(client)
    assert ("warroom_alerts_received_total", (("format", "alertmanager"),)) not in before
    headers = {"Authorization": f"Bearer {key}"}
    body = [{"labels": {"alertname": "Disk", "i": str(i)}} for i in range(3)]
    client.post("/api/v2/alerts", json=body, headers=headers)
    client.post("/api/v2/alerts", json=body, headers=headers)
    client.post("/api/v2/alerts", json=[{"labels": {}}], headers=headers)
    after = scrape(client)
    fmt = (("format", "alertmanager"),)
    assert after[("warroom_alerts_received_total", fmt)] == 6
    assert after[("warroom_alerts_new_total", fmt)] == 3
    assert after[("warroom_alerts_deduplicated_total", fmt)] == 3
    assert after[("warroom_alerts_rejected_total", fmt)] == 1
    assert after[("warroom_incidents_opened_total", fmt)] == 1
    assert after[("warroom_incidents", (("severity", "SEV3"), ("status", "triggered")))] == 1
    assert after[("warroom_alerts", (("status", "firing"),))] == 3
    latency = [k for k in after if k[0] == "warroom_http_request_duration_seconds_count"
               and ("route", "/api/v2/alerts") in k[1]]
    assert latency and sum(after[k] for k in latency) == 3


def test_metrics_need_no_token_and_never_show_secrets(
    client: TestClient, make_integration: Callable[..., str],
) -> None:
    key = make_integration("pagerduty")
    text = client.get("/metrics").text
    assert key not in text and "warroom_incidents" in text
