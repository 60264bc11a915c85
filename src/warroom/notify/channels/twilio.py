"""Twilio SMS and voice over its REST API with plain httpx (so tests can point at a fake)."""

from __future__ import annotations

from xml.sax.saxutils import escape

import httpx

from warroom.clock import utcnow
from warroom.notify.channels.base import Clock, DeliveryReceipt, json_body, request
from warroom.notify.config import TwilioConfig
from warroom.notify.errors import PermanentDeliveryError
from warroom.notify.message import Message, Recipient


def twiml(speech: str) -> str:
    """A TwiML document that reads `speech` twice (people pick up mid-sentence)."""
    return f'<Response><Say loop="2">{escape(speech)}</Say></Response>'


class TwilioChannel:
    """An SMS (`mode: sms`) or a phone call that reads the page aloud (`mode: voice`)."""

    type = "twilio"

    def __init__(self, config: TwilioConfig, *, clock: Clock = utcnow) -> None:
        self.config = config
        self._clock = clock

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        if not recipient.phone:
            raise PermanentDeliveryError(
                f"twilio: person {recipient.person_id} has no phone number"
            )
        form = {"To": recipient.phone, "From": self.config.from_}
        if self.config.mode == "sms":
            resource = "Messages.json"
            form["Body"] = message.text
        else:
            resource = "Calls.json"
            form["Twiml"] = twiml(
                str(message.extra.get("voice") or message.subject or message.text)
            )
        url = f"{self.config.base_url}/2010-04-01/Accounts/{self.config.account_sid}/{resource}"
        response = request(
            http,
            "POST",
            url,
            what=f"twilio {self.config.mode}",
            timeout=self.config.timeout,
            now=self._clock,
            data=form,
            auth=(self.config.account_sid, self.config.secret("auth_token_env")),
        )
        data = json_body(response)
        return DeliveryReceipt(
            provider_id=data.get("sid"), detail=str(data.get("status") or "queued")
        )
