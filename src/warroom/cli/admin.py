"""Administration commands: database, configuration, tokens, classification."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from warroom.auth import service as auth
from warroom.auth.roles import Role
from warroom.cli.context import open_database, settings_from
from warroom.cli.render import console, print_json
from warroom.clock import utcnow
from warroom.config import load_config
from warroom.db import Database
from warroom.db.migrate import pending, upgrade
from warroom.durations import human_duration
from warroom.incidents.classify import Impact
from warroom.incidents.service import SeverityPolicy

ConfigOpt = Annotated[Path | None, typer.Option("--config", envvar="WARROOM_CONFIG",
                                                help="path to warroom.yaml")]
DbOpt = Annotated[str | None, typer.Option("--database-url", envvar="WARROOM_DATABASE_URL")]
JsonOpt = Annotated[bool, typer.Option("--json", help="machine-readable output")]

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
config_app = typer.Typer(help="Configuration (warroom.yaml).", no_args_is_help=True)
token_app = typer.Typer(help="API tokens.", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade(database_url: DbOpt = None) -> None:
    """Apply pending migrations."""
    settings = settings_from(database_url=database_url)
    db = Database(settings.sqlalchemy_url)
    todo = pending(db)
    upgrade(db)
    console.print(f"applied {len(todo)} migration(s)" + (f": {', '.join(todo)}" if todo else ""))


@config_app.command("check")
def config_check(config: ConfigOpt = None) -> None:
    """Validate warroom.yaml without starting anything."""
    settings = settings_from(config=config)
    cfg = load_config(settings.config)
    source = str(settings.config) if settings.config else "built-in defaults"
    scale = cfg.severity_scale()
    console.print(f"[green]ok[/]: {source}: {len(scale.levels)} severities "
                  f"({', '.join(scale.names)}), default {scale.default}, "
                  f"{len(cfg.services)} service(s)")


@token_app.command("create")
def token_create(
    name: Annotated[str, typer.Option("--name", help="who or what uses the token")],
    role: Annotated[Role, typer.Option("--role")] = Role.RESPONDER,
    database_url: DbOpt = None,
) -> None:
    """Create an API token; the token is printed alone on the last line, once."""
    settings = settings_from(database_url=database_url)
    db = open_database(settings, migrate=False)
    with db.transaction() as session:
        row, token = auth.create_token(session, name, role.value, utcnow())
    console.print(f"created {row.role} token {row.name!r}; store it now, it is not shown again:",
                  highlight=False)
    print(token)


@token_app.command("list")
def token_list(database_url: DbOpt = None, as_json: JsonOpt = False) -> None:
    """List tokens (never their secrets)."""
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.reading() as session:
        rows = [{"name": t.name, "role": t.role, "prefix": t.prefix,
                 "created_at": t.created_at.isoformat(),
                 "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None}
                for t in auth.list_tokens(session)]
    if as_json:
        print_json(rows)
        return
    table = Table("name", "role", "prefix", "created", "revoked")
    for r in rows:
        table.add_row(r["name"], r["role"], r["prefix"] + "…", r["created_at"],
                      r["revoked_at"] or "")
    console.print(table)


@token_app.command("revoke")
def token_revoke(name: str, database_url: DbOpt = None) -> None:
    """Revoke a token by name."""
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.transaction() as session:
        auth.revoke_token(session, name, utcnow())
    console.print(f"revoked {name!r}")


def classify_command(
    error_rate: Annotated[float | None, typer.Option(help="error rate, %")] = None,
    affected_users: Annotated[float | None, typer.Option(help="affected users, %")] = None,
    revenue_per_hour: Annotated[float | None, typer.Option(help="revenue impact per hour")] = None,
    security: Annotated[bool, typer.Option("--security", help="security incident")] = False,
    data_loss: Annotated[bool, typer.Option("--data-loss", help="data loss occurred")] = False,
    core_feature: Annotated[bool, typer.Option("--core-feature", help="core feature down")] = False,
    config: ConfigOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Classify severity from impact (seed 002's rules, configurable in warroom.yaml)."""
    cfg = load_config(settings_from(config=config).config)
    policy = SeverityPolicy.from_config(cfg)
    result = policy.classify(Impact(
        affected_users_pct=affected_users, error_rate_pct=error_rate,
        revenue_impact_per_hour=revenue_per_hour, security_incident=security,
        data_loss=data_loss, core_feature_affected=core_feature,
    ))
    level = policy.scale.require(result.severity)
    out = {
        "severity": level.name, "reason": result.reason,
        "response_time": human_duration(level.response_time),
        "update_every": human_duration(level.update_every),
        "required_roles": list(level.required_roles),
    }
    if as_json:
        print_json(out)
        return
    console.print(f"[bold]{level.name}[/] — {result.reason}")
    console.print(f"respond within {out['response_time']}, update every {out['update_every']}, "
                  f"roles: {', '.join(level.required_roles) or 'assigned engineer'}")


user_app = typer.Typer(help="Console user accounts.", no_args_is_help=True)


@user_app.command("create")
def user_create(
    email: str,
    role: Annotated[Role, typer.Option("--role")] = Role.RESPONDER,
    password: Annotated[str | None, typer.Option(
        "--password", help="at least 10 characters; asked for when omitted")] = None,
    database_url: DbOpt = None,
) -> None:
    """Create a user who signs in to the console (password stored with argon2)."""
    from warroom.users import service as users

    if password is None:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    db = open_database(settings_from(database_url=database_url), migrate=False)
    with db.transaction() as session:
        user = users.create_user(session, email, role.value, password, utcnow())
    console.print(f"created {user.role} user {user.email}", highlight=False)
