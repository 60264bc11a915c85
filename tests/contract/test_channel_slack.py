"""Slack channel against a local fake of the Web API (`chat.postMessage`)."""

from __future__ import annotations

import httpx
import pytest

from tests.contract.fakes import (  # noqa: F401 (fixtures)
    INCIDENT_ID,
    SLOW,
    STATUS_CASES,
    FakeHTTP,
    fixture_fake_http,
    fixture_http,
    make_message,
    make_recipient,
)
from warroom.notify.channels.registry import build_channel
from warroom.notify.channels.slack import ACK_ACTION, RESOLVE_ACTION
from warroom.notify.config import SlackConfig
from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError

OK = {"ok": True, "channel": "D0123", "ts": "1700000000.000100"}


def channel(fake: FakeHTTP, **fields: object):
    config = SlackConfig(token_env="SLACK_BOT_TOKEN", base_url=f"{fake.url}/api/", **fields)
    return build_channel(config.resolve_secrets({"SLACK_BOT_TOKEN": "xoxb-test-token"}))


def test_page_posts_blocks_with_ack_and_resolve_buttons(
    fake_http: FakeHTTP, http: httpx.Client
) -> None:
    fake_http.respond(200, OK)
    receipt = channel(fake_http).send(make_message("slack"), make_recipient(), http=http)

    assert receipt.provider_id == "D0123/1700000000.000100"
    req = fake_http.last
    assert (req.method, req.path) == ("POST", "/api/chat.postMessage")
    assert req.headers["authorization"] == "Bearer xoxb-test-token"
    body = req.json()
    assert body["channel"] == "U024BE7LH"  # a DM to the person's Slack user id
    section, actions = body["blocks"]
    assert section["text"]["type"] == "mrkdwn"
    assert "&lt;script&gt;" in section["text"]["text"] and "<script>" not in section["text"]["text"]
    assert "<script>" not in body["text"]
    buttons = {b["action_id"]: b for b in actions["elements"]}
    assert buttons[ACK_ACTION]["value"] == INCIDENT_ID
    assert buttons[ACK_ACTION]["url"] == "https://warroom.example/a/tok123?do=ack&x=1"
    assert buttons[RESOLVE_ACTION]["value"] == INCIDENT_ID
    assert buttons[RESOLVE_ACTION]["url"] == "https://warroom.example/a/tok123?do=resolve"


def test_configured_channel_wins_over_dm(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(200, OK)
    channel(fake_http, channel="C0INCIDENTS").send(
        make_message("slack"), make_recipient(), http=http
    )
    assert fake_http.last.json()["channel"] == "C0INCIDENTS"


def test_resolved_message_has_no_action_buttons(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(200, OK)
    channel(fake_http).send(
        make_message("slack", kind="resolved", status="resolved"), make_recipient(), http=http
    )
    blocks = fake_http.last.json()["blocks"]
    action_ids = {e["action_id"] for b in blocks if b["type"] == "actions" for e in b["elements"]}
    assert action_ids == {"warroom_open"}


def test_person_without_slack_id_is_permanent(fake_http: FakeHTTP, http: httpx.Client) -> None:
    with pytest.raises(PermanentDeliveryError, match="no Slack user id"):
        channel(fake_http).send(make_message("slack"), make_recipient(chat={}), http=http)
    assert fake_http.requests == []


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("channel_not_found", PermanentDeliveryError),
        ("invalid_auth", PermanentDeliveryError),
        ("ratelimited", RetryableDeliveryError),
        ("internal_error", RetryableDeliveryError),
    ],
)
def test_ok_false_maps_by_slack_error(
    fake_http: FakeHTTP, http: httpx.Client, error: str, expected: type[Exception]
) -> None:
    fake_http.respond(200, {"ok": False, "error": error})
    with pytest.raises(expected, match=error):
        channel(fake_http).send(make_message("slack"), make_recipient(), http=http)



