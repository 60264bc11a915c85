"""How a delivery failed, as a channel reports it; only the delivery service decides what follows.

    WarroomError                        (warroom.errors)
    └── DeliveryError                   base of every channel failure; never raised itself
        ├── RetryableDeliveryError      may succeed later: 5xx, 408, 429, timeouts, connection
        │                               errors, SMTP 4xx; `retry_after` is the provider's hint
        │                               in seconds (Retry-After as seconds or HTTP-date)
        └── PermanentDeliveryError      will fail again as is: other 4xx, bad or incomplete
            │                           config, a missing secret, a recipient the channel
            │                           cannot reach (no email, no phone, no chat id), SMTP 5xx
            └── RenderError             a template failed: syntax, sandbox violation, undefined
                                        variable, template source or output over its size limit

Channels raise these and nothing else; lower-layer errors (httpx, smtplib, apprise) are mapped
to them in `channels/base.py` and in each non-HTTP channel, one place each.
"""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from warroom.errors import WarroomError


class DeliveryError(WarroomError):
    """A notification could not be delivered; `reason` says why in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryableDeliveryError(DeliveryError):
    """The provider may accept the same message later (5xx, 408, 429, timeout, connection)."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentDeliveryError(DeliveryError):
    """Sending the same message again will fail the same way (4xx, config, recipient)."""


class RenderError(PermanentDeliveryError):
    """A notification template could not be rendered within the sandbox and size limits."""


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(seconds, 0.0) if seconds == seconds else None  # NaN is not a hint
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; parsedate gives naive for "-0000"
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)
