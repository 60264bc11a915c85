"""Twilio SMS and voice against a local fake of the Twilio REST API."""

from __future__ import annotations

import base64

import httpx
import pytest

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
from warroom.notify.config import TwilioConfig
from warroom.notify.errors import PermanentDeliveryError

SID = "AC" + "0123456789abcdef" * 2
CREATED = {"sid": "SM0123456789abcdef0123456789abcdef", "status": "queued"}


def channel(fake: FakeHTTP, mode: str = "sms"):
    config = TwilioConfig(
        account_sid=SID,
        auth_token_env="TWILIO_TOKEN",
        mode=mode,
        base_url=fake.url,
        **{"from": "+15005550001"},
    )
    return build_channel(config.resolve_secrets({"TWILIO_TOKEN": "tok-secret"}))


def test_sms_posts_form_with_basic_auth(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(201, CREATED)
    receipt = channel(fake_http).send(make_message("twilio"), make_recipient(), http=http)

    assert receipt.provider_id == CREATED["sid"]
    req = fake_http.last
    assert (req.method, req.path) == ("POST", f"/2010-04-01/Accounts/{SID}/Messages.json")
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert (
        req.headers["authorization"]
        == "Basic " + base64.b64encode(f"{SID}:tok-secret".encode()).decode()
    )
    form = req.form()
    assert form["To"] == "+15005550006"
    assert form["From"] == "+15005550001"
    assert "INC-42" in form["Body"]
    assert "https://warroom.example/a/tok123?do=ack&x=1" in form["Body"]
    assert len(form["Body"]) <= 320


def test_voice_call_speaks_escaped_twiml(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(201, {"sid": "CA01", "status": "queued"})
    channel(fake_http, mode="voice").send(make_message("twilio"), make_recipient(), http=http)

    req = fake_http.last
    assert req.path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    twiml = req.form()["Twiml"]
    assert twiml.startswith('<Response><Say loop="2">') and twiml.endswith("</Say></Response>")
    assert "&lt;script&gt;" in twiml and "<script>" not in twiml


def test_person_without_phone_is_permanent(fake_http: FakeHTTP, http: httpx.Client) -> None:
    with pytest.raises(PermanentDeliveryError, match="no phone"):
        channel(fake_http).send(make_message("twilio"), make_recipient(phone=None), http=http)
    assert fake_http.requests == []


def test_invalid_number_400_is_permanent(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(
        400,
        {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400},
    )
    with pytest.raises(PermanentDeliveryError, match="21211"):
        channel(fake_http).send(make_message("twilio"), make_recipient(), http=http)



