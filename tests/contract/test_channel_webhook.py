"""Webhook channel against a local HTTP server; signatures verified independently."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime

import httpx
import pytest

from tests.contract.fakes import (  # noqa: F401 (fixtures)
    SLOW,
    STATUS_CASES,
    FakeHTTP,
    fixture_fake_http,
    fixture_http,
    free_port,
    make_message,
    make_recipient,
)
from warroom.notify.channels.registry import build_channel
from warroom.notify.config import WebhookConfig
from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError

KEY = b"0123456789abcdef0123456789abcdef"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
NOW = datetime(2026, 11, 22, 21, 31, 47, tzinfo=UTC)


def channel(fake: FakeHTTP, *, secret: str | None = SECRET, **fields: object):
    config = WebhookConfig(url=f"{fake.url}/hooks/warroom", secret_env="HOOK_SECRET", **fields)
    config = config.resolve_secrets({"HOOK_SECRET": secret} if secret is not None else {})
    ch = build_channel(config)
    ch._clock = lambda: NOW
    return ch


def verify_standard_webhook(headers: dict[str, str], body: bytes, secret: str) -> bool:
    """An independent Standard Webhooks verifier, written from the spec."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(sig.split(",", 1)[1], expected)
        for sig in headers["webhook-signature"].split(" ")
        if sig.startswith("v1,")
    )


def test_delivered_payload_is_signed_per_standard_webhooks(
    fake_http: FakeHTTP, http: httpx.Client
) -> None:
    fake_http.respond(204)
    receipt = channel(fake_http).send(make_message("webhook"), make_recipient(), http=http)

    assert receipt.detail == "HTTP 204"
    req = fake_http.last
    assert req.method == "POST" and req.path == "/hooks/warroom"
    assert req.headers["content-type"] == "application/json"
    assert req.headers["webhook-id"] == "delivery-17:attempt-key"
    assert req.headers["webhook-timestamp"] == str(int(NOW.timestamp()))
    assert verify_standard_webhook(req.headers, req.body, SECRET)
    assert not verify_standard_webhook(req.headers, req.body + b" ", SECRET)
    doc = req.json()
    assert doc["type"] == "notification.page"
    assert doc["data"]["incident"]["id"] == "6f1c2a9e-1d2b-4c3d-9e8f-0a1b2c3d4e5f"
    assert doc["data"]["incident"]["ack_url"].startswith("https://warroom.example/a/")
    assert doc["data"]["recipient"] == {"person_id": "p-ann", "name": "Ann Example"}


def test_unsigned_when_no_secret_configured(fake_http: FakeHTTP, http: httpx.Client) -> None:
    ch = build_channel(WebhookConfig(url=fake_http.url))
    ch.send(make_message("webhook"), make_recipient(), http=http)
    assert "webhook-signature" not in fake_http.last.headers
    assert fake_http.last.headers["webhook-id"] == "delivery-17:attempt-key"


def test_unresolved_secret_is_permanent_and_sends_nothing(
    fake_http: FakeHTTP, http: httpx.Client
) -> None:
    with pytest.raises(PermanentDeliveryError, match="HOOK_SECRET"):
        channel(fake_http, secret=None).send(make_message("webhook"), make_recipient(), http=http)
    assert fake_http.requests == []


def test_malformed_secret_is_permanent(fake_http: FakeHTTP, http: httpx.Client) -> None:
    with pytest.raises(PermanentDeliveryError, match="whsec_"):
        channel(fake_http, secret="whsec_%%%").send(
            make_message("webhook"), make_recipient(), http=http
        )




def test_503_retry_after_http_date_is_seconds_from_now(
    fake_http: FakeHTTP, http: httpx.Client
) -> None:
    fake_http.respond(503, headers={"Retry-After": "Sun, 22 Nov 2026 21:32:17 GMT"})
    with pytest.raises(RetryableDeliveryError) as info:
        channel(fake_http).send(make_message("webhook"), make_recipient(), http=http)
    assert info.value.retry_after == 30



def test_configured_timeout_overrides_the_clients(fake_http: FakeHTTP) -> None:
    fake_http.respond(200, delay=SLOW)
    with httpx.Client(timeout=30) as slow_client, pytest.raises(RetryableDeliveryError):
        channel(fake_http, timeout=0.3).send(
            make_message("webhook"), make_recipient(), http=slow_client
        )


def test_redirect_is_permanent(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(302, headers={"Location": "http://127.0.0.1:1/elsewhere"})
    with pytest.raises(PermanentDeliveryError, match="HTTP 302"):
        channel(fake_http).send(make_message("webhook"), make_recipient(), http=http)


def test_connection_refused_is_retryable(http: httpx.Client) -> None:
    ch = build_channel(WebhookConfig(url=f"http://127.0.0.1:{free_port()}/"))
    with pytest.raises(RetryableDeliveryError):
        ch.send(make_message("webhook"), make_recipient(), http=http)
