"""CLI for alert sources, sending alerts, routing explanations and silences (local database)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.cli import app
from warroom.clock import utcnow
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.integrations import service as integrations

runner = CliRunner()

ROUTING = """
routing:
  group_by: [alertname]
  routes:
    - id: payments
      matchers: ['team="payments"']
      service: checkout
      severity: SEV2
      routes:
        - id: payments-db
          matchers: ['component=~"db|cache"']
          incident_type: drift
    - id: security
      matchers: ['category="security"']
      group_by: [alertname, host]
"""


@pytest.fixture
def env(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "warroom.yaml"
    config.write_text(ROUTING)
    return {"WARROOM_DATABASE_URL": database_url, "WARROOM_CONFIG": str(config),
            "COLUMNS": "200", "NO_COLOR": "1"}


def invoke(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (result.output, result.stderr)
    return result.output


def test_integration_create_prints_key_last_and_list_hides_it(env: dict[str, str]) -> None:
    out = invoke(env, "integration", "create", "--name", "prom", "--format", "alertmanager",
                 "--service", "checkout")
    key = out.strip().splitlines()[-1]
    assert len(key) == 32 and all(c in "0123456789abcdef" for c in key)
    listed = json.loads(invoke(env, "integration", "list", "--json"))
    assert listed == [{"name": "prom", "format": "alertmanager", "service": "checkout",
                       "key_prefix": key[:6], "declared_in": "api", "disabled": False}]
    invoke(env, "integration", "create", "--name", "x", "--format", "nagios", code=5)


def test_route_test_explains_the_path(env: dict[str, str]) -> None:
    result = json.loads(invoke(env, "route", "test", "alertname=DBSlow", "team=payments",
                               "component=db", "--json"))
    assert [r["route"] for r in result] == ["payments-db"]
    route = result[0]
    assert route["service"] == "checkout" and route["severity"] == "SEV2"
    assert route["incident_type"] == "drift"
    assert route["group_key"] == 'payments-db:{alertname="DBSlow"}'
    assert any("payments: matched" in line for line in route["why"])
    text = invoke(env, "route", "test", "alertname=X", "category=security", "host=h1")
    assert "route security" in text and "type security" in text and "SEV2" in text


def test_alert_send_correlates_and_silence_suppresses(env: dict[str, str]) -> None:
    first = json.loads(invoke(env, "alert", "send", "alertname=CartErrors", "team=payments",
                              "pod=a", "--json"))
    assert first["new"] == 1 and first["incidents_opened"] == ["INC-1"]
    second = json.loads(invoke(env, "alert", "send", "alertname=CartErrors", "team=payments",
                               "pod=b", "--json"))
    assert second["incidents_opened"] == [] and second["incidents_touched"] == ["INC-1"]
    repeat = json.loads(invoke(env, "alert", "send", "alertname=CartErrors", "team=payments",
                               "pod=b", "--json"))
    assert repeat["deduplicated"] == 1 and repeat["incidents_touched"] == []

    silence_id = invoke(env, "silence", "add", "alertname=Noisy", "-c", "flapping",
                        "-d", "1h").strip().splitlines()[-1]
    muted = json.loads(invoke(env, "alert", "send", "alertname=Noisy", "--json"))
    assert muted["suppressed"] == 1 and muted["incidents_touched"] == []
    listed = json.loads(invoke(env, "silence", "list", "--json"))
    assert listed[0]["id"] == silence_id and listed[0]["status"]["state"] == "active"
    invoke(env, "silence", "expire", silence_id)
    again = json.loads(invoke(env, "alert", "send", "alertname=Noisy", "--json"))
    assert again["suppressed"] == 0 and again["incidents_opened"] == ["INC-2"]

    incidents = json.loads(invoke(env, "incident", "list", "--json"))
    inc1 = next(i for i in incidents["items"] if i["reference"] == "INC-1")
    assert inc1["services"] == ["checkout"] and inc1["severity"] == "SEV2"

    resolved = json.loads(invoke(env, "alert", "send", "alertname=CartErrors", "team=payments",
                                 "pod=a", "--resolved", "--json"))
    assert resolved["resolved"] == 1
    assert json.loads(invoke(env, "incident", "show", "INC-1", "--json"))["status"] == "triggered"
    invoke(env, "alert", "send", "alertname=CartErrors", "team=payments", "pod=b", "--resolved")
    shown = json.loads(invoke(env, "incident", "show", "INC-1", "--json"))
    assert shown["status"] == "resolved"
    kinds = [e["kind"] for e in shown["timeline"]]
    assert kinds.count("alert.resolved") == 2 and kinds[-1] == "incident.resolved"


def test_silence_add_rejects_bad_input(env: dict[str, str]) -> None:
    invoke(env, "silence", "add", "alertname=X", "-d", "1h", code=5)  # no comment
    invoke(env, "silence", "add", 'alertname=~"("', "-c", "x", code=5)
    invoke(env, "silence", "add", "alertname=X", "-c", "x", "-d", "forever", code=5)
    invoke(env, "silence", "expire", "no-such-id", code=3)


def test_integrations_declared_in_config_take_their_key_from_the_environment(
    db: Database,
) -> None:
    cfg = parse_config("""
integrations:
  - {name: grafana-main, format: grafana, service: web, key_env: GRAFANA_KEY}
  - {name: pd-bridge, format: pagerduty, key_env: PD_KEY}
""")
    with db.transaction() as session:
        warnings = integrations.sync_declared(session, cfg.integrations,
                                              {"GRAFANA_KEY": "k" * 32}, utcnow())
    assert warnings == ["integration 'pd-bridge': $PD_KEY is not set; disabled"]
    with db.reading() as session:
        row = integrations.by_key(session, "k" * 32)
        assert row is not None and row.name == "grafana-main" and row.declared_in == "config"
        assert integrations.by_key(session, "x" * 32) is None
    with db.transaction() as session:  # rotating the variable rotates the key
        integrations.sync_declared(session, cfg.integrations[:1], {"GRAFANA_KEY": "n" * 32},
                                   utcnow())
    with db.reading() as session:
        assert integrations.by_key(session, "k" * 32) is None
        assert integrations.by_key(session, "n" * 32) is not None


def test_alert_send_starts_the_service_escalation(env: dict[str, str], tmp_path: Path,
                                                  database_url: str) -> None:
    config = tmp_path / "paging.yaml"
    config.write_text(ROUTING + """
people: [{id: alice, name: Alice, email: alice@example.com}]
channels: [{id: out, type: console}]
escalation_policies:
  - {id: pay, levels: [{delay: 0s, notify: ["person:alice"], via: [out]}]}
services: [{id: checkout, escalation_policy: pay}]
""")
    paging = {**env, "WARROOM_CONFIG": str(config)}
    opened = json.loads(invoke(paging, "alert", "send", "alertname=CartErrors", "team=payments",
                               "--json"))
    assert opened["incidents_opened"] == ["INC-1"]
    shown = json.loads(invoke(paging, "incident", "show", "INC-1", "--json"))
    assert "escalation.started" in [e["kind"] for e in shown["timeline"]]


def test_alert_held_lists_failed_posts_first_and_retry_sends_them_through_again(
        env: dict[str, str], db: Database) -> None:
    from warroom.alerts import intake

    key = invoke(env, "integration", "create", "--name", "prom", "--format",
                 "alertmanager").strip().splitlines()[-1]
    with db.reading() as session:
        integration = integrations.by_key(session, key)
        assert integration is not None
    waiting, broken = (intake.Intake(integration.id, "alertmanager", body)
                       for body in (b'[{"labels": {"alertname": "A"}}]', b"[{"))
    with db.transaction() as session:
        intake.journal(session, [waiting, broken], [1, 1], [utcnow(), utcnow()])
        intake.mark_failed(session, broken.id, ValueError("unexpected end of data"), utcnow())
    assert "no alert posts" not in invoke(env, "alert", "held")
    held = json.loads(invoke(env, "alert", "held", "--json"))
    assert [(h["id"], h["state"]) for h in held] == [(broken.id, "failed"),
                                                     (waiting.id, "waiting")]
    assert held[0]["error"] == "ValueError: unexpected end of data"

    invoke(env, "alert", "retry", code=5)  # says what to retry instead of guessing
    assert "1 failed" in invoke(env, "alert", "retry", "--all-failed")
    held = json.loads(invoke(env, "alert", "held", "--json"))
    assert {(h["id"], h["state"], h["error"]) for h in held} == {
        (broken.id, "waiting", None), (waiting.id, "waiting", None)}
    assert "0 failed" in invoke(env, "alert", "retry", str(waiting.id))  # not failed: untouched
