"""`warroom serve` runs under the C allocator (see warroom.allocator), in the process
that was started, unless the operator chose an allocator."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import Server


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def command_of(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_serve_runs_itself_again_under_the_c_allocator(server: Server) -> None:
    server.env.pop("PYTHONMALLOC", None)
    server.start()
    assert server.proc is not None
    pid = server.proc.pid  # exec keeps the process id: service managers still see it
    assert environment_of(pid).get("PYTHONMALLOC") == "malloc"
    assert "serve" in command_of(pid)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
def test_an_allocator_the_operator_chose_is_kept(server: Server) -> None:
    server.env["PYTHONMALLOC"] = "pymalloc"
    server.start()
    assert server.proc is not None
    assert environment_of(server.proc.pid).get("PYTHONMALLOC") == "pymalloc"
