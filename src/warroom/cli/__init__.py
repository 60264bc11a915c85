"""The `warroom` command line: server, database, tokens, incidents."""

from __future__ import annotations

import click
import pydantic
import typer
from rich.markup import escape
from typer.core import TyperGroup

from warroom import errors
from warroom.cli import admin, alerts, demo, gameday, incidents, oncall, serve
from warroom.cli.render import err_console

EXIT_CODES: list[tuple[type[errors.WarroomError], int]] = [
    (errors.ConfigError, 2),
    (errors.NotFound, 3),
    (errors.Conflict, 4),
    (errors.InvalidInput, 5),
    (errors.Unauthenticated, 6),
    (errors.PermissionDenied, 6),
]


class _WarroomGroup(TyperGroup):
    """Maps domain errors to a red one-line message and an exit code, once, for every command."""

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
app.command("serve")(serve.serve_command)
app.command("worker")(serve.worker_command)
app.add_typer(admin.db_app, name="db")
app.add_typer(admin.config_app, name="config")
app.add_typer(admin.token_app, name="token")
app.add_typer(admin.user_app, name="user")
app.command("classify")(admin.classify_command)
app.add_typer(incidents.incident_app, name="incident")
app.add_typer(alerts.integration_app, name="integration")
app.add_typer(alerts.alert_app, name="alert")
app.add_typer(alerts.route_app, name="route")
app.add_typer(alerts.silence_app, name="silence")
app.add_typer(oncall.oncall_app, name="oncall")
app.command("demo")(demo.demo_command)
app.command("gameday")(gameday.gameday_command)


def main() -> None:
    app()
