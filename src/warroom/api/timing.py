"""Request latency for /metrics, as plain ASGI middleware (no task groups, so errors raised
below it, such as the body limit's, propagate unchanged)."""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from warroom.observability.metrics import Metrics


class RequestTiming:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.request_latency.labels(scope["method"], route, str(status)).observe(
                time.perf_counter() - started)
