"""`warroom oncall ...` from the local configuration (and once against a server via --url)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import icalendar
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from warroom.api.app import create_app
from warroom.cli import app
from warroom.cli import oncall as oncall_cli
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.oncall.routes import router
from warroom.settings import Settings

runner = CliRunner()

ONCALL = """
people:
  - id: alice
    name: Alice Example
    timezone: Europe/Berlin
    notification_rules: [{severity: SEV1, channel: sms}]
  - {id: bob, name: Bob}
  - {id: carol, name: Carol}
schedules:
  - id: primary
    name: Payments primary
    timezone: Europe/Berlin
    rotation:
      type: weekly
      handoff: "monday 09:00"
      start: "2026-01-05T09:00"
      members: [alice, bob, carol]
    overrides:
      - {person: carol, start: "2026-02-03T12:00", end: "2026-02-04T12:00"}
  - id: daily
    timezone: Europe/Berlin
    rotation:
      type: daily
      handoff: "09:00"
      start: "2026-03-27T09:00"
      members: [alice, bob]
"""


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    for key in ("WARROOM_URL", "WARROOM_TOKEN", "WARROOM_CONFIG", "WARROOM_DATABASE_URL"):
        monkeypatch.delenv(key, raising=False)
    config = tmp_path / "warroom.yaml"
    config.write_text(ONCALL)
    return {"WARROOM_CONFIG": str(config), "COLUMNS": "250", "NO_COLOR": "1"}


def run(env: dict[str, str], *args: str, code: int = 0) -> Result:
    result = runner.invoke(app, ["oncall", *args], env=env)
    assert result.exit_code == code, (result.output, result.stderr)
    return result


def invoke(env: dict[str, str], *args: str, code: int = 0) -> str:
    return run(env, *args, code=code).output


def test_at_accepts_rfc3339_or_local_time_in_a_zone(env: dict[str, str]) -> None:
    utc = json.loads(invoke(env, "at", "2026-02-03T12:00:00Z", "--json"))
    local = json.loads(invoke(env, "at", "2026-02-03 13:00", "--tz", "Europe/Berlin", "--json"))
    assert utc == local
    assert utc["at"] == "2026-02-03T12:00:00Z"
    primary = utc["schedules"][0]
    assert (primary["schedule"], primary["on_call"], primary["shift"]["layer"]) == (
        "primary", ["carol"], "override")
    naive_utc = json.loads(invoke(env, "at", "2026-02-03 10:00", "--schedule", "primary",
                                  "--json"))
    assert naive_utc["at"] == "2026-02-03T10:00:00Z"
    assert [s["on_call"] for s in naive_utc["schedules"]] == [["bob"]]


def test_at_table_shows_schedule_zone_and_utc(env: dict[str, str]) -> None:
    out = invoke(env, "at", "2026-02-03T10:00:00Z", "--schedule", "primary")
    assert "bob" in out and "Payments primary" in out
    assert "Mon 2026-02-02 09:00 CET" in out and "2026-02-02 08:00Z" in out
    assert "Tue 2026-02-03 12:00 CET" in out and "2026-02-03 11:00Z" in out


def test_now_agrees_with_at_the_same_instant(env: dict[str, str]) -> None:
    before = datetime.now(UTC)
    now = json.loads(invoke(env, "now", "--json"))
    after = datetime.now(UTC)
    at = datetime.fromisoformat(now["at"].replace("Z", "+00:00"))
    assert before <= at <= after
    assert json.loads(invoke(env, "at", now["at"], "--json")) == now
    assert [s["schedule"] for s in now["schedules"]] == ["primary", "daily"]
    assert "primary" in invoke(env, "now")


def test_shifts_across_spring_forward_keep_the_0900_handoff(env: dict[str, str]) -> None:
    page = json.loads(invoke(env, "shifts", "daily", "--from", "2026-03-27T00:00:00Z",
                             "--days", "4", "--json"))
    assert (page["start"], page["end"]) == ("2026-03-27T00:00:00Z", "2026-03-31T00:00:00Z")
    assert [(s["person"], s["start"], s["end"]) for s in page["shifts"][1:]] == [
        ("alice", "2026-03-27T08:00:00Z", "2026-03-28T08:00:00Z"),
        ("bob", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"),
        ("alice", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"),
        ("bob", "2026-03-30T07:00:00Z", "2026-03-31T00:00:00Z"),
    ]
    table = invoke(env, "shifts", "daily", "--from", "2026-03-27 00:00", "--tz", "UTC",
                   "--days", "4")
    assert "Sat 2026-03-28 09:00 CET" in table and "2026-03-28 08:00Z" in table
    assert "Sun 2026-03-29 09:00 CEST" in table and "2026-03-29 07:00Z" in table
    assert "23h" in table  # the short day


def test_shifts_for_one_person(env: dict[str, str]) -> None:
    page = json.loads(invoke(env, "shifts", "primary", "--person", "carol", "--from",
                             "2026-02-02 00:00", "--tz", "Europe/Berlin", "--days", "8",
                             "--json"))
    assert page["person"] == "carol"
    assert [(s["layer"], s["start"], s["end"]) for s in page["shifts"]] == [
        ("override", "2026-02-03T11:00:00Z", "2026-02-04T11:00:00Z"),
        ("default", "2026-02-09T08:00:00Z", "2026-02-09T23:00:00Z"),
    ]


def test_errors_have_exit_codes(env: dict[str, str]) -> None:
    invoke(env, "shifts", "nope", code=3)
    invoke(env, "shifts", "primary", "--person", "zed", code=3)
    invoke(env, "at", "whenever", code=5)
    invoke(env, "at", "2026-02-03 10:00", "--tz", "Mars/Olympus", code=5)
    invoke(env, "now", "--schedule", "nope", code=3)
    invoke(env, "shifts", "primary", "--days", "91", code=2)  # usage error
    invoke(env, "ical", code=5)
    invoke(env, "ical", "primary", "--person", "bob", code=5)
    invoke(env, "ical", "--person", "zed", code=3)


def test_ical_to_a_file_and_to_stdout(env: dict[str, str], tmp_path: Path) -> None:
    target = tmp_path / "primary.ics"
    invoke(env, "ical", "primary", "--at", "2026-02-03T12:00:00Z", "--past-days", "0",
           "--days", "7", "-o", str(target))
    cal = icalendar.Calendar.from_ical(target.read_bytes())
    spans = [(str(e["SUMMARY"]).split()[0], e.decoded("DTSTART")) for e in cal.walk("VEVENT")]
    assert spans == [  # overlapping [Feb 3 12:00Z, Feb 10 12:00Z), exported whole
        ("carol", datetime(2026, 2, 3, 11, tzinfo=UTC)),
        ("bob", datetime(2026, 2, 4, 11, tzinfo=UTC)),
        ("carol", datetime(2026, 2, 9, 8, tzinfo=UTC)),
    ]
    stdout = run(env, "ical", "primary", "--at", "2026-02-03T12:00:00Z", "--past-days", "0",
                 "--days", "7").stdout_bytes
    assert stdout == target.read_bytes() and b"\r\n" in stdout

    mine = icalendar.Calendar.from_ical(invoke(env, "ical", "--person", "alice", "--at",
                                               "2026-03-28 12:00", "--tz", "Europe/Berlin",
                                               "--past-days", "1", "--days", "1"))
    assert [e.decoded("DTSTART") for e in mine.walk("VEVENT")] == [
        datetime(2026, 3, 27, 8, tzinfo=UTC), datetime(2026, 3, 29, 7, tzinfo=UTC)]


def test_url_and_token_ask_the_server(
    env: dict[str, str], monkeypatch: pytest.MonkeyPatch, settings: Settings, db: Database,
    make_token: Callable[..., str],
) -> None:
    server = create_app(settings, config=parse_config(ONCALL), db=db)
    if not any(getattr(r, "path", None) == "/api/v1/oncall" for r in server.routes):
        server.include_router(router)
    token = make_token("viewer")
    seen: list[str | None] = []

    def connect(self: oncall_cli._Http, url: str, token: str | None,
                timeout: float = 10.0) -> None:
        seen.append(token)
        self.client = TestClient(server, base_url=url.rstrip("/") + "/api/v1",
                                 headers={"Authorization": f"Bearer {token}"})

    monkeypatch.setattr(oncall_cli._Http, "__init__", connect)
    remote = [*("--url", "http://warroom.test", "--token", token)]
    local = json.loads(invoke(env, "at", "2026-02-03T12:00:00Z", "--json"))
    assert json.loads(invoke(env, "at", "2026-02-03T12:00:00Z", "--json", *remote)) == local
    one = json.loads(invoke(env, "at", "2026-02-03T12:00:00Z", "-s", "daily", "--json",
                            *remote))
    assert [s["schedule"] for s in one["schedules"]] == ["daily"]
    args = ["shifts", "daily", "--from", "2026-03-27T00:00:00Z", "--days", "4", "--json"]
    assert json.loads(invoke(env, *args, *remote)) == json.loads(invoke(env, *args))
    ical = ["ical", "primary", "--at", "2026-02-03T12:00:00Z", "--days", "7"]
    assert run(env, *ical, *remote).stdout_bytes == run(env, *ical).stdout_bytes
    invoke(env, "shifts", "nope", *remote, code=3)
    assert set(seen) == {token}
    invoke(env, "now", "--url", "http://warroom.test", "--token", "wrong", code=6)
