"""The access log of a real `warroom serve`: refused alert posts and every other request
get one line each, as uvicorn writes them; accepted alert posts none (they are counted
in /metrics instead)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, run_cli

pytestmark = pytest.mark.e2e

ALERT = [{"labels": {"alertname": "DiskFull", "severity": "warning"}}]


@pytest.mark.parametrize("workers", ["1", "2"])
def test_the_served_access_log_has_one_line_per_request_but_accepted_alert_posts(
        server_env: dict[str, str], tmp_path: Path, workers: str) -> None:
    made = run_cli("integration", "create", "--name", "prom", "--format", "alertmanager",
                   env=server_env, cwd=tmp_path)
    key = made.stdout.strip().splitlines()[-1].strip()
    server = Server(server_env, tmp_path, "--workers", workers).start()
    try:
        posts = f"{server.url}/api/v2/alerts"
        accepted = httpx.post(posts, json=ALERT, headers={"Authorization": f"Bearer {key}"})
        refused = httpx.post(f"{posts}?from=prom", json=ALERT,
                             headers={"Authorization": "Bearer not-a-key"})
        health = httpx.get(f"{server.url}/-/healthy")
        assert (accepted.status_code, refused.status_code, health.status_code) == \
            (200, 401, 200)
    finally:
        server.stop()
    lines = [entry["msg"] for entry in map(json.loads, _json_lines(server.log.read_text()))
             if entry["logger"] == "uvicorn.access"]
    requests = [line.split(" - ", 1)[1] for line in lines]
    assert requests.count('"POST /api/v2/alerts?from=prom HTTP/1.1" 401') == 1, lines
    assert requests.count('"GET /-/healthy HTTP/1.1" 200') == 1, lines
    assert not [r for r in requests if r.startswith('"POST /api/v2/alerts HTTP')], lines


def _json_lines(text: str) -> list[str]:
    """The server's log records (it writes JSON when stderr is not a terminal), without
    the first-start notices printed before logging is set up."""
    return [line for line in text.splitlines() if line.startswith("{")]
