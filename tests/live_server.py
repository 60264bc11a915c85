"""A real uvicorn server for a test's app, on a free loopback port, in a thread."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from tests.e2e.conftest import free_port


class LiveServer:
    """`with LiveServer(app) as live:` serves `app` at `live.url` until the block ends;
    keyword arguments go to `uvicorn.Config` (e.g. `http=` a protocol class)."""

    def __init__(self, app: Any, **config: Any) -> None:
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(
            app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on",
            **config))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise AssertionError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)
