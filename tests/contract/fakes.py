"""Local fake providers for channel contract tests: a recording HTTP server and a real SMTP
server (aiosmtpd), both on 127.0.0.1 and a free port, both with programmable answers.

Fixtures are defined as `fixture_<name>` with `name=<name>`: import `fixture_fake_http` (and
friends) into a test module and ask for `fake_http` (no import is shadowed by an argument).
"""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from aiosmtpd.controller import Controller

from warroom.notify.errors import PermanentDeliveryError, RetryableDeliveryError
from warroom.notify.message import Message, Recipient
from warroom.notify.render import render

# Short enough to keep the suite fast, long enough for a loaded CI machine.
CLIENT_TIMEOUT = 0.3
SLOW = 2.0  # the fake's delay in timeout tests: well past CLIENT_TIMEOUT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Recorded:
    """One request as the fake server saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def form(self) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(self.body.decode(), keep_blank_values=True).items()}


@dataclass
class Reply:
    """What the fake answers: status, headers, body (dict -> JSON), after `delay` seconds."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class FakeHTTP:
    """A threaded http.server that records every request and answers with `reply`."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.reply = Reply()
        self._stop = threading.Event()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
                fake._handle(self)

            do_GET = do_PUT = do_DELETE = do_PATCH = do_POST  # noqa: N815

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.server.block_on_close = False
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self._thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def respond(
        self,
        status: int = 200,
        body: Any = b"",
        *,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        self.reply = Reply(status, body, headers or {}, delay)

    @property
    def last(self) -> Recorded:
        assert self.requests, "the fake server received no request"
        return self.requests[-1]

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = handler.rfile.read(length)
        parts = urlsplit(handler.path)
        self.requests.append(
            Recorded(
                method=handler.command,
                path=parts.path,
                query=parse_qs(parts.query),
                headers={k.lower(): v for k, v in handler.headers.items()},
                body=body,
            )
        )
        reply = self.reply
        if reply.delay and self._stop.wait(reply.delay):
            return  # shutting down: drop the connection
        payload = reply.body
        content_type = "text/plain"
        if isinstance(payload, dict | list):
            payload, content_type = json.dumps(payload).encode(), "application/json"
        elif isinstance(payload, str):
            payload = payload.encode()
        try:
            handler.send_response(reply.status)
            handler.send_header("content-type", content_type)
            handler.send_header("content-length", str(len(payload)))
            for name, value in reply.headers.items():
                handler.send_header(name, value)
            handler.end_headers()
            handler.wfile.write(payload)
        except OSError:
            pass  # the client gave up (timeout tests)

    def __enter__(self) -> FakeHTTP:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(name="fake_http")
def fixture_fake_http() -> Iterator[FakeHTTP]:
    with FakeHTTP() as server:
        yield server


@pytest.fixture(name="http", scope="module")
def fixture_http() -> Iterator[httpx.Client]:
    """The injected client, as the delivery service would pass it, with a short timeout.

    Module-scoped: building a client (its TLS context) costs more than most tests here.
    """
    with httpx.Client(timeout=CLIENT_TIMEOUT) as client:
        yield client


@dataclass
class SMTPReply:
    """Programmable answers: `rcpt`/`data` replies (None = accept) and a delay before DATA ends."""

    rcpt: str | None = None
    data: str | None = None
    delay: float = 0.0


class _Handler:
    def __init__(self, fake: FakeSMTP) -> None:
        self.fake = fake

    async def handle_RCPT(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        address: str,  # noqa: N802
        rcpt_options: list[str],
    ) -> str:
        if self.fake.reply.rcpt:
            return self.fake.reply.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        reply = self.fake.reply
        if reply.delay:
            await asyncio.sleep(reply.delay)
        if reply.data:
            return reply.data
        self.fake.received.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message_from_bytes(envelope.content, policy=policy.default),
            )
        )
        return "250 Message accepted for delivery"


class FakeSMTP:
    """A real SMTP server (aiosmtpd) that keeps every accepted message."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []
        self.reply = SMTPReply()
        self.port = free_port()
        self.controller = Controller(
            _Handler(self), hostname="127.0.0.1", port=self.port, ready_timeout=5
        )

    @property
    def last(self) -> EmailMessage:
        assert self.received, "the fake SMTP server accepted no message"
        return self.received[-1][2]

    def __enter__(self) -> FakeSMTP:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop(no_assert=True)


@pytest.fixture(name="smtp_server", scope="module")
def fixture_smtp_server() -> Iterator[FakeSMTP]:
    with FakeSMTP() as server:
        yield server


@pytest.fixture(name="fake_smtp")
def fixture_fake_smtp(smtp_server: FakeSMTP) -> FakeSMTP:
    """The module's SMTP server, with its replies and mailbox reset for this test."""
    smtp_server.reply = SMTPReply()
    smtp_server.received.clear()
    return smtp_server


# --- messages and recipients -------------------------------------------------------------

# (status, expected error) pairs every HTTP channel must honour.
STATUS_CASES = [
    (400, PermanentDeliveryError),
    (401, PermanentDeliveryError),
    (404, PermanentDeliveryError),
    (408, RetryableDeliveryError),
    (500, RetryableDeliveryError),
    (503, RetryableDeliveryError),
]

INCIDENT_ID = "6f1c2a9e-1d2b-4c3d-9e8f-0a1b2c3d4e5f"


def make_message(channel_type: str | None = None, **fields: Any) -> Message:
    """A page for INC-42 (hostile title included), rendered for `channel_type` if given."""
    values: dict[str, Any] = {
        "idempotency_key": "delivery-17:attempt-key",
        "kind": "page",
        "incident_id": INCIDENT_ID,
        "incident_ref": "INC-42",
        "title": "Checkout <script>alert(1)</script> 5xx & rising",
        "severity": "SEV1",
        "status": "triggered",
        "summary": "checkout-api error rate 12% over 5m",
        "incident_url": "https://warroom.example/incidents/INC-42",
        "ack_url": "https://warroom.example/a/tok123?do=ack&x=1",
        "resolve_url": "https://warroom.example/a/tok123?do=resolve",
        "level": 1,
        "extra": {"labels": {"service": "checkout", "env": "prod"}},
    } | fields
    message = Message(**values)
    return render(message, channel_type) if channel_type else message


def make_recipient(**fields: Any) -> Recipient:
    values: dict[str, Any] = {
        "person_id": "p-ann",
        "name": "Ann Example",
        "email": "ann@example.com",
        "phone": "+15005550006",
        "chat": {"slack": "U024BE7LH", "opsgenie": "ann@example.com"},
        "timezone": "Europe/Berlin",
    } | fields
    return Recipient(**values)
