"""Console: one line per message on a stream or a logger, for the demo and local testing."""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import httpx

from warroom.notify.channels.base import DeliveryReceipt
from warroom.notify.config import ConsoleConfig
from warroom.notify.message import Message, Recipient


class ConsoleChannel:
    """Writes `-> <person>: <rendered one-liner>`; `stream` overrides the configured target."""

    type = "console"

    def __init__(self, config: ConsoleConfig, *, stream: TextIO | None = None) -> None:
        self.config = config
        self._stream = stream

    def send(
        self, message: Message, recipient: Recipient, *, http: httpx.Client
    ) -> DeliveryReceipt:
        text = " ".join((message.text or message.subject or message.title).split())
        line = f"-> {recipient.name} ({recipient.person_id}): {text}"
        if self._stream is None and self.config.target == "log":
            logging.getLogger(self.config.logger).warning("%s", line)
        else:
            stream = self._stream or (sys.stdout if self.config.target == "stdout" else sys.stderr)
            stream.write(line + "\n")
            stream.flush()
        return DeliveryReceipt(provider_id=None, detail="written")
