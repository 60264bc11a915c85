"""`warroom demo` against a freshly started server with the example configuration
(what `make run` starts): it finishes and leaves a resolved incident with a full timeline."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, run_cli

pytestmark = pytest.mark.e2e
EXAMPLE = Path(__file__).resolve().parents[2] / "src" / "warroom" / "config" / "example.yaml"


def test_demo_plays_the_whole_loop(server_env: dict[str, str], tmp_path: Path) -> None:
    env = {**server_env, "WARROOM_CONFIG": str(EXAMPLE)}
    token = run_cli("token", "create", "--name", "demo", "--role", "admin", env=env,
                    cwd=tmp_path).stdout.strip().splitlines()[-1]
    server = Server(env, tmp_path).start()
    try:
        demo = run_cli("demo", "--url", server.url, "--token", token, env=env, cwd=tmp_path,
                       timeout=120)
        assert "# INC-1: HighErrorRate" in demo.stdout and "Done." in demo.stdout
        headers = {"Authorization": f"Bearer {token}"}
        incident = httpx.get(f"{server.url}/api/v1/incidents/INC-1", headers=headers).json()
        assert incident["status"] == "resolved" and incident["severity"] == "SEV1"
        assert incident["root_cause"] and incident["services"] == ["checkout"]
        kinds = [e["kind"] for e in httpx.get(f"{server.url}/api/v1/incidents/INC-1/timeline",
                                              headers=headers).json()]
        for expected in ("incident.declared", "alert.attached", "escalation.level_notified",
                         "notification.delivered", "escalation.requested",
                         "incident.role_assigned", "incident.acknowledged", "note.added",
                         "alert.resolved", "incident.resolved"):
            assert expected in kinds, expected
        assert kinds.index("alert.resolved") < kinds.index("incident.resolved")
        log = server.log.read_text()
        assert "PAGE INC-1" in log  # the console channel printed the page
        entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        deliveries = [e for e in entries if "delivery_id" in e]
        assert deliveries and all(e["outcome"] == "delivered" for e in deliveries)
        assert all(token not in line for line in log.splitlines() if line.startswith("{"))
    finally:
        server.stop()


def test_gameday_pages_the_real_chain_marked_as_a_drill(server_env: dict[str, str],
                                                        tmp_path: Path) -> None:
    env = {**server_env, "WARROOM_CONFIG": str(EXAMPLE)}
    token = run_cli("token", "create", "--name", "gd", "--role", "responder", env=env,
                    cwd=tmp_path).stdout.strip().splitlines()[-1]
    server = Server(env, tmp_path).start()
    try:
        out = run_cli("gameday", "--service", "checkout", "--watch", "4", "--seed", "1",
                      "--url", server.url, "--token", token, env=env, cwd=tmp_path).stdout
        assert "policy checkout" in out and "page → " in out and "resolved (drill finished)" in out
        headers = {"Authorization": f"Bearer {token}"}
        inc = httpx.get(f"{server.url}/api/v1/incidents/INC-1", headers=headers).json()
        assert inc["drill"] is True and inc["title"].startswith("[DRILL] Game day:")
        assert inc["labels"]["drill"] == "true" and inc["status"] == "resolved"
        assert "PAGE INC-1" in server.log.read_text() and "[DRILL]" in server.log.read_text()
    finally:
        server.stop()
