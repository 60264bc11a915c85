"""Real traffic captured from Prometheus 2.42, Alertmanager 0.25, amtool and PagerDuty clients.

The files in ``captures/`` are copied verbatim from the reference capture run.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from warroom.alerts import AlertStatus, alertmanager_fingerprint
from warroom.alerts.formats import FormatError, require_format
from warroom.alerts.formats.alertmanager import alertmanager_error_text
from warroom.alerts.formats.pagerduty import (
    pagerduty_accept_body,
    pagerduty_change_accept_body,
    pagerduty_error_body,
)

CAPTURES = Path(__file__).parent / "captures"


def _jsonl(name: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (CAPTURES / name).read_text().splitlines() if line]


AM_TRAFFIC = _jsonl("am-traffic.jsonl")
PD_TRAFFIC = _jsonl("pd-traffic.jsonl")
AM_POSTS = [r for r in AM_TRAFFIC if r["method"] == "POST" and r["path"] == "/api/v2/alerts"]
WEBHOOKS = ["webhook-001.json", "webhook-002.json"]


def _at(record: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(record["t"], UTC)


def _captured_gettable_alerts() -> list[dict[str, Any]]:
    alerts: list[dict[str, Any]] = []
    for record in AM_TRAFFIC:
        if record["method"] != "GET" or not record["path"].startswith("/api/v2/alerts"):
            continue
        body = json.loads(record["resp_body"])
        if record["path"].startswith("/api/v2/alerts/groups"):
            alerts.extend(a for group in body for a in group["alerts"])
        else:
            alerts.extend(body)
    return alerts


def _fingerprint_cases() -> list[tuple[dict[str, str], str]]:
    cases = [(a["labels"], a["fingerprint"]) for a in _captured_gettable_alerts()]
    for name in WEBHOOKS:
        payload = json.loads((CAPTURES / name).read_text())
        cases.extend((a["labels"], a["fingerprint"]) for a in payload["alerts"])
    return cases


def test_fingerprints_equal_every_fingerprint_alertmanager_reported() -> None:
    cases = _fingerprint_cases()
    assert len(cases) == 303
    mismatches = [(fp, labels) for labels, fp in cases if alertmanager_fingerprint(labels) != fp]
    assert mismatches == []


@pytest.mark.parametrize(
    ("labels", "fingerprint"),
    [
        ({"alertname": "BenchFakeUp", "i": "42", "instance": "127.0.0.1:19191", "job": "fake",
          "severity": "warning"}, "621c1bce2e5258d7"),
        ({"alertname": "AmtoolTest", "severity": "info"}, "9220e3e589c4fc05"),
        ({"alertname": "BenchFakeUp", "i": "0", "instance": "127.0.0.1:19191", "job": "fake",
          "severity": "warning"}, "9ccc05b62c6c8995"),
        ({"alertname": "BenchFakeUp", "i": "10", "instance": "127.0.0.1:19191", "job": "fake",
          "severity": "warning"}, "e668148e1f2ea54c"),
    ],
)
def test_fingerprint_matches_captured_get_alerts_and_webhook_values(
    labels: dict[str, str], fingerprint: str
) -> None:
    assert alertmanager_fingerprint(labels) == fingerprint


@pytest.mark.parametrize("record", [r for r in AM_POSTS if r["status"] == 200], ids=lambda r: f"t={r['t']:.3f}")
def test_accepted_prometheus_and_amtool_posts_parse_without_errors(record: dict[str, Any]) -> None:
    body = json.loads(record["req_body"])
    result = require_format("alertmanager").parse(body, now=_at(record))
    assert result.errors == []
    assert len(result.alerts) == len(body)
    for alert, item in zip(result.alerts, body, strict=True):
        assert alert.raw is item
        assert alert.fingerprint == alertmanager_fingerprint(item["labels"])
        if item["endsAt"].startswith("0001-"):
            assert alert.ends_at is None and alert.status is AlertStatus.FIRING
        else:
            expected = AlertStatus.FIRING if alert.ends_at > _at(record) else AlertStatus.RESOLVED
            assert alert.status is expected


def test_capture_contains_resolved_and_firing_prometheus_batches() -> None:
    statuses = set()
    for record in AM_POSTS:
        if record["status"] == 200:
            result = require_format("alertmanager").parse(json.loads(record["req_body"]), now=_at(record))
            statuses.update(a.status for a in result.alerts)
    assert statuses == {AlertStatus.FIRING, AlertStatus.RESOLVED}


@pytest.mark.parametrize("record", [r for r in AM_POSTS if r["status"] == 400], ids=lambda r: r["req_body"][:40])
def test_rejected_posts_give_alertmanagers_exact_400_text(record: dict[str, Any]) -> None:
    result = require_format("alertmanager").parse(json.loads(record["req_body"]), now=_at(record))
    assert result.alerts == []
    assert alertmanager_error_text(result.errors) == json.loads(record["resp_body"])


@pytest.mark.parametrize("name", WEBHOOKS)
def test_alertmanager_webhooks_parse_completely(name: str) -> None:
    payload = json.loads((CAPTURES / name).read_text())
    result = require_format("alertmanager_webhook").parse(payload, now=datetime(2026, 11, 22, 22, tzinfo=UTC))
    assert result.errors == []
    assert [a.fingerprint for a in result.alerts] == [a["fingerprint"] for a in payload["alerts"]]
    assert [str(a.status) for a in result.alerts] == [a["status"] for a in payload["alerts"]]
    assert result.meta["groupKey"] == '{}:{alertname="BenchFakeUp"}'
    assert all(a.ends_at is None for a in result.alerts if a.status is AlertStatus.FIRING)


def test_webhook_resolution_changes_content_hash_but_not_fingerprint() -> None:
    now = datetime(2026, 11, 22, 22, tzinfo=UTC)
    fmt = require_format("alertmanager_webhook")
    first = {a.fingerprint: a for a in fmt.parse(json.loads((CAPTURES / WEBHOOKS[0]).read_text()), now=now).alerts}
    second = {a.fingerprint: a for a in fmt.parse(json.loads((CAPTURES / WEBHOOKS[1]).read_text()), now=now).alerts}
    assert first.keys() == second.keys()
    changed = {fp for fp in first if first[fp].content_hash != second[fp].content_hash}
    resolved = {fp for fp, a in second.items() if a.status is AlertStatus.RESOLVED}
    assert changed == resolved and len(resolved) == 10


@pytest.mark.parametrize("record", PD_TRAFFIC, ids=lambda r: f"{r['headers']['User-Agent'][:12]} {r['body'][:40]}")
def test_pagerduty_client_traffic_gets_the_captured_answer(record: dict[str, Any]) -> None:
    body = json.loads(record["body"])
    change = record["path"] == "/v2/change/enqueue"
    fmt = require_format("pagerduty")
    now = datetime(2026, 11, 22, 21, 42, tzinfo=UTC)
    if record["status"] == 400:
        with pytest.raises(FormatError) as info:
            fmt.parse(body, now=now, options={"change": change})
        assert pagerduty_error_body(info.value.messages) == record["response"]
        return
    result = fmt.parse(body, now=now, options={"change": change})
    assert result.meta["routing_key"] == body["routing_key"]
    if change:
        assert pagerduty_change_accept_body() == record["response"]
        assert [c.summary for c in result.change_events] == [body["payload"]["summary"]]
        return
    key = (result.alerts[0].dedup_key if result.alerts else result.actions[0].dedup_key)
    assert key is not None
    if "dedup_key" in body:
        assert pagerduty_accept_body(key) == record["response"]
    else:  # PagerDuty made up a key; ours has the same shape
        assert len(key) == len(record["response"]["dedup_key"]) == 32
