"""PagerDuty channel against a local fake of the Events API v2 (shape per protocols.md §3)."""

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
from warroom.notify.config import PagerDutyConfig
from warroom.notify.errors import PermanentDeliveryError

ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
ACCEPTED = {"status": "success", "message": "Event processed", "dedup_key": INCIDENT_ID}


def channel(fake: FakeHTTP, environ: dict[str, str] | None = None):
    config = PagerDutyConfig(routing_key_env="PD_ROUTING_KEY", url=f"{fake.url}/v2/enqueue")
    return build_channel(
        config.resolve_secrets({"PD_ROUTING_KEY": ROUTING_KEY} if environ is None else environ)
    )


def test_page_triggers_with_incident_id_as_dedup_key(
    fake_http: FakeHTTP, http: httpx.Client
) -> None:
    fake_http.respond(202, ACCEPTED)
    receipt = channel(fake_http).send(make_message("pagerduty"), make_recipient(), http=http)

    assert receipt.provider_id == INCIDENT_ID
    req = fake_http.last
    assert (req.method, req.path) == ("POST", "/v2/enqueue")
    assert "authorization" not in req.headers  # the routing key in the body is the credential
    body = req.json()
    assert body["routing_key"] == ROUTING_KEY
    assert body["event_action"] == "trigger"
    assert body["dedup_key"] == INCIDENT_ID
    payload = body["payload"]
    assert payload["summary"].startswith("[SEV1] INC-42")
    assert len(payload["summary"]) <= 1024
    assert payload["source"] == "warroom"
    assert payload["severity"] == "critical"
    assert payload["custom_details"]["ack_url"] == "https://warroom.example/a/tok123?do=ack&x=1"
    assert body["links"][0]["href"] == "https://warroom.example/incidents/INC-42"


def test_resolved_sends_resolve_event(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(202, ACCEPTED)
    channel(fake_http).send(
        make_message("pagerduty", kind="resolved", status="resolved"), make_recipient(), http=http
    )
    assert fake_http.last.json() == {
        "routing_key": ROUTING_KEY,
        "event_action": "resolve",
        "dedup_key": INCIDENT_ID,
    }


def test_unmapped_severity_uses_default(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(202, ACCEPTED)
    channel(fake_http).send(make_message("pagerduty", severity="SEV5"), make_recipient(), http=http)
    assert fake_http.last.json()["payload"]["severity"] == "info"


def test_missing_routing_key_is_permanent(fake_http: FakeHTTP, http: httpx.Client) -> None:
    with pytest.raises(PermanentDeliveryError, match="PD_ROUTING_KEY"):
        channel(fake_http, environ={}).send(make_message("pagerduty"), make_recipient(), http=http)


def test_invalid_event_400_is_permanent_with_reason(
    fake_http: FakeHTTP, http: httpx.Client
) -> None:
    fake_http.respond(
        400,
        {
            "status": "invalid event",
            "message": "Event object is invalid",
            "errors": ["Length of 'routing_key' is incorrect"],
        },
    )
    with pytest.raises(PermanentDeliveryError, match="routing_key"):
        channel(fake_http).send(make_message("pagerduty"), make_recipient(), http=http)



