"""The CLI against a local database: tables for people, --json for scripts, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from warroom.cli import app

runner = CliRunner()


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_CONFIG"):
        monkeypatch.delenv(key, raising=False)
    return {"WARROOM_DATABASE_URL": database_url, "COLUMNS": "200", "NO_COLOR": "1"}


def invoke(env: dict[str, str], *args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, result.output
    return result.output


def test_incident_lifecycle_from_the_cli(env: dict[str, str]) -> None:
    created = json.loads(invoke(env, "incident", "create", "-t", "Queue backlog", "-s", "high",
                                "--service", "jobs", "--label", "team=platform", "--json"))
    assert created["reference"] == "INC-1" and created["severity"] == "SEV2"
    assert created["labels"] == {"team": "platform"}
    assert "INC-1" in invoke(env, "incident", "list")
    invoke(env, "incident", "ack", "INC-1", "-m", "on it")
    entry = json.loads(invoke(env, "incident", "note", "INC-1", "Scaled workers to 20",
                              "--type", "action", "--json"))
    assert entry["type"] == "action"
    resolved = json.loads(invoke(env, "incident", "resolve", "1", "--root-cause", "stuck consumer",
                                 "--json"))
    assert resolved["status"] == "resolved"
    report = invoke(env, "incident", "report", "INC-1")
    assert report.startswith("# INC-1: Queue backlog")
    assert "Scaled workers to 20" in report and "stuck consumer" in report
    listed = json.loads(invoke(env, "incident", "list", "--status", "resolved", "--json"))
    assert [i["reference"] for i in listed["items"]] == ["INC-1"]
    shown = invoke(env, "incident", "show", "INC-1")
    assert "stuck consumer" in shown and "on it" in shown


def test_cli_errors_have_exit_codes(env: dict[str, str]) -> None:
    invoke(env, "incident", "create", "-t", "x")
    invoke(env, "incident", "resolve", "INC-1")
    invoke(env, "incident", "ack", "INC-1", code=4)
    invoke(env, "incident", "show", "INC-9", code=3)
    invoke(env, "incident", "create", "-t", "x", "-s", "urgent", code=5)


def test_rich_markup_in_titles_is_shown_literally(env: dict[str, str]) -> None:
    invoke(env, "incident", "create", "-t", "[bold red]not markup[/]")
    assert "[bold red]not markup[/]" in invoke(env, "incident", "list")


def test_token_create_prints_token_alone_on_last_line(env: dict[str, str]) -> None:
    out = invoke(env, "token", "create", "--name", "deploy-bot", "--role", "viewer")
    last = out.strip().splitlines()[-1]
    assert last.startswith("wr_") and len(last) > 40
    listed = json.loads(invoke(env, "token", "list", "--json"))
    assert listed[0]["name"] == "deploy-bot" and last not in json.dumps(listed)
    invoke(env, "token", "create", "--name", "deploy-bot", code=4)


def test_classify_command(env: dict[str, str]) -> None:
    out = json.loads(invoke(env, "classify", "--error-rate", "60", "--affected-users", "80",
                            "--json"))
    assert out["severity"] == "SEV1" and out["update_every"] == "15m 0s"
    assert "SEV3" in invoke(env, "classify", "--affected-users", "6")


def test_config_check_reports_file_line_and_field(env: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "warroom.yaml"
    good.write_text("default_severity: P2\n")
    assert "default SEV2" in invoke(env, "config", "check", "--config", str(good))
    bad = tmp_path / "bad.yaml"
    bad.write_text("severities:\n  - name: SEV1\n    update_every: soon\n")
    result = runner.invoke(app, ["config", "check", "--config", str(bad)], env=env)
    assert result.exit_code == 2
    message = result.stderr
    assert "bad.yaml:3: severities.0.update_every: invalid duration 'soon'" in message


def test_help_lists_commands(env: dict[str, str]) -> None:
    out = invoke(env, "--help")
    for command in ("serve", "incident", "token", "config", "db", "classify"):
        assert command in out


def test_user_create(env: dict[str, str]) -> None:
    out = invoke(env, "user", "create", "ic@example.com", "--role", "admin",
                 "--password", "a long passphrase")
    assert "created admin user ic@example.com" in out
    invoke(env, "user", "create", "ic@example.com", "--password", "a long passphrase", code=4)
    invoke(env, "user", "create", "b@example.com", "--password", "short", code=5)
