"""Microsoft Teams incoming webhook: an Adaptive Card (Workflows) or a legacy MessageCard."""

from __future__ import annotations

from typing import Any

import httpx

from warroom.clock import utcnow
from warroom.notify.channels.base import Clock, DeliveryReceipt, request
from warroom.notify.config import TeamsConfig
from warroom.notify.message import Message, MessageKind, Recipient

_COLOURS = {"resolved": "2EB886", "test": "808080"}


def _links(message: Message) -> list[tuple[str, str]]:
    links = []
    if message.kind != MessageKind.RESOLVED:
        links += [("Acknowledge", message.ack_url), ("Resolve", message.resolve_url)]
    links.append(("Open incident", message.incident_url))
    return [(title, url) for title, url in links if url]


def adaptive_card(message: Message) -> dict[str, Any]:
    """The Workflows webhook body: a message with one Adaptive Card attachment."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": message.subject,
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {"type": "TextBlock", "text": message.text, "wrap": True},
        ],
        "actions": [{"type": "Action.OpenUrl", "title": t, "url": u} for t, u in _links(message)],
    }
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def message_card(message: Message) -> dict[str, Any]:
    """The legacy Office 365 connector body."""
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": message.subject,
        "title": message.subject,
        "themeColor": _COLOURS.get(message.kind, "D63232"),
        "text": message.text,
        "potentialAction": [
            {"@type": "OpenUri", "name": t, "targets": [{"os": "default", "uri": u}]}
            for t, u in _links(message)
        ],
    }


class TeamsChannel:
    """POSTs a card to one Teams webhook; the recipient is whoever watches that channel."""

    type = "teams"

    def __init__(self, config: TeamsConfig, *, clock: Clock = utcnow) -> None:
        self.config = config
        self._clock = clock

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        body = adaptive_card(message) if self.config.card == "adaptive" else message_card(message)
        response = request(
            http,
            "POST",
            self.config.url,
            what="teams",
            timeout=self.config.timeout,
            now=self._clock,
            json=body,
        )
        return DeliveryReceipt(provider_id=None, detail=f"HTTP {response.status_code}")
