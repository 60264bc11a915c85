"""The jobs `warroom serve` runs beside the API, wired from the domains' services."""

from __future__ import annotations

import logging

from warroom.alerts import service as pipeline
from warroom.alerts.context import PipelineConfig
from warroom.clock import utcnow
from warroom.db import Database
from warroom.engine.runner import Job

log = logging.getLogger("warroom.engine")


def expire_alerts_job(db: Database, cfg: PipelineConfig, interval: float = 5.0) -> Job:
    """Resolve alerts whose end time passed without a resend (Prometheus went quiet)."""

    def run() -> int:
        total = 0
        while True:
            with db.transaction() as session:
                count = pipeline.expire_stale(session, cfg=cfg, now=utcnow())
            total += count
            if count < 1000:
                break
        if total:
            log.info("resolved %d alert(s) past their end time", total)
        return total

    return Job("expire-alerts", interval, run)


def default_jobs(db: Database, cfg: PipelineConfig) -> list[Job]:
    return [expire_alerts_job(db, cfg)]
