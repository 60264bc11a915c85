"""PagerDuty Events API v2: trigger per page with dedup_key = incident id, resolve when resolved."""

from __future__ import annotations

from typing import Any

import httpx

from warroom.clock import utcnow
from warroom.notify.channels.base import Clock, DeliveryReceipt, json_body, request
from warroom.notify.config import PagerDutyConfig
from warroom.notify.message import Message, MessageKind, Recipient

_SUMMARY_LIMIT = 1024
_DEDUP_LIMIT = 255


def event(
    message: Message, config: PagerDutyConfig, routing_key: str, *, timestamp: str
) -> dict[str, Any]:
    """The Events API v2 body for this message (a trigger, or a resolve for kind "resolved")."""
    dedup_key = message.incident_id[:_DEDUP_LIMIT]
    if message.kind == MessageKind.RESOLVED:
        return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": dedup_key}
    body: dict[str, Any] = {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": dedup_key,
        "payload": {
            "summary": (message.subject or message.title)[:_SUMMARY_LIMIT],
            "source": config.source,
            "severity": config.severity_map.get(message.severity, config.default_severity),
            "timestamp": timestamp,
            "class": message.kind,
            "custom_details": {
                "incident": message.incident_ref,
                "status": message.status,
                "severity": message.severity,
                "level": message.level,
                "summary": message.summary,
                "labels": message.labels,
                "ack_url": message.ack_url,
                "resolve_url": message.resolve_url,
            },
        },
        "client": "warroom",
    }
    if message.incident_url:
        body["client_url"] = message.incident_url
        body["links"] = [{"href": message.incident_url, "text": f"warroom {message.incident_ref}"}]
    return body


class PagerDutyChannel:
    """Hands the incident to a PagerDuty service; PagerDuty then pages its own on-call."""

    type = "pagerduty"

    def __init__(self, config: PagerDutyConfig, *, clock: Clock = utcnow) -> None:
        self.config = config
        self._clock = clock

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        body = event(
            message,
            self.config,
            self.config.secret("routing_key_env"),
            timestamp=self._clock().isoformat(),
        )
        response = request(
            http,
            "POST",
            self.config.url,
            what="pagerduty",
            timeout=self.config.timeout,
            now=self._clock,
            json=body,
        )
        data = json_body(response)
        return DeliveryReceipt(
            provider_id=data.get("dedup_key") or body["dedup_key"],
            detail=str(data.get("message") or f"HTTP {response.status_code}"),
        )
