"""A real Prometheus scrapes warroom's /metrics: the exposition parses (the target is up)
and warroom's counters move with the alerts that same Prometheus sends it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.peers import PROMETHEUS, Prometheus, Warroom, wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(
    PROMETHEUS is None, reason="prometheus not installed (Debian package prometheus)")]


def test_prometheus_scrapes_metrics_and_counters_move(server: Server,
                                                      server_env: dict[str, str],
                                                      tmp_path: Path) -> None:
    wr = Warroom(server, server_env, tmp_path)
    prom = Prometheus(tmp_path, rules=[{"alert": "ScrapeCheck", "expr": "vector(1)",
                                        "for": "0s", "labels": {"severity": "warning"}}],
                      alertmanager=wr.url, credentials=wr.key)
    config = json.loads(prom.config.read_text())
    config["scrape_configs"] = [{"job_name": "warroom", "scrape_interval": "1s",
                                 "static_configs": [{"targets": [wr.url.removeprefix("http://")]}]}]
    prom.config.write_text(json.dumps(config))
    prom.start()
    try:
        def query(expr: str) -> list[dict[str, object]]:
            r = httpx.get(f"{prom.url}/api/v1/query", params={"query": expr}, timeout=5)
            return r.json()["data"]["result"] if r.status_code == 200 else []

        up = wait_for("Prometheus scrapes warroom", lambda: [
            s for s in query('up{job="warroom"}') if s["value"][1] == "1"] or None, timeout=30)
        assert up
        received = wait_for("warroom counts the alerts Prometheus sent", lambda: [
            s for s in query('warroom_alerts_received_total{format="alertmanager"}')
            if float(s["value"][1]) >= 1] or None, timeout=30)
        assert received
        incidents = wait_for("the incident gauge shows the open incident", lambda: [
            s for s in query('warroom_incidents{status="triggered"}')
            if float(s["value"][1]) >= 1] or None, timeout=30)
        assert incidents
    finally:
        prom.stop()
