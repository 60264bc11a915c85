"""The jobs `warroom serve` and `warroom worker` run, wired from the domains' services."""

from __future__ import annotations

import logging

from warroom.alerts import service as pipeline
from warroom.alerts.context import PipelineConfig
from warroom.clock import utcnow
from warroom.db import Database
from warroom.engine.runner import Job, Priority
from warroom.escalation import fire
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


def fire_until_idle(db: Database, setup: EscalationSetup, metrics: Metrics | None = None,
                    priority: Priority | None = None) -> int:
    """Fire due timers, a batch per transaction, until a batch is not full; how many.

    Lag is observed once a batch has committed: a page exists for everyone else only then.
    """
    performed = 0
    try:
        while True:
            with db.transaction() as session:
                report = fire.fire_due(session, setup, utcnow())
            committed = utcnow()
            if not report.due:
                return performed
            if priority is not None:
                priority.busy()
            performed += len(report.due)
            if metrics is not None:
                metrics.timers_fired.inc(report.fired)
                for due in report.due:
                    metrics.timer_lag.observe((committed - due).total_seconds())
            if len(report.due) < fire.BATCH:
                return performed
    finally:
        if priority is not None:
            priority.idle()


def seconds_to_next_timer(db: Database, interval: float) -> float:
    """How long to sleep before firing again: until the earliest pending timer falls due,
    at most `interval` (which bounds how late a timer another process wrote is noticed)."""
    with db.reading() as session:
        due = fire.next_due(session)
    if due is None:
        return interval
    # Never spin: a past due time can be a timer another worker is firing right now.
    return min(interval, max(0.002, (due - utcnow()).total_seconds()))


def timers_job(db: Database, setup: EscalationSetup, metrics: Metrics | None = None,
               interval: float = 0.05, priority: Priority | None = None) -> Job:
    """Fire due escalation steps, reminders and condition checks until none is due; then
    sleep until the next one falls due (polling at least every `interval`)."""
    return Job("timers", interval,
               lambda: fire_until_idle(db, setup, metrics, priority),
               lambda: seconds_to_next_timer(db, interval))


def deliveries_job(dispatcher: Dispatcher, interval: float = 0.2,
                   priority: Priority | None = None) -> Job:
    def run() -> int:
        sent = 0
        while True:
            count = dispatcher.run_once(pause=priority.wait if priority else None)
            sent += count
            if count < 50:
                return sent

    return Job("deliveries", interval, run)


def default_jobs(db: Database, cfg: PipelineConfig, setup: EscalationSetup,
                 dispatcher: Dispatcher, metrics: Metrics | None = None) -> list[Job]:
    priority = Priority()
    return [expire_alerts_job(db, cfg), timers_job(db, setup, metrics, priority=priority),
            deliveries_job(dispatcher, priority=priority)]
