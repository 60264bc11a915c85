"""The ASGI application factory: wires settings, configuration and database to the routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text

import warroom
from warroom.alerts.am_routes import router as am_router
from warroom.alerts.context import PipelineConfig
from warroom.alerts.ingest_routes import router as ingest_router
from warroom.alerts.routes import router as alerts_router
from warroom.alerts.writer import AlertWriter
from warroom.api import errors
from warroom.api.hot_path import WarroomApp
from warroom.api.limits import BodySizeLimit
from warroom.api.state import AppState
from warroom.api.timing import RequestTiming
from warroom.auth.routes import router as auth_router
from warroom.config import WarroomConfig, load_config
from warroom.db import Database
from warroom.engine import Engine
from warroom.escalation.routes import router as escalation_router
from warroom.escalation.setup import attach
from warroom.incidents.routes import router as incidents_router
from warroom.incidents.service import SeverityPolicy
from warroom.integrations.keys import KeyCache
from warroom.integrations.routes import router as integrations_router
from warroom.links.chatops import router as chatops_router
from warroom.links.routes import router as links_router
from warroom.observability.metrics import Metrics
from warroom.oncall.routes import router as oncall_router
from warroom.settings import Settings
from warroom.suppression.routes import router as suppression_router
from warroom.users.routes import router as users_router
from warroom.web.routes import router as web_router

WEB_STATIC = Path(__file__).resolve().parents[1] / "web" / "static"


def create_app(
    settings: Settings,
    *,
    config: WarroomConfig | None = None,
    db: Database | None = None,
    engine: Engine | None = None,
    metrics: Metrics | None = None,
    pipeline: PipelineConfig | None = None,
) -> FastAPI:
    """Build the app; `engine` (if given) starts and stops with it."""
    config = config if config is not None else load_config(settings.config)
    db = db or Database(settings.sqlalchemy_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # The alert writer starts now: it processes what a stopped process accepted.
        _app.state.warroom.writer.start()
        if engine:
            engine.start()
        try:
            yield
        finally:
            if engine:
                engine.stop()
            _app.state.warroom.writer.close()

    app = WarroomApp(
        title="warroom",
        version=warroom.__version__,
        description="Incident response automation: incidents, timeline, reports.",
        lifespan=lifespan,
    )
    policy = SeverityPolicy.from_config(config)
    escalation = attach(db, config)
    metrics = metrics or Metrics(db)
    pipeline = pipeline or PipelineConfig.from_config(config, policy)
    app.state.warroom = AppState(settings=settings, config=config, db=db, policy=policy,
                                 pipeline=pipeline, metrics=metrics, escalation=escalation,
                                 writer=AlertWriter(db, lambda: pipeline, metrics),
                                 integration_keys=KeyCache(db))
    errors.install(app)
    # The monitoring-facing routes first: routes are tried in order, and these take the
    # bulk of the traffic.
    app.include_router(am_router)
    app.include_router(ingest_router)
    app.include_router(incidents_router)
    app.include_router(auth_router)
    app.include_router(users_router)
    app.include_router(alerts_router)
    app.include_router(suppression_router)
    app.include_router(integrations_router)
    app.include_router(escalation_router)
    app.include_router(oncall_router)
    app.include_router(links_router)
    app.include_router(chatops_router)
    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=str(WEB_STATIC)), name="static")

    @app.get("/healthz", tags=["health"])
    def healthz() -> JSONResponse:
        """Liveness and database reachability; no authentication."""
        try:
            with db.reading() as session:
                session.execute(text("SELECT 1"))
        except Exception as exc:  # report, don't crash: this is what health checks are for
            return JSONResponse({"status": "fail", "database": type(exc).__name__},
                                status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "version": warroom.__version__})

    @app.get("/metrics", tags=["health"], response_class=PlainTextResponse)
    def prometheus_metrics() -> PlainTextResponse:
        """Prometheus exposition format; no authentication, like /healthz."""
        return PlainTextResponse(metrics.exposition(),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    app.add_middleware(RequestTiming, metrics=metrics)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    return app
