"""A real `warroom serve`: the HTTP flow, a crash, and the state still there after restart."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server, run_cli

pytestmark = pytest.mark.e2e


def test_state_survives_a_crash_and_restart(server: Server, server_env: dict[str, str],
                                            tmp_path: Path) -> None:
    created = run_cli("token", "create", "--name", "ops", "--role", "responder",
                      env=server_env, cwd=tmp_path)
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("wr_") and " " not in token
    headers = {"Authorization": f"Bearer {token}"}

    server.start()
    assert httpx.get(f"{server.url}/healthz").json()["status"] == "ok"
    api = f"{server.url}/api/v1"
    inc = httpx.post(f"{api}/incidents", headers=headers,
                     json={"title": "Login broken", "severity": "P2", "service": "auth"}).json()
    acked = httpx.post(f"{api}/incidents/{inc['id']}/acknowledge", headers=headers).json()
    assert acked["status"] == "acknowledged"

    server.kill()
    server.start()

    again = httpx.get(f"{api}/incidents/{inc['reference']}", headers=headers).json()
    assert again["status"] == "acknowledged"
    assert again["acknowledged_at"] == acked["acknowledged_at"]
    resolved = httpx.post(f"{api}/incidents/{inc['id']}/resolve", headers=headers,
                          json={"root_cause": "bad deploy"}).json()
    assert resolved["status"] == "resolved" and resolved["time_to_resolve_seconds"] > 0
    kinds = [e["kind"] for e in httpx.get(f"{api}/incidents/{inc['id']}/timeline",
                                          headers=headers).json()]
    assert kinds == ["incident.declared", "incident.acknowledged", "incident.resolved"]
    report = httpx.get(f"{api}/incidents/{inc['id']}/report", headers=headers).text
    assert "Time to acknowledge" in report and "bad deploy" in report


def test_first_start_prints_a_bootstrap_admin_token(server: Server) -> None:
    server.start()
    log = server.log.read_text()
    token = next(line.split("=", 1)[1] for line in log.splitlines() if "WARROOM_TOKEN=" in line)
    r = httpx.get(f"{server.url}/api/v1/tokens", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200 and r.json()[0]["role"] == "admin"
    login = next(line for line in log.splitlines() if "/login as " in line)
    email, password = login.split("/login as ", 1)[1].split(" / ")
    signed = httpx.post(f"{server.url}/api/v1/session",
                        json={"email": email.strip(), "password": password.strip()})
    assert signed.status_code == 200 and signed.json()["role"] == "admin"


def test_cli_works_against_a_server_with_url(server: Server, server_env: dict[str, str],
                                             tmp_path: Path) -> None:
    token = run_cli("token", "create", "--name", "cli", "--role", "responder",
                    env=server_env, cwd=tmp_path).stdout.strip().splitlines()[-1]
    server.start()
    remote = {**server_env, "WARROOM_URL": server.url, "WARROOM_TOKEN": token,
              "WARROOM_DATABASE_URL": "sqlite:///does-not-exist/never.db"}
    out = run_cli("incident", "create", "--title", "Remote", "--severity", "SEV1", "--json",
                  env=remote, cwd=tmp_path).stdout
    assert '"reference": "INC-1"' in out
    run_cli("incident", "ack", "INC-1", env=remote, cwd=tmp_path)
    shown = run_cli("incident", "show", "INC-1", env=remote, cwd=tmp_path).stdout
    assert "acknowledged" in shown and "Remote" in shown
    bad = run_cli("incident", "ack", "INC-1", env=remote, cwd=tmp_path, check=False)
    assert bad.returncode == 4 and "409" in bad.stderr
    viewer = run_cli("token", "create", "--name", "v", "--role", "viewer",
                     env=server_env, cwd=tmp_path).stdout.strip().splitlines()[-1]
    denied = run_cli("incident", "resolve", "INC-1", env={**remote, "WARROOM_TOKEN": viewer},
                     cwd=tmp_path, check=False)
    assert denied.returncode == 6 and "403" in denied.stderr
