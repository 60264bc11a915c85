"""Opsgenie Alert API v2: create with alias = incident id, close by alias when resolved."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from warroom.clock import utcnow
from warroom.notify.channels.base import Clock, DeliveryReceipt, json_body, request
from warroom.notify.config import OpsgenieConfig
from warroom.notify.message import Message, MessageKind, Recipient

_MESSAGE_LIMIT = 130
_ALIAS_LIMIT = 512
_DESCRIPTION_LIMIT = 15000


def alert(message: Message, recipient: Recipient, config: OpsgenieConfig) -> dict[str, Any]:
    """The create-alert body; the person is a responder when they have an Opsgenie username."""
    details = {
        "incident": message.incident_ref,
        "severity": message.severity,
        "status": message.status,
        **{f"label.{k}": v for k, v in message.labels.items()},
    }
    for key, value in (
        ("incident_url", message.incident_url),
        ("ack_url", message.ack_url),
        ("resolve_url", message.resolve_url),
    ):
        if value:
            details[key] = value
    body: dict[str, Any] = {
        "message": (message.subject or message.title)[:_MESSAGE_LIMIT],
        "alias": message.incident_id[:_ALIAS_LIMIT],
        "description": message.text[:_DESCRIPTION_LIMIT],
        "priority": config.priority_map.get(message.severity, config.default_priority),
        "source": "warroom",
        "entity": message.incident_ref,
        "tags": ["warroom", message.severity][:20],
        "details": details,
    }
    if username := recipient.chat.get("opsgenie"):
        body["responders"] = [{"type": "user", "username": username}]
    return body


class OpsgenieChannel:
    """Creates (or, when resolved, closes) the Opsgenie alert that mirrors the incident."""

    type = "opsgenie"

    def __init__(self, config: OpsgenieConfig, *, clock: Clock = utcnow) -> None:
        self.config = config
        self._clock = clock

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        headers = {"authorization": f"GenieKey {self.config.secret('api_key_env')}"}
        if message.kind == MessageKind.RESOLVED:
            alias = quote(message.incident_id[:_ALIAS_LIMIT], safe="")
            url = f"{self.config.url}/v2/alerts/{alias}/close"
            kwargs: dict[str, Any] = {
                "params": {"identifierType": "alias"},
                "json": {"source": "warroom", "note": message.subject or "resolved in warroom"},
            }
        else:
            url = f"{self.config.url}/v2/alerts"
            kwargs = {"json": alert(message, recipient, self.config)}
        response = request(
            http,
            "POST",
            url,
            what="opsgenie",
            timeout=self.config.timeout,
            now=self._clock,
            headers=headers,
            **kwargs,
        )
        data = json_body(response)
        return DeliveryReceipt(
            provider_id=data.get("requestId"),
            detail=str(data.get("result") or f"HTTP {response.status_code}"),
        )
