"""`warroom serve`: API and background engine in one process."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer
import uvicorn

from warroom.api.app import create_app
from warroom.auth import service as auth
from warroom.cli.context import open_database, settings_from
from warroom.cli.render import console
from warroom.clock import utcnow
from warroom.config import load_config
from warroom.engine import Engine

BOOTSTRAP_TOKEN = "bootstrap-admin"


def serve_command(
    host: Annotated[str | None, typer.Option(help="address to listen on [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on [default: 8080]")] = None,
    config: Annotated[Path | None, typer.Option(envvar="WARROOM_CONFIG", help="warroom.yaml")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="WARROOM_DATABASE_URL")] = None,
) -> None:
    """Serve the API and run the background engine (applies migrations on SQLite)."""
    settings = settings_from(config=config, database_url=database_url)
    if host:
        settings.host = host
    if port:
        settings.port = port
    cfg = load_config(settings.config)
    db = open_database(settings, migrate=settings.is_sqlite)
    with db.transaction() as session:
        if auth.count_active(session) == 0:
            _, token = auth.create_token(session, BOOTSTRAP_TOKEN, "admin", utcnow())
            console.print(
                "[bold]No API tokens yet: created an admin token (shown once).[/]\n"
                f"  export WARROOM_TOKEN={token}"
            )
    app = create_app(settings, config=cfg, db=db, engine=Engine())
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    console.print(f"warroom serving on [bold]{settings.listen_url}[/] "
                  f"(database: {'SQLite' if settings.is_sqlite else 'PostgreSQL'})")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                proxy_headers=False)
