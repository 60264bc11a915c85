"""Generic webhook: a JSON POST signed per the Standard Webhooks specification."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from typing import Any

import httpx

from warroom.clock import utcnow
from warroom.notify.channels.base import Clock, DeliveryReceipt, request
from warroom.notify.config import WebhookConfig
from warroom.notify.errors import PermanentDeliveryError
from warroom.notify.message import Message, Recipient

SECRET_PREFIX = "whsec_"


def decode_secret(secret: str) -> bytes:
    """The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the spec's libs)."""
    raw = secret.removeprefix(SECRET_PREFIX)
    try:
        key = base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise PermanentDeliveryError("webhook: secret is not whsec_<base64>") from exc
    if not key:
        raise PermanentDeliveryError("webhook: secret is empty")
    return key


def sign(key: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` value: `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}`."""
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def payload(message: Message, recipient: Recipient, *, timestamp: str) -> dict[str, Any]:
    """The JSON document a webhook receives (Standard Webhooks' type/timestamp/data envelope)."""
    return {
        "type": f"notification.{message.kind}",
        "timestamp": timestamp,
        "data": {
            "idempotency_key": message.idempotency_key,
            "kind": message.kind,
            "incident": {
                "id": message.incident_id,
                "ref": message.incident_ref,
                "title": message.title,
                "severity": message.severity,
                "status": message.status,
                "summary": message.summary,
                "level": message.level,
                "labels": message.labels,
                "url": message.incident_url,
                "ack_url": message.ack_url,
                "resolve_url": message.resolve_url,
            },
            "recipient": {"person_id": recipient.person_id, "name": recipient.name},
            "subject": message.subject,
            "text": message.text,
        },
    }


class WebhookChannel:
    """POSTs `payload()` to the configured URL; webhook-id = the delivery's idempotency key."""

    type = "webhook"

    def __init__(self, config: WebhookConfig, *, clock: Clock = utcnow) -> None:
        self.config = config
        self._clock = clock

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        now = self._clock()
        timestamp = int(now.timestamp())
        body = json.dumps(
            payload(message, recipient, timestamp=now.isoformat()),
            separators=(",", ":"),
            ensure_ascii=False,
        ).encode()
        headers = {
            "content-type": "application/json",
            "webhook-id": message.idempotency_key,
            "webhook-timestamp": str(timestamp),
        }
        secret = self.config.optional_secret("secret_env")
        if secret is not None:
            # Sign the exact bytes sent: re-serialising on the receiver would break it.
            headers["webhook-signature"] = sign(
                decode_secret(secret), message.idempotency_key, timestamp, body
            )
        response = request(
            http,
            "POST",
            self.config.url,
            what="webhook",
            timeout=self.config.timeout,
            now=self._clock,
            content=body,
            headers=headers,
        )
        return DeliveryReceipt(provider_id=None, detail=f"HTTP {response.status_code}")
