"""The alert writer: every request waiting at one moment, applied in one transaction.

Monitoring sends alerts in many small, concurrent requests. A transaction per request
pays the per-transaction costs (locking groups and incidents, the timeline entry, the
commit) for one alert, and on SQLite every request also queues for the one write lock.
One thread per process instead takes all the requests queued at that moment, runs them
through the pipeline as one merged batch, commits once and answers each of them: under
load the batches grow by themselves, and an idle server still answers a lone request
at once. A 2xx still means committed: nothing is acknowledged before its transaction.

If a merged batch fails for any reason but contention, its requests are retried one by
one, so a request that cannot be stored fails alone (with a 5xx the sender retries).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from warroom.alerts import service as pipeline
from warroom.alerts.context import PipelineConfig
from warroom.alerts.model import IncomingAlert
from warroom.db import Database
from warroom.observability.metrics import Metrics

log = logging.getLogger("warroom.alerts")

POSTGRES_WRITERS = 2
MAX_BATCH_ALERTS = 1000  # per transaction: amortises well, bounds memory and latency
ATTEMPTS = 4


MAX_QUEUED_ALERTS = 50_000  # beyond this, new requests are refused with "retry later"


class Overloaded(Exception):
    """More alerts are waiting to be written than the writer takes on: the request is
    refused before anything is stored, and the sender should retry after a pause (429)."""

    retry_after_seconds = 1


def transient(exc: DBAPIError) -> bool:
    """A deadlock, a serialization failure, or SQLite's lock wait running out."""
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40P01", "40001") or "database is locked" in str(exc.orig)


Work = Callable[[Session], pipeline.Outcome]


@dataclass(eq=False)
class Submission:
    """One request's alerts; `work` replaces plain ingest for requests that also carry
    acknowledgements or change events (those are applied alone, in arrival order)."""

    sender: pipeline.Sender
    alerts: Sequence[IncomingAlert]
    now: datetime
    work: Work | None = None
    future: concurrent.futures.Future[pipeline.Outcome] = field(
        default_factory=concurrent.futures.Future)


class AlertWriter:
    """One per process; its thread starts with the first submission."""

    def __init__(self, db: Database, cfg: Callable[[], PipelineConfig],
                 metrics: Metrics | None = None) -> None:
        self.db, self._cfg, self.metrics = db, cfg, metrics
        self._queue: queue.SimpleQueue[Submission | None] = queue.SimpleQueue()
        # SQLite has one writer, so one thread; on PostgreSQL a few, so that one batch's
        # round trips to the server overlap with the next batch's work.
        self.threads = 1 if db.is_sqlite else POSTGRES_WRITERS
        self._workers: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self.max_queued_alerts = MAX_QUEUED_ALERTS
        self._queued_alerts = 0
        self._count_lock = threading.Lock()

    def submit(self, submission: Submission) -> concurrent.futures.Future[pipeline.Outcome]:
        """Queue a request; its future gets the request's outcome once committed.

        Raises Overloaded when the queue already holds `max_queued_alerts`: answering
        "retry later" at once beats answering after minutes, or running out of memory.
        """
        self._ensure_started()
        with self._count_lock:
            if self._queued_alerts and (self._queued_alerts + len(submission.alerts)
                                        > self.max_queued_alerts):
                raise Overloaded(f"{self._queued_alerts} alerts are waiting to be written")
            self._queued_alerts += len(submission.alerts)
        self._queue.put(submission)
        return submission.future

    def write(self, submission: Submission) -> pipeline.Outcome:
        """Submit and wait (from a worker thread)."""
        return self.submit(submission).result()

    async def write_async(self, submission: Submission) -> pipeline.Outcome:
        """Submit and wait (from the event loop)."""
        return await asyncio.wrap_future(self.submit(submission))

    def close(self, timeout: float = 10.0) -> None:
        """Finish what is queued and stop the threads."""
        with self._start_lock:
            workers, self._workers = self._workers, []
        for _ in workers:
            self._queue.put(None)
        for worker in workers:
            worker.join(timeout)

    def _ensure_started(self) -> None:
        if self._workers:
            return
        with self._start_lock:
            if not self._workers:
                for n in range(self.threads):
                    worker = threading.Thread(target=self._run, name=f"warroom-alerts-{n}",
                                              daemon=True)
                    worker.start()
                    self._workers.append(worker)

    # ------------------------------------------------------------------ the writer thread

    def _run(self) -> None:
        while True:
            batch, stop = self._take()
            if batch:
                try:
                    self._write(batch)
                except BaseException as exc:  # never leave a caller waiting
                    log.exception("alert writer failed on a batch")
                    for s in batch:
                        if not s.future.done():
                            s.future.set_exception(exc)
            if stop:
                return

    def _take(self) -> tuple[list[Submission], bool]:
        """Block for one submission, then take whatever else is already waiting."""
        first = self._queue.get()
        if first is None:
            return [], True
        batch, count = [first], len(first.alerts)
        while count < MAX_BATCH_ALERTS:
            try:
                more = self._queue.get_nowait()
            except queue.Empty:
                break
            if more is None:
                self._taken(count)
                return batch, True
            batch.append(more)
            count += len(more.alerts)
        self._taken(count)
        return batch, False

    def _taken(self, count: int) -> None:
        with self._count_lock:
            self._queued_alerts -= count

    def _write(self, batch: list[Submission]) -> None:
        started = time.perf_counter()
        try:
            results = self._retrying(lambda session: self._apply(session, batch))
        except Exception:
            if len(batch) == 1:
                raise
            log.warning("a batch of %d requests failed; writing them one by one", len(batch),
                        exc_info=True)
            for s in batch:
                try:
                    one = self._retrying(lambda session, s=s: self._apply(session, [s]))
                    s.future.set_result(one[0])
                except Exception as exc:
                    s.future.set_exception(exc)
            return
        for s, outcome in zip(batch, results, strict=True):
            s.future.set_result(outcome)
        if self.metrics is not None:
            self.metrics.ingest_batch_requests.observe(len(batch))
            self.metrics.ingest_batch_seconds.observe(time.perf_counter() - started)

    def _retrying(self, work: Callable[[Session], list[pipeline.Outcome]]
                  ) -> list[pipeline.Outcome]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.db.transaction() as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not transient(exc):
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def _apply(self, session: Session, batch: list[Submission]) -> list[pipeline.Outcome]:
        """Consecutive plain submissions of one sender are merged into one pipeline batch;
        the rest run alone, all in arrival order, all in this transaction."""
        cfg = self._cfg()
        results: dict[int, pipeline.Outcome] = {}
        run: list[Submission] = []

        def flush_run() -> None:
            if not run:
                return
            alerts = [a for s in run for a in s.alerts]
            now = max(s.now for s in run)
            merged = pipeline.ingest(session, alerts, cfg=cfg, sender=run[0].sender, now=now)
            for s in run:
                results[id(s)] = merged if len(run) == 1 else pipeline.share_of(merged, s.alerts,
                                                                                  cfg, now)
            run.clear()

        for s in batch:
            if s.work is not None:
                flush_run()
                results[id(s)] = s.work(session)
            else:
                if run and run[0].sender != s.sender:
                    flush_run()
                run.append(s)
        flush_run()
        return [results[id(s)] for s in batch]

