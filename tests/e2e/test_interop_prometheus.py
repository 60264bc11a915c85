"""Real Prometheus 2.42 → warroom as its Alertmanager (`POST /api/v2/alerts`, bearer key)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.peers import ALERTMANAGER, PROMETHEUS, Alertmanager, Prometheus, Warroom, wait_for

pytestmark = pytest.mark.e2e

ALERTNAME = "WarroomInteropPrometheusUp"


def am_fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint (FNV-1a 64 over sorted `name 0xff value 0xff`), from scratch."""
    h = 0xCBF29CE484222325
    for name in sorted(labels):
        for byte in name.encode() + b"\xff" + labels[name].encode() + b"\xff":
            h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def notification_metrics(prom: Prometheus) -> dict[str, float]:
    """`prometheus_notifications_{sent,errors}_total` per Alertmanager URL."""
    text = httpx.get(f"{prom.url}/metrics", timeout=5).text
    found: dict[str, float] = {}
    for m in re.finditer(r'^(prometheus_notifications_(?:sent|errors)_total)\{alertmanager="([^"]+)"\}'
                         r" (\S+)$", text, re.M):
        found[f"{m[1]}:{m[2]}"] = float(m[3])
    return found


@pytest.fixture
def peers() -> Iterator[list[Prometheus | Alertmanager]]:
    started: list[Prometheus | Alertmanager] = []
    yield started
    for peer in reversed(started):
        peer.stop()


def test_prometheus_alert_opens_an_incident(server: Server, server_env: dict[str, str],
                                            tmp_path: Path,
                                            peers: list[Prometheus | Alertmanager]) -> None:
    if PROMETHEUS is None:
        pytest.skip("prometheus not installed (Debian package prometheus)")
    wr = Warroom(server, server_env, tmp_path)

    # A real Alertmanager (when installed) gets the same alerts, to compare fingerprints.
    real_am = None
    if ALERTMANAGER is not None:
        real_am = Alertmanager(tmp_path, webhook_url=None, receiver="nobody")
        peers.append(real_am)
        real_am.start()

    rule = {"alert": ALERTNAME, "expr": "vector(1)", "for": "0s",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "interop: Prometheus rule always firing"}}
    prom = Prometheus(tmp_path, rules=[rule], alertmanager=wr.url, credentials=wr.key,
                      also_notify=(real_am.url,) if real_am else ())
    peers.append(prom)
    prom.start()

    def diagnostics() -> str:
        return f"\nprometheus metrics: {notification_metrics(prom)}{prom.log_tail()}" \
               f"{wr.log_tail()}"

    incident = wait_for(f"an incident for {ALERTNAME}", lambda: wr.incident_titled(ALERTNAME),
                        timeout=25, on_timeout=diagnostics)
    assert incident["severity"] == "SEV1", incident
    assert incident["status"] in ("triggered", "acknowledged", "investigating"), incident

    labels = {"alertname": ALERTNAME, "severity": "critical"}
    alerts = wr.alerts(filter=f'alertname="{ALERTNAME}"')
    assert len(alerts) == 1, alerts
    alert = alerts[0]
    assert alert["labels"] == labels
    assert alert["annotations"] == {"summary": "interop: Prometheus rule always firing"}
    assert alert["fingerprint"] == am_fingerprint(labels)
    assert alert["generatorURL"].startswith(f"{prom.url}/graph?g0.expr=vector"), alert
    assert alert["status"]["state"] == "active"

    # Prometheus counted its POSTs to warroom as delivered, none as failed.
    wr_endpoint = f"{wr.url}/api/v2/alerts"

    def delivered() -> dict[str, float] | None:
        found = notification_metrics(prom)
        return found if found.get(f"prometheus_notifications_sent_total:{wr_endpoint}") \
            else None

    metrics = wait_for("Prometheus to count a sent notification", delivered, timeout=10,
                       on_timeout=diagnostics)
    assert metrics[f"prometheus_notifications_errors_total:{wr_endpoint}"] == 0, metrics

    if real_am is not None:  # same alert, same fingerprint as a real Alertmanager
        def am_alerts() -> list[dict[str, Any]]:
            return list(httpx.get(f"{real_am.url}/api/v2/alerts", timeout=5).json())

        theirs = wait_for("the real Alertmanager to hold the alert", am_alerts, timeout=10,
                          on_timeout=real_am.log_tail)
        assert [a["fingerprint"] for a in theirs] == [alert["fingerprint"]]
        assert theirs[0]["labels"] == alert["labels"]
