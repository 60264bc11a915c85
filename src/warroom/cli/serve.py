"""`warroom serve`: API and background engine in one process, or in several
(`--workers N`: the API in each, the engine in one of them)."""

from __future__ import annotations

import os
import secrets
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI
from rich.markup import escape

from warroom.alerts.context import PipelineConfig
from warroom.auth import service as auth
from warroom.cli.context import open_database, settings_from
from warroom.cli.render import console
from warroom.clock import utcnow
from warroom.config import load_config
from warroom.config.schema import WarroomConfig
from warroom.db import Database
from warroom.engine import Engine
from warroom.engine.jobs import default_jobs
from warroom.escalation.setup import attach
from warroom.incidents.service import SeverityPolicy
from warroom.integrations import service as integrations
from warroom.observability.logging import configure_logging
from warroom.settings import Settings, environment
from warroom.users import service as users

BOOTSTRAP_TOKEN = "bootstrap-admin"
FIRST_ADMIN = "admin@warroom.local"


def serve_command(
    host: Annotated[str | None, typer.Option(help="address to listen on [default: 127.0.0.1]")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on [default: 8080]")] = None,
    config: Annotated[Path | None, typer.Option(envvar="WARROOM_CONFIG", help="warroom.yaml")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="WARROOM_DATABASE_URL")] = None,
    engine: Annotated[bool, typer.Option(
        "--engine/--no-engine", help="run timers and deliveries here too (off when "
        "`warroom worker` processes do it)")] = True,
    workers: Annotated[int, typer.Option(
        envvar="WARROOM_WORKERS", min=1, max=64,
        help="server processes sharing the port: the API runs in each, the engine in one; "
        "more than one uses more cores (SQLite writers take turns)")] = 1,
) -> None:
    """Serve the API and run the background engine (applies migrations on SQLite)."""
    # Imported here so the other commands start fast without loading the web stack.
    import uvicorn

    from warroom.api.alert_protocol import AlertPostProtocol

    settings = settings_from(config=config, database_url=database_url)
    if host:
        settings.host = host
    if port:
        settings.port = port
    cfg = load_config(settings.config)
    db = open_database(settings, migrate=settings.is_sqlite)
    _first_start(settings, db, cfg)
    configure_logging(settings.log_level, settings.log_format)
    console.print(f"warroom serving on [bold]{settings.listen_url}[/] "
                  f"(database: {'SQLite' if settings.is_sqlite else 'PostgreSQL'}"
                  f"{f', {workers} workers' if workers > 1 else ''})")
    if workers > 1:
        db.dispose()
        _serve_workers(settings, workers, engine)
        return
    app = _build_app(settings, cfg, db, engine=engine)
    freeze_startup_objects()
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=settings.log_level,
                proxy_headers=False, log_config=None,
                http=AlertPostProtocol)  # the access log is the app's (api.hot_path)


def _first_start(settings: Settings, db: Database, cfg: WarroomConfig) -> None:
    """Declared integrations, and the first token and user of a new installation."""
    with db.transaction() as session:
        for warning in integrations.sync_declared(session, cfg.integrations, environment(),
                                                  utcnow()):
            console.print(f"[yellow]warning:[/] {escape(warning)}")
        if auth.count_active(session) == 0:
            _, token = auth.create_token(session, BOOTSTRAP_TOKEN, "admin", utcnow())
            console.print(
                "[bold]No API tokens yet: created an admin token (shown once).[/]\n"
                f"  export WARROOM_TOKEN={token}"
            )
        if users.count_users(session) == 0:
            password = secrets.token_urlsafe(12)
            users.create_user(session, FIRST_ADMIN, "admin", password, utcnow())
            console.print(
                "[bold]No console users yet: created the first admin (shown once).[/]\n"
                f"  sign in at {settings.listen_url}/login as {FIRST_ADMIN} / {password}"
            )


def _build_app(settings: Settings, cfg: WarroomConfig, db: Database, *, engine: bool,
               shared: bool = False) -> FastAPI:
    """The app with its engine; `shared`: one of several workers (the engine runs in
    whichever holds the engine lock, silences are checked for other workers' writes)."""
    from warroom.api.app import create_app
    from warroom.engine.leader import EngineLeader, lock_path
    from warroom.notify.dispatch import Dispatcher
    from warroom.observability.metrics import Metrics
    from warroom.suppression.service import ActiveSilences

    users.prepare_sign_in()
    pipeline = PipelineConfig.from_config(cfg, SeverityPolicy.from_config(cfg))
    # The alert writer's own (its silences are read on its thread, the jobs' on theirs).
    ingest = replace(pipeline, silences=ActiveSilences(shared=shared))
    setup = attach(db, cfg)
    metrics = Metrics(db)
    jobs = default_jobs(db, pipeline, setup, Dispatcher(db, cfg, settings, metrics=metrics),
                        metrics)
    runner: Engine | EngineLeader | None = Engine(jobs) if engine else None
    if runner is not None and shared:
        runner = EngineLeader(runner, lock_path(settings.sqlalchemy_url))
        db.checkpoint_elsewhere()  # the leader's checkpoint job; not every worker's commits
    return create_app(settings, config=cfg, db=db, engine=runner,  # type: ignore[arg-type]
                      metrics=metrics, pipeline=ingest)


#: Set by `serve --workers` for its worker processes: whether they run the engine.
WORKER_ENGINE = "WARROOM_WORKER_ENGINE"


def _serve_workers(settings: Settings, workers: int, engine: bool) -> None:
    """Become the supervisor of `workers` processes of `worker_app` on one port
    (`warroom.supervise`). Their counters meet in a directory of prometheus_client's
    multiprocess mode, removed when the supervisor exits."""
    import sys

    from warroom.observability.metrics import MULTIPROCESS_DIR

    shared = tempfile.mkdtemp(prefix="warroom-metrics-")
    os.environ.update({MULTIPROCESS_DIR: shared, WORKER_ENGINE: "1" if engine else "0",
                       "WARROOM_DATABASE_URL": settings.database_url,
                       "WARROOM_HOST": settings.host, "WARROOM_PORT": str(settings.port)})
    if settings.config is not None:
        os.environ["WARROOM_CONFIG"] = str(settings.config)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, [sys.executable, "-m", "warroom.supervise", str(workers),
                              settings.host, str(settings.port), settings.log_level, shared])


def worker_app() -> FastAPI:
    """One worker process of `serve --workers` (settings from the environment the
    supervisor set; the database is already migrated)."""
    from warroom.observability.metrics import MULTIPROCESS_DIR, forget_dead_workers

    forget_dead_workers(os.environ[MULTIPROCESS_DIR])
    settings = settings_from()
    cfg = load_config(settings.config)
    db = open_database(settings, migrate=False)
    app = _build_app(settings, cfg, db, engine=os.environ.get(WORKER_ENGINE) == "1",
                     shared=True)
    configure_logging(settings.log_level, settings.log_format)
    freeze_startup_objects()
    return app


# Young collections start once this many more container objects were allocated than
# freed. The default (700) ran one every few alerts of a storm, each walking every alert
# still in flight: ~8 % of a loaded server's time at 100 alerts per request. Requests free
# what they allocate by reference counting, so at this threshold a steady storm triggers
# almost none, and at most this many objects of cyclic garbage wait for the next one.
YOUNG_COLLECTION_THRESHOLD = 50_000


def freeze_startup_objects() -> None:
    """Move everything start-up created (modules, config, the app) out of the garbage
    collector's view: its full collections then walk only what requests allocate, which
    keeps them short under an alert storm. Collections start less often, too (see
    `YOUNG_COLLECTION_THRESHOLD`)."""
    import gc

    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, older, oldest)


def worker_command(
    config: Annotated[Path | None, typer.Option(envvar="WARROOM_CONFIG", help="warroom.yaml")] = None,
    database_url: Annotated[str | None, typer.Option(envvar="WARROOM_DATABASE_URL")] = None,
) -> None:
    """Run the background engine only (timers, deliveries, alert expiry). Start any number,
    on any machine, against one PostgreSQL: they share the work row by row, the timers
    through a procrastinate worker."""
    import signal
    import threading

    from warroom.notify.dispatch import Dispatcher

    settings = settings_from(config=config, database_url=database_url)
    cfg = load_config(settings.config)
    db = open_database(settings, migrate=False)
    pipeline = PipelineConfig.from_config(cfg, SeverityPolicy.from_config(cfg))
    setup = attach(db, cfg)
    jobs = default_jobs(db, pipeline, setup, Dispatcher(db, cfg, settings))
    configure_logging(settings.log_level, settings.log_format)
    if not settings.is_sqlite:
        from warroom.engine import queue

        engine = Engine([j for j in jobs if j.name != "timers"])
        engine.start()
        console.print("warroom worker running (PostgreSQL, timers through procrastinate)")
        try:
            queue.run_worker(queue.build_app(db, setup, settings.database_url))
        finally:
            engine.stop()
        return
    engine = Engine(jobs)
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    engine.start()
    console.print(f"warroom worker running ({'SQLite' if settings.is_sqlite else 'PostgreSQL'})")
    stop.wait()
    engine.stop()
