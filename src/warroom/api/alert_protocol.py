"""uvicorn's HTTP protocol, answering `POST /api/v2/alerts` without an ASGI cycle.

Prometheus posts alerts many times a second, often one or a few a request. Under
uvicorn, every request builds an ASGI scope, a request-response cycle with its event,
a task running the app, `receive` and two `send` messages whose headers are checked
again: a fifth of what a one-alert request costs the event loop, more than parsing and
storing the alert. Here the protocol recognises the path when the headers are complete,
collects the body itself and hands both to the app's `answer_alert_post` (the handler
the ASGI hot path and the documented route use too), then writes the answer in one
piece. Every other request, and any alert post this protocol does not take on
(`Expect: 100-continue`, a pipelined request behind another, an app without the
handler), goes through uvicorn unchanged.

This module imports nothing of the application: `serve --workers`' supervisor passes
the class to uvicorn without loading the app.
"""

from __future__ import annotations

import logging
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

log = logging.getLogger("warroom.api")

PATH = b"/api/v2/alerts"


class _AlertPost:
    """Stands in for uvicorn's request-response cycle while an alert post is answered:
    uvicorn reads `response_complete` (to queue a pipelined request behind it),
    `disconnected` and `message_event` (when the client goes away), `keep_alive` (at
    shutdown)."""

    __slots__ = ("target", "http_version", "authorization", "chunks", "size", "too_large",
                 "keep_alive", "response_complete", "disconnected", "message_event")

    def __init__(self, target: str, http_version: str, keep_alive: bool) -> None:
        # The request line, read now: a pipelined request parsed meanwhile replaces it.
        self.target, self.http_version = target, http_version
        self.authorization: str | None = None
        self.chunks: list[bytes] = []
        self.size = 0
        self.too_large = False
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.message_event = self  # connection_lost calls message_event.set()

    def set(self) -> None:
        """Nothing waits on this cycle's event; the answer notices `disconnected`."""


class AlertPostProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The app writes the access log (`api.hot_path`), leaving accepted alert posts
        # out; uvicorn would write a line for every request. Turned off here rather than
        # with uvicorn's `access_log=False`, which also stops the app's lines reaching
        # any handler (it empties the logger's handlers and stops its propagation).
        self.access_log = False
        handler = _handler_of(self.app)
        self._answer = handler.answer_alert_post if handler is not None else None
        self._limit: int = handler.max_body_bytes if handler is not None else 0
        self._post: _AlertPost | None = None

    def on_message_begin(self) -> None:
        self._post = None
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        if self._answer is not None and self._takes_this_request():
            return
        super().on_headers_complete()

    def _takes_this_request(self) -> bool:
        parser = self.parser
        if parser.get_method() != b"POST" or self.url.partition(b"?")[0] != PATH:
            return False
        if self.expect_100_continue or self.root_path or parser.should_upgrade():
            return False
        if self.cycle is not None and not self.cycle.response_complete:
            return False  # pipelined behind a request still being answered: uvicorn queues it
        if self.limit_concurrency is not None:
            return False  # uvicorn's 503 accounting applies
        version = parser.get_http_version()
        post = _AlertPost(self.url.decode("latin-1"), version,
                          keep_alive=version != "1.0" and parser.should_keep_alive())
        for name, value in self.headers:
            if name == b"authorization":
                post.authorization = value.decode("latin-1")
            elif name == b"content-length":
                try:
                    post.too_large = int(value) > self._limit
                except ValueError:
                    pass
        self._post = post
        self.cycle = post  # type: ignore[assignment]
        return True

    def on_body(self, body: bytes) -> None:
        post = self._post
        if post is None:
            super().on_body(body)
            return
        if post.too_large:
            return
        post.size += len(body)
        if post.size > self._limit:
            post.too_large, post.chunks = True, []
            return
        post.chunks.append(body)

    def on_message_complete(self) -> None:
        post = self._post
        if post is None:
            super().on_message_complete()
            return
        self._post = None
        body = None if post.too_large else b"".join(post.chunks)
        post.chunks = []
        task = self.loop.create_task(self._respond(post, body))
        task.add_done_callback(self.tasks.discard)
        self.tasks.add(task)

    async def _respond(self, post: _AlertPost, body: bytes | None) -> None:
        assert self._answer is not None
        try:
            status, content, headers = await self._answer(
                post.authorization, body, self.client, post.target, post.http_version)
        except Exception:  # the handler answers its own failures; this is a last resort
            log.exception("POST %s failed", PATH.decode())
            status, content, headers = 500, b'"internal error"', []
            post.keep_alive = False
        post.response_complete = True
        if post.disconnected or self.transport.is_closing():
            return
        out = [STATUS_LINE[status]]
        for name, value in (*self.server_state.default_headers, *headers):
            out += (name, b": ", value, b"\r\n")
        out.append(b"content-length: %d\r\n" % len(content))
        if not post.keep_alive:
            out.append(b"connection: close\r\n")
        out += (b"\r\n", content)
        self.transport.write(b"".join(out))
        if not post.keep_alive:
            self.transport.close()
        self.on_response_complete()


def _handler_of(app: Any) -> Any:
    """The app that has `answer_alert_post`, looking through the wrappers uvicorn may
    add (proxy headers, message logging)."""
    for _ in range(8):
        if hasattr(app, "answer_alert_post"):
            return app
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None
