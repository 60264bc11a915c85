"""The contract every HTTP channel keeps with the delivery service, checked once for all
against a local fake server: a non-2xx answer maps to permanent or retryable (STATUS_CASES),
429's Retry-After is passed on, and a server slower than the timeout is retryable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.contract import (
    test_channel_opsgenie,
    test_channel_pagerduty,
    test_channel_slack,
    test_channel_teams,
    test_channel_twilio,
    test_channel_webhook,
)
from tests.contract.fakes import (  # noqa: F401 (fixtures)
    SLOW,
    STATUS_CASES,
    FakeHTTP,
    fixture_fake_http,
    fixture_http,
    make_message,
    make_recipient,
)
from warroom.notify.errors import RetryableDeliveryError

# channel type -> (builder from its own contract module, success status, success body)
CHANNELS: dict[str, tuple[Callable[[FakeHTTP], Any], int, Any]] = {
    "pagerduty": (test_channel_pagerduty.channel, 202, test_channel_pagerduty.ACCEPTED),
    "opsgenie": (test_channel_opsgenie.channel, 202, test_channel_opsgenie.ACCEPTED),
    "slack": (test_channel_slack.channel, 200, test_channel_slack.OK),
    "teams": (test_channel_teams.channel, 200, b""),
    "twilio": (test_channel_twilio.channel, 201, test_channel_twilio.CREATED),
    "webhook": (test_channel_webhook.channel, 200, b""),
}
NAMES = sorted(CHANNELS)


def _send(name: str, fake: FakeHTTP, http: httpx.Client) -> Any:
    build = CHANNELS[name][0]
    return build(fake).send(make_message(name), make_recipient(), http=http)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(("status", "error"), STATUS_CASES)
def test_http_status_maps_to_delivery_error(
    fake_http: FakeHTTP, http: httpx.Client, name: str, status: int, error: type[Exception]
) -> None:
    fake_http.respond(status, {"message": "nope"} if name == "opsgenie" else "nope")
    with pytest.raises(error, match=f"HTTP {status}"):
        _send(name, fake_http, http)


@pytest.mark.parametrize("name", NAMES)
def test_429_retry_after_seconds_is_passed_on(fake_http: FakeHTTP, http: httpx.Client,
                                              name: str) -> None:
    fake_http.respond(429, headers={"Retry-After": "7"})
    with pytest.raises(RetryableDeliveryError) as info:
        _send(name, fake_http, http)
    assert info.value.retry_after == 7


@pytest.mark.parametrize("name", NAMES)
def test_slow_server_times_out_as_retryable(fake_http: FakeHTTP, http: httpx.Client,
                                            name: str) -> None:
    _, status, body = CHANNELS[name]
    fake_http.respond(status, body, delay=SLOW)
    with pytest.raises(RetryableDeliveryError, match="timed out"):
        _send(name, fake_http, http)
