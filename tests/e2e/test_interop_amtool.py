"""Real amtool 0.25 → warroom's Alertmanager API v2: alerts, silences, status."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import Server
from tests.e2e.peers import AMTOOL, Amtool, Warroom

pytestmark = pytest.mark.e2e

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_amtool_alerts_and_silences(server: Server, server_env: dict[str, str],
                                    tmp_path: Path) -> None:
    if AMTOOL is None:
        pytest.skip("amtool not installed (Debian package prometheus-alertmanager)")
    wr = Warroom(server, server_env, tmp_path)
    amtool = Amtool(tmp_path, wr.url, wr.key)

    # Without a valid key amtool is refused and nothing is stored.
    refused = Amtool(tmp_path / "nokey", wr.url, "not-a-key")
    denied = refused.run("alert", "add", "alertname=Nope", check=False)
    assert denied.returncode != 0 and "401" in denied.stderr, denied.stderr
    assert wr.alerts() == []

    # Status: amtool reads config.original and cluster from GET /api/v2/status.
    assert "warroom" in amtool.run("config", "show").stdout
    assert "disabled" in amtool.run("cluster", "show").stdout.lower()

    # Alert add (zero timestamps on the wire) → stored, listed, and an incident.
    before = datetime.now(UTC)
    amtool.run("alert", "add", "alertname=AmtoolTest", "severity=info",
               "--annotation=summary=hello")
    listed = json.loads(amtool.run("-o", "json", "alert", "query", "alertname=AmtoolTest").stdout)
    assert len(listed) == 1, listed
    alert = listed[0]
    assert alert["labels"] == {"alertname": "AmtoolTest", "severity": "info"}
    assert alert["annotations"] == {"summary": "hello"}
    assert alert["status"]["state"] == "active"
    # zero startsAt means "now", zero endsAt means "now + resolve_timeout"
    assert abs((_time(alert["startsAt"]) - before).total_seconds()) < 30, alert
    assert _time(alert["endsAt"]) > _time(alert["startsAt"]), alert
    simple = amtool.run("alert", "query").stdout
    assert re.search(r"^AmtoolTest\s", simple, re.M), simple
    assert "hello" in simple
    incident = wr.incident_titled("AmtoolTest")
    assert incident is not None, wr.incidents()
    assert incident["severity"] == "SEV4", incident

    # Silence add prints the new id alone; silence query lists it.
    added = amtool.run("silence", "add", "alertname=Quiet", "-c", "interop silence",
                       "-a", "interop", "-d", "1h").stdout.strip()
    assert UUID.match(added), added
    silence_id = added
    assert amtool.run("silence", "query", "-q").stdout.split() == [silence_id]
    queried = json.loads(amtool.run("-o", "json", "silence", "query").stdout)
    assert [s["id"] for s in queried] == [silence_id]
    assert queried[0]["status"]["state"] == "active"
    assert queried[0]["createdBy"] == "interop" and queried[0]["comment"] == "interop silence"
    assert queried[0]["matchers"] == [{"isEqual": True, "isRegex": False, "name": "alertname",
                                       "value": "Quiet"}]
    simple = amtool.run("silence", "query").stdout
    assert silence_id in simple and "alertname=\"Quiet\"" in simple, simple

    # A silenced alert is stored and shown as suppressed, but opens no incident.
    amtool.run("alert", "add", "alertname=Quiet", "severity=critical")
    assert wr.incident_titled("Quiet") is None, wr.incidents()
    active_only = json.loads(amtool.run("-o", "json", "alert", "query", "alertname=Quiet").stdout)
    assert active_only == [], active_only
    silenced = json.loads(amtool.run("-o", "json", "alert", "query", "--silenced",
                                     "alertname=Quiet").stdout)
    assert len(silenced) == 1, silenced
    assert silenced[0]["status"]["state"] == "suppressed"
    assert silenced[0]["status"]["silencedBy"] == [silence_id]
    listing = amtool.run("alert", "query", "--silenced").stdout
    assert re.search(r"^Quiet\s", listing, re.M), listing

    # Expire: DELETE /api/v2/silence/{id}; the silence stays, as expired.
    expired = amtool.run("silence", "expire", silence_id)
    assert expired.stdout.strip() == "", expired.stdout
    assert amtool.run("silence", "query", "-q").stdout.split() == []
    assert amtool.run("silence", "query", "--expired", "-q").stdout.split() == [silence_id]
    one = httpx.get(f"{wr.url}/api/v2/silence/{silence_id}", headers=wr.headers, timeout=5)
    assert one.status_code == 200 and one.json()["status"]["state"] == "expired", one.text
    missing = amtool.run("silence", "expire", "00000000-0000-0000-0000-000000000000",
                         check=False)
    assert missing.returncode != 0

    # The same alert re-sent after the silence expired is active and opens an incident.
    amtool.run("alert", "add", "alertname=Quiet", "severity=critical")
    now_active = json.loads(amtool.run("-o", "json", "alert", "query", "alertname=Quiet").stdout)
    assert len(now_active) == 1 and now_active[0]["status"]["state"] == "active", now_active
    assert now_active[0]["fingerprint"] == silenced[0]["fingerprint"]
    quiet = wr.incident_titled("Quiet")
    assert quiet is not None, f"no incident after the silence expired: {wr.incidents()}"
    assert quiet["severity"] == "SEV1", quiet

    # A fresh alert matching the old silence is not muted either.
    amtool.run("alert", "add", "alertname=Quiet", "severity=critical", "instance=two")
    assert len(json.loads(amtool.run("-o", "json", "alert", "query",
                                     "alertname=Quiet").stdout)) == 2

    # Receivers and alert groups are readable with the same key.
    groups = httpx.get(f"{wr.url}/api/v2/alerts/groups", headers={"Authorization":
                       f"Bearer {wr.key}"}, timeout=5)
    assert groups.status_code == 200, groups.text
    names = {a["labels"]["alertname"] for g in groups.json() for a in g["alerts"]}
    assert {"AmtoolTest", "Quiet"} <= names

