"""The jobs `warroom serve` and `warroom worker` run, wired from the domains' services."""

from __future__ import annotations

import logging
from datetime import datetime

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
                    priority: Priority | None = None, *, checkpointed: bool = False,
                    prepared: fire.Prepared | None = None, due_read: bool = False) -> int:
    """Fire due timers, a batch per transaction, until a batch is not full; how many.
    Batches of `prepared` are written first when they still hold (`fire.fire_due`).

    Lag is observed once a batch has committed: a page exists for everyone else only then.
    `checkpointed` (SQLite, with `checkpoint_job` running): fire on the database's bulk
    connection, whose commits leave checkpoints to that job (see `db.engine.BULK_PRAGMAS`).
    `due_read`: the caller has just read that something is due.
    """
    performed = 0
    if not (due_read or (prepared and prepared.chunks)) and not _due_now(db, bulk=checkpointed):
        return 0  # read first: an idle poll must not take the write turn from ingest
    if priority is not None:  # senders hold back from the first batch on, not the second
        priority.busy()
    try:
        while True:
            with db.transaction(bulk=checkpointed) as session:
                report = fire.fire_due(session, setup, utcnow(), prepared=prepared)
            committed = utcnow()
            if not report.due:
                return performed
            performed += len(report.due)
            if metrics is not None:
                metrics.timers_fired.inc(report.fired)
                for due in report.due:
                    metrics.timer_lag.observe((committed - due).total_seconds())
            if len(report.due) < fire.BATCH and not (prepared and prepared.chunks):
                return performed
    finally:
        if priority is not None:
            priority.idle()


def _next_due(db: Database, *, bulk: bool = False) -> datetime | None:
    with db.reading(bulk=bulk) as session:
        return fire.next_due(session)


def _due_now(db: Database, *, bulk: bool) -> bool:
    return _is_due(_next_due(db, bulk=bulk))


def _is_due(due: datetime | None) -> bool:
    return due is not None and due <= utcnow()


def seconds_to_next_timer(db: Database, interval: float) -> float:
    """How long to sleep before firing again: until the earliest pending timer falls due,
    at most `interval` (which bounds how late a timer another process wrote is noticed)."""
    return _seconds_until(_next_due(db), interval)


def _seconds_until(due: datetime | None, interval: float) -> float:
    if due is None:
        return interval
    # Never spin: a past due time can be a timer another worker is firing right now.
    return min(interval, max(0.002, (due - utcnow()).total_seconds()))


#: A burst is decided ahead (`fire.prepare`, up to 10,000 steps) when its due instant is
#: at most this many seconds away, and at least `PREPARE_LEAD`: deciding 10,000 steps
#: takes ~0.15-0.25 s.
PREPARE_AHEAD = 5.0
PREPARE_LEAD = 0.5


_UNREAD = object()


class TimerFiring:
    """The timers job: fire what is due; then, on SQLite's bulk connection, decide the
    next due instant's timers ahead, so that when it comes only their rows are left to
    write (the statements of a burst, not the Python that builds them, set its lag).

    A round with nothing due reads the next due instant once, and both the decision
    ahead and the pause before the next round use that read: the job polls 20 times a
    second, and under an alert storm its three reads a round took ~6 % of the server's
    GIL time away from ingest."""

    def __init__(self, db: Database, setup: EscalationSetup, metrics: Metrics | None = None,
                 priority: Priority | None = None, *, checkpointed: bool = False) -> None:
        self.db, self.setup, self.metrics, self.priority = db, setup, metrics, priority
        self.checkpointed = checkpointed
        self.prepared: fire.Prepared | None = None
        self._idle_due: datetime | None | object = _UNREAD  # as an idle round read it

    def run(self) -> int:
        self._idle_due = _UNREAD
        if not (self.prepared and self.prepared.chunks):
            due = _next_due(self.db, bulk=self.checkpointed)
            if not _is_due(due):
                self._idle_due = due
                if self.checkpointed:
                    self._prepare_next(due)
                return 0
        performed = fire_until_idle(self.db, self.setup, self.metrics, self.priority,
                                    checkpointed=self.checkpointed, prepared=self.prepared,
                                    due_read=True)
        if self.prepared is not None and not self.prepared.chunks:
            self.prepared = None
        if self.checkpointed:
            self._prepare_next()
        return performed

    def seconds_to_next(self, interval: float) -> float:
        """`seconds_to_next_timer`, from this round's read when it found nothing due."""
        if self._idle_due is _UNREAD:
            return seconds_to_next_timer(self.db, interval)
        return _seconds_until(self._idle_due, interval)  # type: ignore[arg-type]

    def _prepare_next(self, due: datetime | None | object = _UNREAD) -> None:
        if due is not _UNREAD and not self._worth_preparing(due):  # type: ignore[arg-type]
            return
        with self.db.reading(bulk=True) as session:
            if due is _UNREAD:
                due = fire.next_due(session)
                if not self._worth_preparing(due):  # type: ignore[arg-type]
                    return
            self.prepared = fire.prepare(session, self.setup, due,  # type: ignore[arg-type]
                                         previous=self.prepared)

    def _worth_preparing(self, due: datetime | None) -> bool:
        """Whether `due` is near enough to decide now; forgets what was decided for an
        instant that no longer has timers."""
        if due is None:
            self.prepared = None
            return False
        return PREPARE_LEAD <= (due - utcnow()).total_seconds() <= PREPARE_AHEAD


def timers_job(db: Database, setup: EscalationSetup, metrics: Metrics | None = None,
               interval: float = 0.05, priority: Priority | None = None, *,
               checkpointed: bool = False) -> Job:
    """Fire due escalation steps, reminders and condition checks until none is due; then
    sleep until the next one falls due (polling at least every `interval`). Pass
    `checkpointed` only beside a running `checkpoint_job` (SQLite's bulk connection; it
    also decides bursts ahead: `TimerFiring`)."""
    firing = TimerFiring(db, setup, metrics, priority, checkpointed=checkpointed)
    return Job("timers", interval, firing.run, lambda: firing.seconds_to_next(interval))


#: Size of the log beyond which the checkpoint job finishes a checkpoint while writers
#: wait, so that the log starts over (see `checkpoint_job`).
WAL_RESTART_BYTES = 64 * 1024 * 1024


def checkpoint_job(db: Database, interval: float = 0.25,
                   priority: Priority | None = None,
                   restart_frames: int | None = None) -> Job:
    """SQLite: copy the write-ahead log into the database file on this thread, outside any
    transaction and without the write lock (a passive checkpoint), so that no commit does
    (the firing thread's and, once this job has run, every pooled connection's). Like
    sends, it holds back while a burst of timers is being fired (a concurrent checkpoint
    still slows the firing by ~20%: its writes and fsync compete with the log's), at most
    `priority.max_wait` at a time.

    SQLite starts the log over only when a writer begins after a checkpoint has copied
    all of it; under a sustained alert storm the writers never leave it that chance, and
    the log grew by ~70 MB a second (800 MB after 12 s of one-alert requests). Once the
    log holds `restart_frames`, the job copies the few frames written meanwhile again
    while holding the write turn, so the next writer starts the log from the beginning
    (and `journal_size_limit` cuts the file back)."""

    def run() -> int:
        nonlocal restart_frames  # by default WAL_RESTART_BYTES of the database's pages
        db.checkpoint_elsewhere()  # this job checkpoints: every commit can skip it
        if priority is not None:
            priority.wait()
        raw = db.engine.raw_connection()
        try:
            if restart_frames is None:
                (page_size,) = raw.driver_connection.execute("PRAGMA page_size").fetchone()
                restart_frames = WAL_RESTART_BYTES // page_size
            busy, frames, done = raw.driver_connection.execute(
                "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if not busy and frames >= restart_frames:
                with db.write_turn():  # no frame is added meanwhile
                    busy, frames, done = raw.driver_connection.execute(
                        "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            raw.close()
        return 0 if busy else max(0, done)

    return Job("wal-checkpoint", interval, run)


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
    jobs = [expire_alerts_job(db, cfg),
            timers_job(db, setup, metrics, priority=priority, checkpointed=db.is_sqlite),
            deliveries_job(dispatcher, priority=priority)]
    if db.is_sqlite:
        jobs.append(checkpoint_job(db, priority=priority))
    return jobs
