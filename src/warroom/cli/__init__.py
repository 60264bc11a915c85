"""The `warroom` command line: server, database, tokens, incidents.

Each command's module is imported only when that command runs (or shows its own help):
the modules between them pull in the web stack, the ORM and every domain, and a person
typing `warroom route test` or `warroom --help` at 3 AM should not wait for all of it.
`COMMANDS` names where each lives and the one-line summary `warroom --help` lists.
"""

from __future__ import annotations

import importlib

import click
import pydantic
import typer
from rich.markup import escape
from typer.core import TyperGroup

from warroom import errors
from warroom.cli.render import err_console

# name: (module, attribute: a typer.Typer of sub-commands or a command function, summary)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("warroom.cli.serve", "serve_command",
              "Serve the API and run the background engine (applies migrations on SQLite)."),
    "worker": ("warroom.cli.serve", "worker_command",
               "Run the background engine only (timers, deliveries, alert expiry)."),
    "db": ("warroom.cli.admin", "db_app", "Database schema."),
    "config": ("warroom.cli.admin", "config_app", "Configuration (warroom.yaml)."),
    "token": ("warroom.cli.admin", "token_app", "API tokens."),
    "user": ("warroom.cli.admin", "user_app", "Console user accounts."),
    "classify": ("warroom.cli.admin", "classify_command",
                 "Classify severity from impact (seed 002's rules, configurable in "
                 "warroom.yaml)."),
    "incident": ("warroom.cli.incidents", "incident_app", "Declare, list and work incidents."),
    "integration": ("warroom.cli.alerts", "integration_app", "Alert sources and their keys."),
    "alert": ("warroom.cli.alerts", "alert_app", "Send and list alerts."),
    "route": ("warroom.cli.alerts", "route_app", "The routing tree."),
    "silence": ("warroom.cli.alerts", "silence_app", "Silences (Alertmanager-compatible)."),
    "oncall": ("warroom.cli.oncall", "oncall_app", "Who is on call, shifts and calendar feeds."),
    "demo": ("warroom.cli.demo", "demo_command",
             "Play a scripted outage against a running warroom (the example configuration)."),
    "gameday": ("warroom.cli.gameday", "gameday_command",
                "Inject a drill incident and follow who gets paged, when, and who answers."),
}


def load_command(name: str) -> click.Command:
    """Import the command `name` and build its click command."""
    module, attribute, _ = COMMANDS[name]
    target = getattr(importlib.import_module(module), attribute)
    if isinstance(target, typer.Typer):
        command = typer.main.get_group(target)
    else:
        single = typer.Typer(rich_markup_mode="rich")
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command

EXIT_CODES: list[tuple[type[errors.WarroomError], int]] = [
    (errors.ConfigError, 2),
    (errors.NotFound, 3),
    (errors.Conflict, 4),
    (errors.InvalidInput, 5),
    (errors.Unauthenticated, 6),
    (errors.PermissionDenied, 6),
]


class _WarroomGroup(TyperGroup):
    """Loads commands on first use (`COMMANDS`), and maps domain errors to a red one-line
    message and an exit code, once, for every command."""

    _listing = False  # formatting the root help: list summaries, import nothing

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        if self._listing:
            return click.Command(cmd_name, help=COMMANDS[cmd_name][2])
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_help(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except errors.WarroomError as exc:
            code = next((c for cls, c in EXIT_CODES if isinstance(exc, cls)), 1)
            message = exc.message
        except pydantic.ValidationError as exc:
            code = 5
            message = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'input'}: {e['msg']}" for e in exc.errors()
            )
        err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
        raise typer.Exit(code)


app = typer.Typer(
    cls=_WarroomGroup,
    name="warroom",
    help="Incident response automation: ingest alerts, page people, run the incident.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)


@app.callback()
def _root() -> None:
    """Makes `app` a group although no command is registered on it (they load lazily);
    its help is the `help=` above, which takes precedence over this docstring."""


def main() -> None:
    app()
