"""On PostgreSQL, `warroom worker` shares the timers through procrastinate.

The timer rows stay the source of truth: written in the transaction of the incident
change, claimed with `FOR UPDATE SKIP LOCKED`, marked done in the transaction that
performed the step. Procrastinate decides *which worker watches the clock when*:

    periodic job `warroom.timers.watch`, one per second for the whole cluster
    (procrastinate's periodic defers are unique per tick) ──► whichever worker fetches
    it fires what is due, sleeping until each next due time, for `WINDOW` seconds

So several workers share the timeline second by second (and a burst batch by batch, as
each new second's job joins in with SKIP LOCKED). A worker killed mid-second loses only
its uncommitted batch: its timers are still pending rows, and the next second's job, on
any worker, finds them overdue and fires them. A step is never lost, and never paged
twice (generation check and delivery idempotency keys). Deliveries and alert expiry keep
running as the engine's own jobs beside the procrastinate worker.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from warroom.db import Database
from warroom.engine.jobs import fire_until_idle, seconds_to_next_timer
from warroom.escalation.service import EscalationSetup
from warroom.observability.metrics import Metrics

log = logging.getLogger("warroom.engine")

QUEUE = "warroom-timers"
WATCH = "warroom.timers.watch"
#: How long one watch job watches. Procrastinate defers a periodic job about half a
#: second after its tick, so consecutive jobs must overlap for the clock to be watched
#: without a gap; overlapping watchers are harmless (SKIP LOCKED).
WINDOW = 2.0
#: A watch job that starts later than this after its window fires what is due and ends,
#: so the jobs of an outage do not queue up behind each other.
LATE = 2.0


def conninfo(database_url: str) -> str:
    """The libpq URL procrastinate's psycopg pool wants (no SQLAlchemy driver suffix)."""
    return database_url.replace("postgresql+psycopg://", "postgresql://", 1)


def watch(db: Database, setup: EscalationSetup, start: float, *, seconds: float = WINDOW,
          interval: float = 0.05, metrics: Metrics | None = None) -> int:
    """Fire due timers from `start` (epoch seconds) for `seconds`; how many were fired."""
    end = start + seconds
    performed = fire_until_idle(db, setup, metrics)
    if time.time() > end + LATE:
        return performed
    while (left := end - time.time()) > 0:
        time.sleep(min(left, seconds_to_next_timer(db, interval)))
        performed += fire_until_idle(db, setup, metrics)
    return performed


def build_app(db: Database, setup: EscalationSetup, database_url: str,
              metrics: Metrics | None = None) -> Any:
    """The procrastinate app of `warroom worker`: one periodic task watching the timers."""
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(
        conninfo=conninfo(database_url)))

    @app.periodic(cron="* * * * * *", periodic_id="timers")
    @app.task(name=WATCH, queue=QUEUE)
    def watch_timers(timestamp: int) -> int:
        fired = watch(db, setup, float(timestamp), metrics=metrics)
        if fired:
            log.info("fired %d timer(s) in the second from %d", fired, timestamp)
        return fired

    return app


def run_worker(app: Any) -> None:
    """Run procrastinate's worker until SIGINT / SIGTERM (it installs the handlers)."""
    app.run_worker(queues=[QUEUE], concurrency=2, delete_jobs="successful",
                   wait=True, install_signal_handlers=True)
