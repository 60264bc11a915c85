"""Slack: `chat.postMessage` with Block Kit acknowledge / resolve buttons, over plain httpx."""

from __future__ import annotations

from typing import Any

import httpx

from warroom.clock import utcnow
from warroom.notify.channels.base import Clock, DeliveryReceipt, json_body, request
from warroom.notify.config import SlackConfig
from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError
from warroom.notify.message import Message, MessageKind, Recipient

# action_id values the interactivity endpoint dispatches on; `value` is the incident id.
ACK_ACTION = "warroom_acknowledge"
RESOLVE_ACTION = "warroom_resolve"

# Slack answers HTTP 200 with {"ok": false, "error": ...}; these errors are worth a retry.
_RETRYABLE_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
_SECTION_LIMIT = 3000


def blocks(message: Message) -> list[dict[str, Any]]:
    """The Block Kit layout: the rendered mrkdwn, then buttons (none to act on once resolved)."""
    result: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": message.text[:_SECTION_LIMIT]}}
    ]
    buttons: list[dict[str, Any]] = []
    if message.kind != MessageKind.RESOLVED:
        buttons.append(
            _button(
                "Acknowledge", ACK_ACTION, message.incident_id, message.ack_url, style="primary"
            )
        )
        buttons.append(
            _button(
                "Resolve", RESOLVE_ACTION, message.incident_id, message.resolve_url, style="danger"
            )
        )
    if message.incident_url:
        buttons.append(
            {
                "type": "button",
                "action_id": "warroom_open",
                "text": {"type": "plain_text", "text": "Open incident"},
                "url": message.incident_url,
            }
        )
    if buttons:
        result.append(
            {
                "type": "actions",
                "block_id": f"warroom:{message.incident_id}"[:255],
                "elements": buttons,
            }
        )
    return result


def _button(
    label: str, action_id: str, incident_id: str, url: str | None, *, style: str
) -> dict[str, Any]:
    button: dict[str, Any] = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": incident_id,
        "style": style,
    }
    # With a URL the button also works when the Slack app has no interactivity endpoint.
    if url:
        button["url"] = url
    return button


class SlackChannel:
    """Posts to the configured channel, or DMs the person's Slack user id."""

    type = "slack"

    def __init__(self, config: SlackConfig, *, clock: Clock = utcnow) -> None:
        self.config = config
        self._clock = clock

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        channel = self.config.channel or recipient.chat.get("slack")
        if not channel:
            raise PermanentDeliveryError(
                f"slack: person {recipient.person_id} has no Slack user id and no channel is set"
            )
        body = {
            "channel": channel,
            "text": message.subject or message.text[:_SECTION_LIMIT],  # notification fallback
            "blocks": blocks(message),
            "unfurl_links": False,
        }
        response = request(
            http,
            "POST",
            f"{self.config.base_url}chat.postMessage",
            what="slack",
            timeout=self.config.timeout,
            now=self._clock,
            json=body,
            headers={"authorization": f"Bearer {self.config.secret('token_env')}"},
        )
        data = json_body(response)
        if not data.get("ok"):
            error = str(data.get("error") or "malformed response")
            if error in _RETRYABLE_ERRORS:
                raise RetryableDeliveryError(f"slack: {error}")
            raise PermanentDeliveryError(f"slack: {error}")
        return DeliveryReceipt(
            provider_id=f"{data.get('channel', channel)}/{data.get('ts')}", detail="posted"
        )
