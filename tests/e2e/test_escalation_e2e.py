"""Paging end to end: a real `warroom serve` (and `warroom worker`s), a real SMTP server
(aiosmtpd), escalation by the clock, acknowledgement through the emailed link, and
crashes (SIGKILL) between two escalation steps."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.e2e.conftest import WARROOM, Server, free_port, run_cli

pytestmark = pytest.mark.e2e
LEVEL_DELAY = 4  # seconds between level 1 (primary) and level 2 (bob)


@dataclass
class Inbox:
    messages: list[tuple[float, str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.messages.append((time.monotonic(), rcpt, parsed))
        return "250 OK"

    def to(self, address: str) -> list[tuple[float, Any]]:
        with self.lock:
            return [(t, m) for t, r, m in self.messages if r == address]

    def wait_for(self, address: str, count: int = 1, timeout: float = 15) -> list[tuple[float, Any]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.to(address)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"no mail for {address} within {timeout}s; got "
                             f"{[(r, m['subject']) for _, r, m in self.messages]}")


@pytest.fixture
def inbox() -> Iterator[tuple[Inbox, int]]:
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def write_config(tmp_path: Path, smtp_port: int) -> Path:
    path = tmp_path / "warroom.yaml"
    path.write_text(f"""
people:
  - {{id: alice, name: Alice, email: alice@example.com}}
  - {{id: bob, name: Bob, email: bob@example.com}}
schedules:
  - id: primary
    timezone: UTC
    rotation: {{type: custom, length: 1000d, start: "2020-01-01T00:00", members: [alice]}}
channels:
  - {{id: mail, type: email, host: 127.0.0.1, port: {smtp_port}, from: warroom@example.com,
     starttls: false}}
escalation_policies:
  - id: checkout
    levels:
      - {{delay: 0s, notify: ["schedule:primary"], via: [mail]}}
      - {{delay: {LEVEL_DELAY}s, notify: ["person:bob"], via: [mail]}}
services:
  - {{id: checkout, escalation_policy: checkout}}
""")
    return path


def body_text(message: Any) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    return str(part.get_content()) if part is not None else str(message)


def declare(url: str, token: str) -> dict[str, Any]:
    r = httpx.post(f"{url}/api/v1/incidents", headers={"Authorization": f"Bearer {token}"},
                   json={"title": "Checkout down", "severity": "SEV1", "service": "checkout"})
    assert r.status_code == 201, r.text
    return r.json()


def incident(url: str, token: str, ref: str) -> dict[str, Any]:
    return httpx.get(f"{url}/api/v1/incidents/{ref}",
                     headers={"Authorization": f"Bearer {token}"}).json()


@pytest.fixture
def configured(server_env: dict[str, str], tmp_path: Path,
               inbox: tuple[Inbox, int]) -> tuple[dict[str, str], str]:
    env = {**server_env, "WARROOM_CONFIG": str(write_config(tmp_path, inbox[1]))}
    token = run_cli("token", "create", "--name", "ops", "--role", "responder", env=env,
                    cwd=tmp_path).stdout.strip().splitlines()[-1]
    return env, token


def test_sev1_pages_primary_at_once_and_secondary_after_the_delay(
    configured: tuple[dict[str, str], str], inbox: tuple[Inbox, int], tmp_path: Path,
) -> None:
    env, token = configured
    mail, _ = inbox
    server = Server(env, tmp_path).start()
    try:
        started = time.monotonic()
        inc = declare(server.url, token)
        first = mail.wait_for("alice@example.com")
        assert first[0][0] - started < LEVEL_DELAY
        assert mail.to("bob@example.com") == []
        second = mail.wait_for("bob@example.com", timeout=LEVEL_DELAY + 10)
        assert second[0][0] - started >= LEVEL_DELAY
        assert inc["reference"] in second[0][1]["subject"]
    finally:
        server.stop()


def test_acknowledging_through_the_emailed_link_stops_the_escalation(
    configured: tuple[dict[str, str], str], inbox: tuple[Inbox, int], tmp_path: Path,
) -> None:
    env, token = configured
    mail, _ = inbox
    server = Server(env, tmp_path).start()
    try:
        inc = declare(server.url, token)
        text = body_text(mail.wait_for("alice@example.com")[0][1])
        links = re.findall(r"http://127\.0\.0\.1:\d+/a/[A-Za-z0-9_.\-]+", text)
        assert len(links) >= 2, text
        ack = links[0]
        page = httpx.get(ack)  # what a mail scanner does: must not act
        assert page.status_code == 200 and "Acknowledge" in page.text
        assert incident(server.url, token, inc["id"])["status"] == "triggered"
        done = httpx.post(ack)
        assert "acknowledged" in done.text
        assert incident(server.url, token, inc["id"])["status"] == "acknowledged"
        time.sleep(LEVEL_DELAY + 2)
        assert mail.to("bob@example.com") == []
        kinds = [e["kind"] for e in httpx.get(
            f"{server.url}/api/v1/incidents/{inc['id']}/timeline",
            headers={"Authorization": f"Bearer {token}"}).json()]
        assert "notification.delivered" in kinds and "escalation.stopped" in kinds
    finally:
        server.stop()


def test_second_page_goes_out_after_serve_is_killed_between_steps(
    configured: tuple[dict[str, str], str], inbox: tuple[Inbox, int], tmp_path: Path,
) -> None:
    env, token = configured
    mail, _ = inbox
    server = Server(env, tmp_path).start()
    started = time.monotonic()
    declare(server.url, token)
    mail.wait_for("alice@example.com")
    server.kill()  # SIGKILL: the level-2 timer is only a row in the database now
    time.sleep(max(0.0, started + LEVEL_DELAY + 1 - time.monotonic()))
    assert mail.to("bob@example.com") == []
    server.start()  # restarted after the second step fell due
    try:
        mail.wait_for("bob@example.com", timeout=15)
        time.sleep(1)
        assert len(mail.to("bob@example.com")) == 1 and len(mail.to("alice@example.com")) == 1
    finally:
        server.stop()


def procrastinate_ticks(database_url: str) -> int:
    """Ticks procrastinate deferred for warroom's timer watch (its periodic-defer rows)."""
    import psycopg

    with psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_periodic_defers "
                           "WHERE task_name = 'warroom.timers.watch'").fetchone()
    return int(row[0]) if row else 0


@pytest.mark.skipif(not os.environ.get("WARROOM_TEST_DATABASE_URL"),
                    reason="needs PostgreSQL (runs in the PostgreSQL pass of make test)")
def test_two_workers_on_postgres_one_killed_between_steps(
    configured: tuple[dict[str, str], str], inbox: tuple[Inbox, int], tmp_path: Path,
) -> None:
    env, token = configured
    mail, _ = inbox
    port = free_port()
    env = {**env, "WARROOM_PUBLIC_URL": f"http://127.0.0.1:{port}"}
    api = subprocess.Popen([WARROOM, "serve", "--no-engine", "--port", str(port)], env=env,
                           cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    workers = [subprocess.Popen([WARROOM, "worker"], env=env, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
               for _ in range(2)]
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        started = time.monotonic()
        declare(url, token)
        mail.wait_for("alice@example.com")
        workers[0].kill()
        workers[0].wait(10)
        second = mail.wait_for("bob@example.com", timeout=LEVEL_DELAY + 15)
        assert second[0][0] - started >= LEVEL_DELAY
        time.sleep(1.5)
        assert len(mail.to("bob@example.com")) == 1 and len(mail.to("alice@example.com")) == 1
        # The workers watched the timers through procrastinate's periodic job.
        assert procrastinate_ticks(env["WARROOM_DATABASE_URL"]) > 0
    finally:
        for proc in [api, *workers]:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
