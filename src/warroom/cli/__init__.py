"""The `warroom` command line: server, database, tokens, incidents."""

from __future__ import annotations

import sys

import typer

from warroom import errors
from warroom.cli import admin, incidents, serve
from warroom.cli.render import err_console

app = typer.Typer(
    name="warroom",
    help="Incident response automation: ingest alerts, page people, run the incident.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="rich",
)
app.command("serve")(serve.serve_command)
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.config_app, name="config")
app.add_typer(admin.token_app, name="token")
app.command("classify")(admin.classify_command)
app.add_typer(incidents.incident_app, name="incident")

EXIT_CODES: list[tuple[type[errors.WarroomError], int]] = [
    (errors.ConfigError, 2),
    (errors.NotFound, 3),
    (errors.Conflict, 4),
    (errors.InvalidInput, 5),
    (errors.Unauthenticated, 6),
    (errors.PermissionDenied, 6),
]


def main() -> None:
    try:
        app(standalone_mode=True)
    except errors.WarroomError as exc:
        err_console.print(f"[bold red]error:[/] {exc.message}", markup=True, highlight=False)
        code = next((c for cls, c in EXIT_CODES if isinstance(exc, cls)), 1)
        sys.exit(code)
