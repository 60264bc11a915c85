"""Opsgenie channel against a local fake of the Alert API v2."""

from __future__ import annotations

import httpx

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
from warroom.notify.config import OpsgenieConfig

ACCEPTED = {
    "result": "Request will be processed",
    "took": 0.3,
    "requestId": "43a29c5c-3dbf-4fa4-9c26-f4f71023e120",
}


def channel(fake: FakeHTTP):
    config = OpsgenieConfig(api_key_env="OPSGENIE_KEY", url=fake.url)
    return build_channel(config.resolve_secrets({"OPSGENIE_KEY": "genie-123"}))


def test_page_creates_alert_aliased_by_incident(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(202, ACCEPTED)
    receipt = channel(fake_http).send(make_message("opsgenie"), make_recipient(), http=http)

    assert receipt.provider_id == ACCEPTED["requestId"]
    req = fake_http.last
    assert (req.method, req.path) == ("POST", "/v2/alerts")
    assert req.headers["authorization"] == "GenieKey genie-123"
    body = req.json()
    assert body["alias"] == INCIDENT_ID
    assert len(body["message"]) <= 130
    assert body["priority"] == "P1"
    assert body["responders"] == [{"type": "user", "username": "ann@example.com"}]
    assert body["details"]["ack_url"] == "https://warroom.example/a/tok123?do=ack&x=1"
    assert all(isinstance(v, str) for v in body["details"].values())


def test_resolved_closes_alert_by_alias(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(202, ACCEPTED)
    channel(fake_http).send(
        make_message("opsgenie", kind="resolved", status="resolved"), make_recipient(), http=http
    )
    req = fake_http.last
    assert req.path == f"/v2/alerts/{INCIDENT_ID}/close"
    assert req.query == {"identifierType": ["alias"]}
    assert req.json()["source"] == "warroom"



