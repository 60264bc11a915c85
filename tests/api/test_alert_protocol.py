"""`api.alert_protocol`: alert posts answered from uvicorn's protocol, on a real server on a
loopback port, spoken to over raw sockets so every byte of HTTP/1.1 is what is checked:
the answers, keep-alive, pipelining, the body limit, and the requests it leaves to
uvicorn."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from tests.integration.test_alert_writer import Gate
from tests.live_server import LiveServer
from warroom.alerts import writer as writer_module
from warroom.alerts.models import Alert
from warroom.api.alert_protocol import AlertPostProtocol
from warroom.api.app import create_app
from warroom.api.hot_path import WarroomApp
from warroom.config import WarroomConfig
from warroom.db import Database
from warroom.settings import Settings
from warroom.testing.intake import intake_processed


def _server(settings: Settings, db: Database) -> LiveServer:
    return LiveServer(create_app(settings, config=WarroomConfig(), db=db), http=AlertPostProtocol)


def _connect(live: LiveServer) -> socket.socket:
    return socket.create_connection(("127.0.0.1", live.port), timeout=10)


@pytest.fixture
def asgi_posts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Alert posts that reached the ASGI app's own hot path, i.e. that the protocol
    left to uvicorn."""
    seen: list[str] = []
    original = WarroomApp._post_alerts

    async def counted(self: WarroomApp, scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await original(self, scope, receive, send)

    monkeypatch.setattr(WarroomApp, "_post_alerts", counted)
    return seen


@pytest.fixture
def server(settings: Settings, db: Database, asgi_posts: list[str]) -> Iterator[LiveServer]:
    with _server(settings, db) as live:
        yield live


def _post(key: str, body: bytes, *extra: str, version: str = "1.1",
          target: str = "/api/v2/alerts") -> bytes:
    head = [f"POST {target} HTTP/{version}", "Host: warroom",
            f"Authorization: Bearer {key}", "Content-Type: application/json",
            f"Content-Length: {len(body)}", *extra]
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


def _alerts(*names: str) -> bytes:
    return json.dumps([{"labels": {"alertname": n, "severity": "warning"}}
                       for n in names]).encode()


class Reader:
    """Reads HTTP/1.1 responses (Content-Length framed) off one socket."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def response(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._more()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(self.buffer) < length:
            self._more()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def closed(self) -> bool:
        return self.sock.recv(1) == b""

    def _more(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("server closed the connection")
        self.buffer += chunk


def _stored(db: Database) -> set[str]:
    with db.reading() as session:
        return {a.labels["alertname"] for a in session.scalars(select(Alert))}


def test_an_alert_post_is_answered_by_the_protocol_and_the_connection_stays_open(
        server: LiveServer, db: Database, make_integration: Callable[..., str],
        asgi_posts: list[str]) -> None:
    key = make_integration("alertmanager")
    with _connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(_post(key, _alerts("DiskFull")))
        status, headers, body = reader.response()
        assert (status, body, headers["content-length"]) == (200, b"", "0")
        assert "connection" not in headers and "date" in headers
        # the same connection serves the next post and then a request uvicorn answers
        sock.sendall(_post(key, _alerts("CpuHot")))
        assert reader.response()[0] == 200
        sock.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: warroom\r\n\r\n")
        assert reader.response()[0] == 200
    assert _stored(db) == {"DiskFull", "CpuHot"}
    assert asgi_posts == []  # both posts were answered below the ASGI app


def test_pipelined_requests_are_answered_in_order(
        server: LiveServer, db: Database, make_integration: Callable[..., str],
        asgi_posts: list[str]) -> None:
    key = make_integration("alertmanager")
    with _connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(_post(key, _alerts("First")) + _post("wrong-key", _alerts("Nope"))
                     + b"GET /-/ready HTTP/1.1\r\nHost: warroom\r\n\r\n"
                     + _post(key, _alerts("Last")))
        answers = [reader.response() for _ in range(4)]
    assert [a[0] for a in answers] == [200, 401, 200, 200]
    assert b"integration key" in answers[1][2]
    assert _stored(db) == {"First", "Last"}
    # the protocol took the first; those queued behind it went through uvicorn
    assert len(asgi_posts) == 2


def test_refusals_say_what_is_wrong_and_store_nothing_bad(
        server: LiveServer, db: Database, make_integration: Callable[..., str]) -> None:
    key = make_integration("alertmanager")
    with _connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(_post(key, b"[{"))
        status, headers, body = reader.response()
        assert status == 400 and headers["content-type"] == "application/json"
        assert b"not valid JSON" in body
        # best effort: the valid alert of a partly bad batch is stored, the answer says
        # what was not
        sock.sendall(_post(key, json.dumps(
            [{"labels": {"alertname": "Kept"}}, {"labels": {}}]).encode()))
        status, _, body = reader.response()
        assert status == 400 and b"label" in body
    assert _stored(db) == {"Kept"}


def test_a_body_over_the_limit_gets_413_declared_or_chunked(
        settings: Settings, db: Database, make_integration: Callable[..., str]) -> None:
    settings.max_body_bytes = 2_000
    key = make_integration("alertmanager")
    big = _alerts(*(f"Big{i}" for i in range(100)))
    assert len(big) > 2_000
    with _server(settings, db) as live, _connect(live) as sock:
        reader = Reader(sock)
        sock.sendall(_post(key, big))
        status, _, body = reader.response()
        assert status == 413 and b"2000" in body
        head = ("POST /api/v2/alerts HTTP/1.1\r\nHost: warroom\r\n"
                f"Authorization: Bearer {key}\r\nTransfer-Encoding: chunked\r\n\r\n").encode()
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(big[i:i + 500]), big[i:i + 500])
                          for i in range(0, len(big), 500))
        sock.sendall(head + chunks + b"0\r\n\r\n")
        assert reader.response()[0] == 413
        sock.sendall(_post(key, _alerts("Small")))  # and the connection goes on
        assert reader.response()[0] == 200
    assert _stored(db) == {"Small"}


def test_http_1_0_and_connection_close_get_their_answer_and_a_closed_connection(
        server: LiveServer, db: Database, make_integration: Callable[..., str]) -> None:
    key = make_integration("alertmanager")
    for request in (_post(key, _alerts("Old"), version="1.0"),
                    _post(key, _alerts("Closing"), "Connection: close")):
        with _connect(server) as sock:
            reader = Reader(sock)
            sock.sendall(request)
            status, headers, _ = reader.response()
            assert status == 200 and headers["connection"] == "close"
            assert reader.closed()
    assert _stored(db) == {"Old", "Closing"}


def test_refused_posts_are_access_logged_with_their_request_line(
        server: LiveServer, db: Database, make_integration: Callable[..., str],
        asgi_posts: list[str]) -> None:
    lines: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    access = logging.getLogger("uvicorn.access")
    access.addHandler(handler)
    level, access.level = access.level, logging.INFO
    try:
        for request in (_post("wrong-key", _alerts("Nope"), version="1.0",
                              target="/api/v2/alerts?from=prometheus"),
                        _post(make_integration("alertmanager"), _alerts("Fine"))):
            with _connect(server) as sock:
                sock.sendall(request)
                Reader(sock).response()
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    # the refused one, as uvicorn would write it; the accepted one is counted, not logged
    assert len(lines) == 1, lines
    assert lines[0].endswith('"POST /api/v2/alerts?from=prometheus HTTP/1.0" 401')
    assert asgi_posts == []


def test_expect_100_continue_is_left_to_uvicorn(
        server: LiveServer, db: Database, make_integration: Callable[..., str],
        asgi_posts: list[str]) -> None:
    key = make_integration("alertmanager")
    body = _alerts("Patient")
    with _connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(_post(key, body, "Expect: 100-continue")[:-len(body)])
        assert reader.response()[0] == 100
        sock.sendall(body)
        assert reader.response()[0] == 200
    assert _stored(db) == {"Patient"}
    assert asgi_posts == ["/api/v2/alerts"]


def test_a_client_that_leaves_before_its_answer_does_not_disturb_the_server(
        server: LiveServer, db: Database, make_integration: Callable[..., str]) -> None:
    key = make_integration("alertmanager")
    for i in range(20):
        sock = _connect(server)
        sock.sendall(_post(key, _alerts(f"Gone{i}")))
        sock.close()
    with _connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(_post(key, _alerts("Stayed")))
        assert reader.response()[0] == 200
    intake_processed(db)  # answered once journaled when several came together
    stored = _stored(db)
    assert "Stayed" in stored
    # an alert whose sender left is stored or not, never half: each one is a row or absent
    assert stored <= {"Stayed", *(f"Gone{i}" for i in range(20))}


def test_posts_answered_before_processing_are_listed_by_the_next_read(
        server: LiveServer, db: Database, make_integration: Callable[..., str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Posts that arrive together are answered once journaled; a `GET /api/v2/alerts`
    after their answers still lists them (it waits for the writer to catch up)."""
    monkeypatch.setattr(writer_module, "PROCESS_AFTER_SECONDS", 1.0)
    key = make_integration("alertmanager")
    writer = server.app.state.warroom.writer
    gates = [Gate() for _ in range(writer.threads)]
    for gate in gates:  # every writer thread busy while the posts arrive
        gate.hold(writer)
    names = [f"Together{i}" for i in range(6)]
    sockets = [_connect(server) for _ in names]
    try:
        for sock, name in zip(sockets, names, strict=True):
            sock.sendall(_post(key, _alerts(name)))
        time.sleep(0.2)  # all six reach the writer's queue
        for gate in gates:
            gate.release.set()
        assert [Reader(s).response()[0] for s in sockets] == [200] * len(names)
    finally:
        for sock in sockets:
            sock.close()
    assert not _stored(db) & set(names)  # answered, not processed yet
    with _connect(server) as sock:
        reader = Reader(sock)
        sock.sendall(f"GET /api/v2/alerts HTTP/1.1\r\nHost: warroom\r\n"
                     f"Authorization: Bearer {key}\r\n\r\n".encode())
        status, _, body = reader.response()
    assert status == 200
    assert {a["labels"]["alertname"] for a in json.loads(body)} == set(names)
