"""Acknowledge from the page: signed links (GET shows, POST acts), Slack buttons with
Slack's request signature, and SMS replies through Twilio's signed webhook."""

from __future__ import annotations

import json
import time
from typing import Any, Callable
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from warroom.clock import utcnow
from warroom.config import WarroomConfig
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.links.chatops import slack_signature, twilio_signature
from warroom.links.tokens import LinkSigner, signing_secret

CONFIG = """
people:
  - {id: alice, name: Alice, email: alice@example.com, phone: "+15550100", chat: {slack: U111}}
channels:
  - {id: chat, type: slack, token_env: SLACK_TOKEN, signing_secret_env: SLACK_SIGNING}
  - {id: sms, type: twilio, account_sid: AC0123456789abcdef0123456789abcdef, auth_token_env: TWILIO_TOKEN, from: "+15550999"}
"""


@pytest.fixture
def config(monkeypatch: pytest.MonkeyPatch) -> WarroomConfig:
    monkeypatch.setenv("SLACK_SIGNING", "slack-secret")
    monkeypatch.setenv("TWILIO_TOKEN", "twilio-token")
    return parse_config(CONFIG)


def _link(db: Database, incident_id: str, action: str) -> str:
    with db.transaction() as session:
        return LinkSigner(signing_secret(session, utcnow())).sign(incident_id, action, "alice")


def _status(client: TestClient, headers: dict[str, str], ref: str) -> str:
    return client.get(f"/api/v1/incidents/{ref}", headers=headers).json()["status"]


def test_opening_a_link_does_not_act_but_its_button_does(
    client: TestClient, db: Database, auth_headers: dict[str, str],
    make_incident: Callable[..., dict[str, Any]],
) -> None:
    inc = make_incident(title="<b>Checkout</b> down")
    token = _link(db, inc["id"], "acknowledge")
    page = client.get(f"/a/{token}")
    assert page.status_code == 200
    assert "Acknowledge INC-1" in page.text and "<form method=post" in page.text
    assert "&lt;b&gt;Checkout&lt;/b&gt;" in page.text  # titles are escaped
    for _ in range(3):  # prefetching scanners may open it many times
        client.get(f"/a/{token}")
    assert _status(client, auth_headers, inc["id"]) == "triggered"
    done = client.post(f"/a/{token}")
    assert done.status_code == 200 and "INC-1 is now acknowledged" in done.text
    assert _status(client, auth_headers, inc["id"]) == "acknowledged"
    again = client.post(f"/a/{token}")
    assert "already acknowledged" in again.text
    timeline = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=auth_headers).json()
    assert timeline[-1]["actor"] == "alice" and timeline[-1]["kind"] == "incident.acknowledged"
    resolve = _link(db, inc["id"], "resolve")
    assert "INC-1 is now resolved" in client.post(f"/a/{resolve}").text


def test_tampered_and_expired_links_are_refused(
    client: TestClient, db: Database, make_incident: Callable[..., dict[str, Any]],
) -> None:
    inc = make_incident()
    token = _link(db, inc["id"], "acknowledge")
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.post(f"/a/{tampered}").status_code == 400
    with db.transaction() as session:
        expired = LinkSigner(signing_secret(session, utcnow()), max_age=-1)
    assert "not valid" in client.get(f"/a/{LinkSigner('other-secret').sign(inc['id'], 'acknowledge', 'x')}").text
    with pytest.raises(Exception, match="expired"):
        expired.verify(token)


def _slack_post(client: TestClient, payload: dict[str, Any], *, secret: str = "slack-secret",
                ts: int | None = None) -> Any:
    body = urlencode({"payload": json.dumps(payload)}).encode()
    stamp = str(ts if ts is not None else int(time.time()))
    return client.post("/api/v1/chatops/slack/actions", content=body, headers={
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": slack_signature(secret, stamp, body)})


def test_slack_button_acknowledges_after_checking_the_signature(
    client: TestClient, auth_headers: dict[str, str],
    make_incident: Callable[..., dict[str, Any]],
) -> None:
    inc = make_incident()
    payload = {"type": "block_actions", "user": {"id": "U111"},
               "actions": [{"action_id": "acknowledge", "value": inc["id"]}]}
    assert _slack_post(client, payload, secret="wrong").status_code == 401
    assert _slack_post(client, payload, ts=int(time.time()) - 3600).status_code == 401
    assert _status(client, auth_headers, inc["id"]) == "triggered"
    ok = _slack_post(client, payload)
    assert ok.status_code == 200 and "INC-1 acknowledged" in ok.json()["text"]
    timeline = client.get(f"/api/v1/incidents/{inc['id']}/timeline", headers=auth_headers).json()
    assert timeline[-1]["actor"] == "alice"
    bad = _slack_post(client, {"actions": []})
    assert bad.status_code == 400


def _sms(client: TestClient, params: dict[str, str], token: str = "twilio-token") -> Any:
    url = "http://127.0.0.1:8080/api/v1/chatops/twilio/sms"
    return client.post("/api/v1/chatops/twilio/sms", content=urlencode(params).encode(), headers={
        "content-type": "application/x-www-form-urlencoded",
        "x-twilio-signature": twilio_signature(token, url, params)})


def test_sms_reply_acknowledges_from_a_known_number(
    client: TestClient, auth_headers: dict[str, str],
    make_incident: Callable[..., dict[str, Any]],
) -> None:
    make_incident()
    assert _sms(client, {"From": "+15550100", "Body": "ACK 1"}, token="forged").status_code == 401
    stranger = _sms(client, {"From": "+15559999", "Body": "ACK 1"})
    assert "not on any warroom roster" in stranger.text
    assert _status(client, auth_headers, "INC-1") == "triggered"
    help_text = _sms(client, {"From": "+15550100", "Body": "hello"})
    assert "Reply ACK" in help_text.text
    ok = _sms(client, {"From": "+15550100", "Body": "ack inc-1"})
    assert "INC-1 acknowledged" in ok.text and ok.headers["content-type"].startswith("text/xml")
    assert _status(client, auth_headers, "INC-1") == "acknowledged"
    assert "INC-1 resolved" in _sms(client, {"From": "+15550100", "Body": "RESOLVE 1"}).text
