"""The command line imports a command's module only when that command runs: `warroom
--help` lists every command from `COMMANDS` without loading the web stack or the ORM,
and the summaries it lists are the commands' own."""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from warroom.cli import COMMANDS, app, load_command

PROBE = """
import sys
from warroom.cli import main
sys.argv = ["warroom", *{args!r}]
try:
    main()
except SystemExit:
    pass
heavy = sorted(m for m in ("fastapi", "sqlalchemy", "uvicorn", "warroom.config.schema")
               if m in sys.modules)
print("LOADED", ",".join(heavy))
"""


def _loaded_by(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE.format(args=list(args))],
                          capture_output=True, text=True, timeout=60, check=True)
    line = next(ln for ln in done.stdout.splitlines() if ln.startswith("LOADED"))
    return set(filter(None, line.removeprefix("LOADED").strip().split(",")))


def test_root_help_lists_every_command_without_importing_them() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.replace("│", " ").split())  # the panel wraps lines
    for name, (_, _, summary) in COMMANDS.items():
        assert f" {name} {summary}" in text
    assert _loaded_by("--help") == set()


def test_a_command_loads_only_what_it_needs() -> None:
    # `route --help` needs the alert commands' module, not the server's.
    assert "fastapi" not in _loaded_by("route", "--help")
    assert "uvicorn" not in _loaded_by("route", "--help")


@pytest.mark.parametrize("name", list(COMMANDS))
def test_listed_summary_is_the_commands_own(name: str) -> None:
    command = load_command(name)
    assert command.name == name
    own = " ".join((command.help or "").split())
    assert own.startswith(COMMANDS[name][2].removesuffix("."))


def test_unknown_command_is_refused() -> None:
    result = CliRunner().invoke(app, ["no-such-command"])
    assert result.exit_code == 2
    assert "No such command" in result.output
