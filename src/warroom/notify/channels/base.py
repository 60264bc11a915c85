"""The channel plugin contract, and the one place HTTP outcomes become delivery errors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

import httpx

from warroom.clock import utcnow
from warroom.notify.errors import (
    PermanentDeliveryError,
    RetryableDeliveryError,
    parse_retry_after,
)
from warroom.notify.message import Message, Recipient

Clock = Callable[[], datetime]

# Statuses that mean "the request was fine, try again later" although they are 4xx.
_RETRYABLE_4XX = frozenset({408, 425, 429})
_DETAIL_CHARS = 300


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the provider said on success: its id for the message, if any, and a short note."""

    provider_id: str | None
    detail: str


@runtime_checkable
class Channel(Protocol):
    """A notification channel: sends one rendered message to one person, or raises.

    Implementations get everything through their config and arguments: no environment
    reads, no database, no retries (the delivery service owns retries and backoff).
    """

    type: str

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt: ...


def request(
    http: httpx.Client,
    method: str,
    url: str,
    *,
    what: str,
    timeout: float | None = None,
    now: Clock = utcnow,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request and return the 2xx response; every other outcome raises ours.

    `timeout` (seconds) overrides the client's own when given. `what` names the channel
    in error reasons. Secrets never appear in reasons: only the method, host and status.
    """
    if timeout is not None:
        kwargs["timeout"] = httpx.Timeout(timeout)
    try:
        response = http.request(method, url, **kwargs)
    except httpx.TimeoutException as exc:
        raise RetryableDeliveryError(f"{what}: timed out ({type(exc).__name__})") from exc
    except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
        raise PermanentDeliveryError(f"{what}: invalid URL ({exc})") from exc
    except httpx.TransportError as exc:
        raise RetryableDeliveryError(f"{what}: {type(exc).__name__}: {exc}") from exc
    check_status(response, what=what, now=now)
    return response


def check_status(response: httpx.Response, *, what: str, now: Clock = utcnow) -> None:
    """Map a non-2xx response: 408/425/429/5xx retryable (with Retry-After), the rest permanent."""
    status = response.status_code
    if 200 <= status < 300:
        return
    reason = f"{what}: HTTP {status} from {response.request.url.host}{_body_excerpt(response)}"
    if status in _RETRYABLE_4XX or status >= 500:
        retry_after = parse_retry_after(response.headers.get("retry-after"), now=now())
        raise RetryableDeliveryError(reason, retry_after=retry_after)
    # 3xx lands here too: a webhook that redirects is misconfigured, and following it
    # would resend credentials to wherever it points.
    raise PermanentDeliveryError(reason)


def json_body(response: httpx.Response) -> dict[str, Any]:
    """The response's JSON object, or an empty dict when the body is not a JSON object."""
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _body_excerpt(response: httpx.Response) -> str:
    try:
        text = response.text.strip()
    except (UnicodeDecodeError, httpx.ResponseNotRead):
        return ""
    if not text:
        return ""
    text = " ".join(text.split())
    if len(text) > _DETAIL_CHARS:
        text = text[:_DETAIL_CHARS] + "…"
    return f": {text}"
