"""Teams channel against a local fake incoming webhook."""

from __future__ import annotations

import httpx

from tests.contract.fakes import (  # noqa: F401 (fixtures)
    SLOW,
    STATUS_CASES,
    FakeHTTP,
    fixture_fake_http,
    fixture_http,
    make_message,
    make_recipient,
)
from warroom.notify.channels.registry import build_channel
from warroom.notify.config import TeamsConfig


def channel(fake: FakeHTTP, **fields: object):
    return build_channel(TeamsConfig(url=f"{fake.url}/workflows/abc", **fields))


def test_adaptive_card_carries_ack_and_resolve_links(
    fake_http: FakeHTTP, http: httpx.Client
) -> None:
    fake_http.respond(202)
    channel(fake_http).send(make_message("teams"), make_recipient(), http=http)

    body = fake_http.last.json()
    assert body["type"] == "message"
    attachment = body["attachments"][0]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["body"][0]["text"].startswith("[SEV1] INC-42")
    links = {a["title"]: a["url"] for a in card["actions"]}
    assert links["Acknowledge"] == "https://warroom.example/a/tok123?do=ack&x=1"
    assert links["Resolve"] == "https://warroom.example/a/tok123?do=resolve"


def test_message_card_format(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(200, "1")
    channel(fake_http, card="message_card").send(make_message("teams"), make_recipient(), http=http)
    body = fake_http.last.json()
    assert body["@type"] == "MessageCard"
    names = [a["name"] for a in body["potentialAction"]]
    assert names == ["Acknowledge", "Resolve", "Open incident"]



