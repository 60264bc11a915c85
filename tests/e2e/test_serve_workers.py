"""`warroom serve --workers 2`: two server processes on one port, one engine, one truth."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, run_cli
from tests.e2e.peers import wait_for
from warroom.alerts import writer as writer_module

pytestmark = pytest.mark.e2e

ENGINE_LINE = re.compile(r"this process runs the engine \(pid (\d+)\)")


@pytest.fixture
def workers(server_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    srv = Server(server_env, tmp_path, "--workers", "2")
    yield srv
    srv.stop()


def _key(env: dict[str, str], cwd: Path) -> str:
    made = run_cli("integration", "create", "--name", "prom", "--format", "alertmanager",
                   env=env, cwd=cwd)
    return made.stdout.strip().splitlines()[-1]


def _post(url: str, key: str, labels: dict[str, str]) -> int:
    # A new connection per request, so the kernel hands requests to both workers.
    with httpx.Client(headers={"Authorization": f"Bearer {key}"}) as client:
        return client.post(f"{url}/api/v2/alerts", json=[{"labels": labels}]).status_code


def _engine_pids(srv: Server) -> list[int]:
    return [int(pid) for pid in ENGINE_LINE.findall(srv.log.read_text())]


def _serving_pids(srv: Server) -> set[int]:
    text = srv.log.read_text()
    return {int(pid) for pid in re.findall(r"Started server process \[(\d+)\]", text)}


def test_workers_share_alerts_metrics_and_one_engine(workers: Server,
                                                     server_env: dict[str, str],
                                                     tmp_path: Path) -> None:
    key = _key(server_env, tmp_path)
    workers.start()
    wait_for("two workers", lambda: len(_serving_pids(workers)) == 2,
             on_timeout=workers.log.read_text)
    statuses = [_post(workers.url, key, {"alertname": f"Disk{i}", "severity": "warning"})
                for i in range(40)]
    assert statuses == [200] * 40

    with httpx.Client(headers={"Authorization": f"Bearer {key}"}) as client:
        listed = client.get(f"{workers.url}/api/v2/alerts").json()
    assert sorted(a["labels"]["alertname"] for a in listed) == sorted(f"Disk{i}"
                                                                      for i in range(40))
    # Each scrape is answered by one worker, and each shows the server's total.
    for _ in range(6):
        with httpx.Client() as client:
            text = client.get(f"{workers.url}/metrics").text
        assert 'warroom_alerts_received_total{format="alertmanager"} 40.0' in text, text[:2000]
    engine = wait_for("the engine to start", lambda: _engine_pids(workers) or None,
                      on_timeout=workers.log.read_text)
    assert len(engine) == 1 and engine[0] in _serving_pids(workers)


def test_the_engine_moves_to_another_worker_when_its_process_dies(
        workers: Server, server_env: dict[str, str], tmp_path: Path) -> None:
    key = _key(server_env, tmp_path)
    workers.start()
    first = wait_for("the engine to start", lambda: _engine_pids(workers) or None)[0]
    os.kill(first, signal.SIGKILL)
    moved = wait_for("another worker to take the engine",
                     lambda: [p for p in _engine_pids(workers) if p != first] or None,
                     on_timeout=workers.log.read_text)
    assert moved[0] != first and moved[0] in _serving_pids(workers)
    assert _post(workers.url, key, {"alertname": "StillServing"}) == 200
    # The supervisor starts a replacement, which drops the dead worker's live gauges:
    # the queue limit is summed over the two live workers only.
    wait_for("a replacement worker", lambda: len(_serving_pids(workers)) == 3,
             on_timeout=workers.log.read_text)
    limit = 2 * writer_module.MAX_QUEUED_ALERTS
    for _ in range(4):
        with httpx.Client() as client:
            text = client.get(f"{workers.url}/metrics").text
        assert f"warroom_ingest_queue_limit_alerts {float(limit)}" in text, text[:3000]


def test_a_silence_written_through_one_worker_applies_in_every_worker(
        workers: Server, server_env: dict[str, str], tmp_path: Path) -> None:
    """Each silence is followed at once by a matching alert on a new connection, so some
    land on the worker that did not write the silence: none of them opens an incident."""
    key = _key(server_env, tmp_path)
    workers.start()
    auth = {"Authorization": f"Bearer {key}"}
    for i in range(12):
        with httpx.Client(headers=auth) as client:
            made = client.post(f"{workers.url}/api/v2/silences", json={
                "matchers": [{"name": "alertname", "value": f"Quiet{i}", "isRegex": False}],
                "startsAt": "2020-01-01T00:00:00Z", "endsAt": "2099-01-01T00:00:00Z",
                "createdBy": "test", "comment": "maintenance"})
            assert made.status_code == 200, made.text
        assert _post(workers.url, key, {"alertname": f"Quiet{i}", "severity": "critical"}) == 200
    token = run_cli("token", "create", "--name", "t", "--role", "viewer",
                    env=server_env, cwd=tmp_path).stdout.strip().splitlines()[-1]
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as client:
        alerts = client.get(f"{workers.url}/api/v1/alerts", params={"limit": 100}).json()
        incidents = client.get(f"{workers.url}/api/v1/incidents").json()
    stored = alerts["items"] if isinstance(alerts, dict) else alerts
    assert len(stored) == 12
    assert all(a["suppressed"].get("silenced_by") for a in stored), stored
    assert (incidents["items"] if isinstance(incidents, dict) else incidents) == []
