"""The jobs `warroom serve` and `warroom worker` run, wired from the domains' services."""

from __future__ import annotations

import logging

from warroom.alerts import service as pipeline
from warroom.alerts.context import PipelineConfig
from warroom.clock import utcnow
from warroom.db import Database
from warroom.engine.runner import Job
from warroom.escalation import service as escalation
from warroom.escalation.service import EscalationSetup
from warroom.notify.dispatch import Dispatcher
from warroom.observability.metrics import Metrics

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


def timers_job(db: Database, setup: EscalationSetup, metrics: Metrics | None = None,
               interval: float = 0.05) -> Job:
    """Fire due escalation steps, reminders and condition checks until none is due.

    Polling every 50 ms keeps the wait before a due step small next to the 250 ms the
    lag target allows; an idle poll is one indexed query.
    """

    def run() -> int:
        fired = 0
        while True:
            with db.transaction() as session:
                report = escalation.fire_due(session, setup, utcnow())
            if metrics is not None:
                metrics.timers_fired.inc(report.fired)
                for lag in report.lags:
                    metrics.timer_lag.observe(lag)
            fired += report.fired + report.stale
            if report.fired + report.stale < 200:
                return fired

    return Job("timers", interval, run)


def deliveries_job(dispatcher: Dispatcher, interval: float = 0.2) -> Job:
    def run() -> int:
        sent = 0
        while True:
            count = dispatcher.run_once()
            sent += count
            if count < 50:
                return sent

    return Job("deliveries", interval, run)


def default_jobs(db: Database, cfg: PipelineConfig, setup: EscalationSetup,
                 dispatcher: Dispatcher, metrics: Metrics | None = None) -> list[Job]:
    return [expire_alerts_job(db, cfg), timers_job(db, setup, metrics),
            deliveries_job(dispatcher)]
