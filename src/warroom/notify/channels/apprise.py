"""The long tail through the `apprise` library, with its outcome mapped to our two errors.

apprise makes its own HTTP requests (with `requests`), so the injected httpx client is not
used here; the per-send deadline is `config.timeout`. apprise reports a provider's HTTP
status only in its log lines ("... error=503."), which is what `_classify` reads.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import httpx

from warroom.notify.channels.base import DeliveryReceipt
from warroom.notify.config import AppriseConfig
from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError
from warroom.notify.message import Message, Recipient

_STATUS_IN_LOG = re.compile(r"error=(\d{3})\b")


class AppriseChannel:
    """Notifies every configured apprise URL; fails if any of them fails."""

    type = "apprise"

    def __init__(self, config: AppriseConfig) -> None:
        self.config = config

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        with warnings.catch_warnings():
            # apprise imports the deprecated `imghdr` (lazily, while notifying): not ours.
            warnings.simplefilter("ignore", DeprecationWarning)
            return self._send(message)

    def _send(self, message: Message) -> DeliveryReceipt:
        import apprise  # optional dependency: only needed when an apprise channel is used

        client = apprise.Apprise()
        for index, url in enumerate(self.config.all_urls()):
            if not client.add(url):
                # Never echo the URL: apprise URLs usually embed tokens.
                raise PermanentDeliveryError(
                    f"apprise: URL #{index + 1} is not a valid apprise URL"
                )
        result = client.notify(
            title=message.subject,
            body=message.text or message.subject,
            body_format=apprise.NotifyFormat.TEXT,
            timeout=self.config.timeout or 0,
        )
        if result:
            return DeliveryReceipt(provider_id=None, detail=f"{len(client)} service(s) notified")
        raise _classify(result, apprise)


def _classify(result: Any, apprise: Any) -> PermanentDeliveryError | RetryableDeliveryError:
    if result.status == apprise.AppriseResultStatus.TIMEOUT:
        return RetryableDeliveryError("apprise: timed out")
    entries = list(result.logs())
    statuses = [int(m.group(1)) for e in entries if (m := _STATUS_IN_LOG.search(e.message))]
    warnings = [e for e in entries if e.level in ("WARNING", "ERROR")] or entries
    detail = " ".join(str(warnings[-1].message).split())[:300] if warnings else ""
    reason = f"apprise: {detail or 'notification failed'}"
    if statuses and all(400 <= s < 500 and s not in (408, 425, 429) for s in statuses):
        return PermanentDeliveryError(reason)
    # 5xx, 429, connection errors and unknown failures: let the delivery service try again.
    return RetryableDeliveryError(reason)
