"""Prometheus' `POST /api/v2/alerts`, served below the framework.

Prometheus and amtool post alerts many times a second; the framework's generic layers
(routing through every route, dependency resolution, telemetry, exception translation)
cost more per request than parsing and storing the alerts. `WarroomApp` answers that one
path with the same handler the documented route uses (`am_routes.answer_post`), keeping
what matters of the generic layers: the body size limit, the latency metric and a JSON
500 that says nothing but that it failed. Everything else goes through FastAPI. In a
served process most alert posts do not even reach this: `api.alert_protocol` answers
them from uvicorn's protocol with `answer_alert_post`.

The access log is written here, not by uvicorn (whose own access logging
`api.alert_protocol` turns off in a served process): uvicorn builds a log record for
every request before any filter can drop it, and for accepted alert posts, which are
counted in /metrics and would drown the log, that record cost more than a tenth of the
request. Refused posts and every other request are
logged, in uvicorn's format and under its `uvicorn.access` logger name.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from warroom.alerts.am_routes import answer_post
from warroom.alerts.writer import Overloaded
from warroom.api.limits import too_large_body

log = logging.getLogger("warroom.api")
access_log = logging.getLogger("uvicorn.access")

PATH = "/api/v2/alerts"
_JSON = [(b"content-type", b"application/json")]
_RETRY_AFTER = (b"retry-after", str(Overloaded.retry_after_seconds).encode())


class WarroomApp(FastAPI):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            if scope["path"] == PATH and scope["method"] == "POST":
                await self._post_alerts(scope, receive, send)
                return
            if access_log.isEnabledFor(logging.INFO):
                send = _logged(scope, send)
        await super().__call__(scope, receive, send)

    @property
    def max_body_bytes(self) -> int:
        return self.state.warroom.settings.max_body_bytes

    async def answer_alert_post(self, authorization: str | None, body: bytes | None,
                                client: tuple[str, int] | None, target: str,
                                http_version: str) -> tuple[
                                    int, bytes, list[tuple[bytes, bytes]]]:
        """Status, body and headers (besides the length) of the answer to an alert post
        whose body is `body`, or None when it was larger than the limit; `client`,
        `target` (path and query) and `http_version` are for the access log. Served from
        here and from `api.alert_protocol`, which calls it without an ASGI cycle."""
        started = time.perf_counter()
        state: Any = self.state.warroom
        try:
            if body is None:
                status, content = 413, too_large_body(state.settings.max_body_bytes)
            else:
                status, content = await answer_post(state, authorization, body)
        except Exception:
            log.exception("POST %s failed", PATH)
            status, content = 500, \
                b'"internal error: the alerts were not stored; send them again"'
        headers = _JSON if content else []
        if status == 429:
            headers = [*headers, _RETRY_AFTER]
        if status >= 300:
            log_access(client, "POST", target, http_version, status)
        state.metrics.request_latency.labels("POST", PATH, str(status)).observe(
            time.perf_counter() - started)
        return status, content, headers

    async def _post_alerts(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization, declared = _headers(scope)
        body = None
        if declared <= self.max_body_bytes:
            try:
                body = await _read_body(receive, self.max_body_bytes)
            except ConnectionError:
                return  # nobody to answer, nothing stored
        status, content, headers = await self.answer_alert_post(
            authorization, body, scope.get("client"), _target(scope),
            scope.get("http_version", "1.1"))
        headers = [*headers, (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def log_access(client: tuple[str, int] | None, method: str, path: str, http_version: str,
               status: int) -> None:
    """One access-log line, as uvicorn writes it: `client - "METHOD path HTTP/v" status`."""
    access_log.info('%s - "%s %s HTTP/%s" %d', f"{client[0]}:{client[1]}" if client else "-",
                    method, path, http_version, status)


def _target(scope: Scope) -> str:
    """The request's path and query, as the access log shows them."""
    path = scope.get("root_path", "") + scope["path"]
    if scope.get("query_string"):
        path += "?" + scope["query_string"].decode("latin-1")
    return path


def _log_scope(scope: Scope, status: int) -> None:
    log_access(scope.get("client"), scope["method"], _target(scope),
               scope.get("http_version", "1.1"), status)


def _logged(scope: Scope, send: Send) -> Send:
    async def send_logged(message: Any) -> None:
        if message["type"] == "http.response.start":
            _log_scope(scope, message["status"])
        await send(message)
    return send_logged


def _headers(scope: Scope) -> tuple[str | None, int]:
    authorization, declared = None, 0
    for name, value in scope["headers"]:
        if name == b"authorization":
            authorization = value.decode("latin-1")
        elif name == b"content-length":
            try:
                declared = int(value)
            except ValueError:
                declared = 0
    return authorization, declared


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it grows past `limit`."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)
