"""Real Prometheus / Alertmanager / amtool peers for the interoperability tests.

Each peer runs on a free 127.0.0.1 port with its config, storage and log in the test's
tmp_path, is waited for with a deadline, and is stopped (SIGTERM, then SIGKILL) afterwards.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.e2e.conftest import Server, free_port, run_cli

T = TypeVar("T")

PROMETHEUS = shutil.which("prometheus")
ALERTMANAGER = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
AMTOOL = shutil.which("amtool")


def require(binary: str | None, name: str, package: str) -> str:
    if binary is None:
        pytest.skip(f"{name} not installed (Debian package {package})")
    return binary


def wait_for(what: str, probe: Callable[[], T | None], timeout: float = 20,
             interval: float = 0.2, on_timeout: Callable[[], str] | None = None) -> T:
    """Call `probe` until it returns something truthy; fail with `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = probe()
            if value:
                return value
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            last_error = exc
        if time.monotonic() >= deadline:
            extra = on_timeout() if on_timeout else ""
            raise AssertionError(f"timed out after {timeout}s waiting for {what}"
                                 f" (last error: {last_error!r}){extra}")
        time.sleep(interval)


class Peer:
    """A child process listening on 127.0.0.1:`port`, logging to `log`."""

    name = "peer"

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.dir = workdir / f"{self.name}-{self.port}"
        self.dir.mkdir(parents=True)
        self.log = self.dir / "log.txt"
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return f"\n--- {self.name} log (last {lines} lines) ---\n" + "\n".join(text)

    def start(self, timeout: float = 20) -> Peer:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(self.command(), cwd=self.dir, stdout=log,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"{self.name} exited early ({self.proc.returncode})"
                                     f"{self.log_tail()}")
            return httpx.get(f"{self.url}/-/ready", timeout=1).status_code == 200

        wait_for(f"{self.name} to become ready", ready, timeout=timeout,
                 on_timeout=self.log_tail)
        return self

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)


def _yaml(data: Any) -> str:
    # JSON is valid YAML, and keeps secrets and paths correctly quoted.
    return json.dumps(data, indent=2) + "\n"


class Prometheus(Peer):
    """Prometheus with one rule file, sending alerts to the given Alertmanager URL."""

    name = "prometheus"

    def __init__(self, workdir: Path, *, rules: list[dict[str, Any]], alertmanager: str,
                 credentials: str | None = None, evaluation_interval: str = "1s",
                 also_notify: tuple[str, ...] = ()) -> None:
        super().__init__(workdir)
        self.binary = require(PROMETHEUS, "prometheus", "prometheus")
        rule_file = self.dir / "rules.yml"
        rule_file.write_text(_yaml({"groups": [
            {"name": "interop", "interval": evaluation_interval, "rules": rules}]}))
        target: dict[str, Any] = {
            "scheme": "http", "api_version": "v2", "timeout": "5s",
            "static_configs": [{"targets": [alertmanager.removeprefix("http://")]}],
        }
        if credentials is not None:
            target["authorization"] = {"type": "Bearer", "credentials": credentials}
        others = [{"scheme": "http", "api_version": "v2", "timeout": "5s",
                   "static_configs": [{"targets": [url.removeprefix("http://")]}]}
                  for url in also_notify]  # unauthenticated, e.g. a real Alertmanager
        self.config = self.dir / "prometheus.yml"
        self.config.write_text(_yaml({
            "global": {"scrape_interval": "15s", "evaluation_interval": evaluation_interval},
            "rule_files": [str(rule_file)],
            "alerting": {"alertmanagers": [target, *others]},
            "scrape_configs": [],
        }))

    def command(self) -> list[str]:
        return [
            self.binary, f"--config.file={self.config}",
            f"--storage.tsdb.path={self.dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--web.external-url={self.url}",
            "--rules.alert.resend-delay=1s", "--log.level=info",
        ]


class Alertmanager(Peer):
    """Alertmanager without clustering, with one webhook receiver."""

    name = "alertmanager"

    def __init__(self, workdir: Path, *, webhook_url: str | None,
                 credentials: str | None = None, receiver: str = "warroom") -> None:
        super().__init__(workdir)
        self.binary = require(ALERTMANAGER, "prometheus-alertmanager",
                              "prometheus-alertmanager")
        webhooks: list[dict[str, Any]] = []
        if webhook_url is not None:  # else a receiver that notifies nobody
            webhooks.append({"url": webhook_url, "send_resolved": True, "max_alerts": 0})
            if credentials is not None:
                webhooks[0]["http_config"] = {"authorization": {"type": "Bearer",
                                                                "credentials": credentials}}
        self.config = self.dir / "alertmanager.yml"
        self.config.write_text(_yaml({
            "global": {"resolve_timeout": "5m"},
            "route": {"receiver": receiver, "group_by": ["alertname"], "group_wait": "0s",
                      "group_interval": "1s", "repeat_interval": "1h"},
            "receivers": [{"name": receiver, "webhook_configs": webhooks}],
        }))

    def command(self) -> list[str]:
        return [
            self.binary, f"--config.file={self.config}",
            f"--storage.path={self.dir / 'data'}",
            f"--web.listen-address=127.0.0.1:{self.port}",
            f"--web.external-url={self.url}",
            "--cluster.listen-address=", "--log.level=debug",
        ]


class Amtool:
    """amtool pointed at an Alertmanager-compatible URL, authenticated by an http config."""

    def __init__(self, workdir: Path, url: str, credentials: str) -> None:
        self.binary = require(AMTOOL, "amtool", "prometheus-alertmanager")
        self.url = url
        workdir.mkdir(parents=True, exist_ok=True)
        self.http_config = workdir / "amtool-http.yml"
        self.http_config.write_text(_yaml({"authorization": {"type": "Bearer",
                                                             "credentials": credentials}}))
        # amtool reads $HOME/.config/prometheus/amtool.yml: keep the user's out.
        self.env = {"HOME": str(workdir), "PATH": "/usr/bin:/bin"}
        self.cwd = workdir

    def run(self, *args: str, check: bool = True,
            timeout: float = 15) -> subprocess.CompletedProcess[str]:
        cmd = [self.binary, f"--alertmanager.url={self.url}",
               f"--http.config.file={self.http_config}", *args]
        result = subprocess.run(cmd, capture_output=True, text=True, env=self.env,
                                cwd=self.cwd, timeout=timeout)
        if check and result.returncode != 0:
            raise AssertionError(f"amtool {' '.join(args)} failed ({result.returncode}):\n"
                                 f"{result.stdout}\n{result.stderr}")
        return result


class Warroom:
    """A started warroom server plus an alertmanager-format integration key and a token."""

    def __init__(self, server: Server, env: dict[str, str], cwd: Path) -> None:
        # Server start and both CLI calls at once: each costs a Python start-up of seconds.
        with ThreadPoolExecutor(3) as pool:
            started = pool.submit(server.start)
            key = pool.submit(run_cli, "integration", "create", "--name", "interop",
                              "--format", "alertmanager", env=env, cwd=cwd)
            token = pool.submit(run_cli, "token", "create", "--name", "interop", "--role",
                                "responder", env=env, cwd=cwd)
            self.key = key.result().stdout.strip().splitlines()[-1]
            self.token = token.result().stdout.strip().splitlines()[-1]
            self.server = started.result()
        self.url = server.url
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def incidents(self) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/v1/incidents", headers=self.headers, timeout=5)
        assert r.status_code == 200, r.text
        body = r.json()
        items = body["items"] if isinstance(body, dict) else body
        return list(items)

    def incident_titled(self, text: str) -> dict[str, Any] | None:
        return next((i for i in self.incidents() if text in i["title"]), None)

    def alerts(self, **params: Any) -> list[dict[str, Any]]:
        r = httpx.get(f"{self.url}/api/v2/alerts", params=params, headers=self.headers,
                      timeout=5)
        assert r.status_code == 200, r.text
        return list(r.json())

    def log_tail(self, lines: int = 40) -> str:
        text = self.server.log.read_text(errors="replace").splitlines()[-lines:]
        return f"\n--- warroom log (last {lines} lines) ---\n" + "\n".join(text)
