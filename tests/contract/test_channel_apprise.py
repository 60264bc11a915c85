"""Apprise channel: apprise's own `json://` service posting to a local fake server."""

from __future__ import annotations

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
from warroom.notify.config import AppriseConfig
from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError


def json_url(fake: FakeHTTP) -> str:
    # rto/cto: apprise's read and connect timeouts, in seconds.
    return f"json://127.0.0.1:{fake.server.server_port}/notify?rto=0.3&cto=0.3"


def channel(fake: FakeHTTP):
    return build_channel(AppriseConfig(urls=[json_url(fake)]))


def test_message_reaches_the_apprise_service(fake_http: FakeHTTP, http: httpx.Client) -> None:
    receipt = channel(fake_http).send(make_message("apprise"), make_recipient(), http=http)

    assert receipt.detail == "1 service(s) notified"
    body = fake_http.last.json()
    assert fake_http.last.path == "/notify"
    assert body["title"].startswith("[SEV1] INC-42")
    assert "https://warroom.example/a/tok123?do=ack&x=1" in body["message"]


def test_urls_from_environment(fake_http: FakeHTTP, http: httpx.Client) -> None:
    config = AppriseConfig(urls_env="APPRISE_URLS").resolve_secrets(
        {"APPRISE_URLS": json_url(fake_http)}
    )
    build_channel(config).send(make_message("apprise"), make_recipient(), http=http)
    assert len(fake_http.requests) == 1


def test_invalid_url_is_permanent_and_not_echoed(http: httpx.Client) -> None:
    ch = build_channel(AppriseConfig(urls=["nosuchservice://secret-token@x"]))
    with pytest.raises(PermanentDeliveryError, match="URL #1") as info:
        ch.send(make_message("apprise"), make_recipient(), http=http)
    assert "secret-token" not in str(info.value)


@pytest.mark.parametrize(("status", "error"), STATUS_CASES)
def test_http_status_maps_to_delivery_error(
    fake_http: FakeHTTP, http: httpx.Client, status: int, error: type[Exception]
) -> None:
    fake_http.respond(status, "nope")
    with pytest.raises(error):
        channel(fake_http).send(make_message("apprise"), make_recipient(), http=http)


def test_429_is_retryable_without_hint(fake_http: FakeHTTP, http: httpx.Client) -> None:
    # apprise does not expose response headers, so Retry-After cannot be passed on.
    fake_http.respond(429, headers={"Retry-After": "7"})
    with pytest.raises(RetryableDeliveryError) as info:
        channel(fake_http).send(make_message("apprise"), make_recipient(), http=http)
    assert info.value.retry_after is None


def test_slow_server_times_out_as_retryable(fake_http: FakeHTTP, http: httpx.Client) -> None:
    fake_http.respond(200, delay=SLOW)
    with pytest.raises(RetryableDeliveryError):
        channel(fake_http).send(make_message("apprise"), make_recipient(), http=http)
