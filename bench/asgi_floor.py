#!/usr/bin/env python3
"""The floor of warroom's server stack: uvicorn (uvloop + httptools, as `warroom serve`
runs it) with an ASGI app that reads the body, parses it with orjson, checks it is a
list and answers `200 {}` — no auth, no validation, no database, no commit.

`bench/ingest.py --targets asgi-floor,...` starts it as a target beside warroom and
Alertmanager, so the table shows how much of Alertmanager's rate any single-process
Python ASGI server reaches on this machine before doing any of warroom's work.

    python bench/asgi_floor.py PORT
"""

from __future__ import annotations

import sys

import orjson
import uvicorn

OK = {"type": "http.response.start", "status": 200,
      "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]}
BAD = {"type": "http.response.start", "status": 400,
       "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")]}


async def app(scope, receive, send):  # type: ignore[no-untyped-def]
    if scope["type"] != "http":
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    try:  # a GET (the bench's health check) has no body
        ok = scope["method"] == "GET" or isinstance(orjson.loads(body), list)
    except orjson.JSONDecodeError:
        ok = False
    await send(OK if ok else BAD)
    await send({"type": "http.response.body", "body": b"{}"})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning",
                access_log=False, proxy_headers=False, log_config=None)
