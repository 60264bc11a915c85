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

On PostgreSQL the writers run two threads, and a batch that only attaches alerts to
incidents their groups already feed takes shared locks on them (`pipeline.ingest`), so
the two do not queue for each other; one that must change a group or an incident is
written again under exclusive locks (`AlertWriter._locking`).

When a burst is over (no request for `IDLE_SECONDS` after a batch), the writer runs its
idle hooks once: by default a full garbage collection, then `release_freed_memory`,
which hands the heap memory the burst freed back to the operating system (glibc keeps
it otherwise, and a server that took 100,000 alerts in a minute would hold on to tens
of MiB it no longer uses).
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import ctypes
import ctypes.util
import gc
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.orm import Session

from warroom.alerts import intake as intakes
from warroom.alerts import service as pipeline
from warroom.alerts.context import PipelineConfig
from warroom.alerts.intake import Intake
from warroom.alerts.model import IncomingAlert
from warroom.clock import utcnow
from warroom.db import Database
from warroom.observability.metrics import Metrics

log = logging.getLogger("warroom.alerts")

POSTGRES_WRITERS = 2
# Alerts per transaction, when that many are waiting. On SQLite a storm of new alerts
# gets larger transactions: a commit writes every page the batch dirtied, and new
# alerts dirty pages all over the fingerprint index (300,000 rows of alert size: 0.79
# log frames and ~13 µs of commit a new row at 1,000; 0.33 and ~4 µs at 5,000). Repeats
# gain nothing from it and lost 8-16 % (the loop waits while one long transaction runs),
# so the larger size follows the last batch's share of new alerts. bench/ingest.py, four
# runs each: 1,000 alerts a request, new, SQLite 12.4 / 12.3 / 10.3 / 13.2k alerts/s at
# 1,000 and 16.8 / 12.1 / 17.5 / 16.8k at 5,000; 100 a request, repeated, 23.2 / 23.5 /
# 20.3 / 26.2k and 19.0 / 19.2 / 22.3 / 17.6k; following the share, one run: 17.4k
# new and 23.3k repeated. On PostgreSQL larger batches leave more memory resident
# after a burst (holding 100,000 alerts, 128 MiB at 1,000 and 140-141 at 2,000: the
# driver keeps buffers as large as the largest batch).
MAX_BATCH_ALERTS = 1000
SQLITE_STORM_BATCH_ALERTS = 5000
STORM_NEW_SHARE = 0.5  # a batch at least this new makes the next one a storm batch
ATTEMPTS = 4
EXCLUSIVE_AFTER_MISS = 4  # PostgreSQL: see `AlertWriter._locking`


MAX_QUEUED_ALERTS = 50_000  # beyond this, new requests are refused with "retry later"
IDLE_SECONDS = 1.0  # a burst is over when no request has come for this long

# Under load, requests that can be (`Submission.intake`) are answered once journaled
# (`alerts.intake`) and processed after: when a batch holds at least this many of
# them, or accepted requests are still waiting to be processed, and the batch has
# fewer than `JOURNAL_BELOW_ALERTS` alerts (see `AlertWriter._handle`).
JOURNAL_FROM_REQUESTS = 2
JOURNAL_BELOW_ALERTS = 100
# Accepted requests are processed once this many alerts wait (the batch size) or the
# oldest has waited this long: long enough for a backlog to build up under load, short
# against anything a person or an escalation waits for.
PROCESS_AFTER_SECONDS = 0.02
# A journaled row still there this long after it was received belongs to a writer that
# stopped (or cannot reach the database): any writer's sweep then processes it.
ORPHAN_AFTER_SECONDS = 30.0
SWEEP_SECONDS = 10.0


def _load_malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else ctypes.CDLL(None)
        trim = libc.malloc_trim  # glibc only
    except (OSError, AttributeError):
        return None
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    return trim


_malloc_trim = _load_malloc_trim()


def release_freed_memory() -> bool:
    """Give the C heap's free pages back to the operating system (glibc's `malloc_trim`).

    glibc returns freed memory only from the top of each heap; a burst of large batches
    leaves most of what it freed in the middle of the heaps, resident until reused. A
    trim takes a few milliseconds, so it runs once a burst is over, not per batch. False
    where there is no glibc (nothing to do there) or nothing could be released.
    """
    return bool(_malloc_trim(0)) if _malloc_trim is not None else False


def collect_garbage() -> int:
    """A full collection: a served process starts young collections only every 50,000
    net allocations (`cli.serve.YOUNG_COLLECTION_THRESHOLD`), so cyclic garbage a burst
    left can wait; once the burst is over it is freed, before the heap is trimmed."""
    return gc.collect()


class Overloaded(Exception):
    """More alerts are waiting to be written than the writer takes on: the request is
    refused before anything is stored, and the sender should retry after a pause (429)."""

    retry_after_seconds = 1


def transient(exc: DBAPIError) -> bool:
    """A deadlock, a serialization failure, SQLite's lock wait running out, or a
    connection the server dropped (the pool has replaced it for the next try)."""
    code = getattr(exc.orig, "sqlstate", None)
    return (code in ("40P01", "40001") or "database is locked" in str(exc.orig)
            or exc.connection_invalidated)


Work = Callable[[Session], pipeline.Outcome]
T = TypeVar("T")


@dataclass(eq=False)
class Submission:
    """One request's alerts; `work` replaces plain ingest for requests that also carry
    acknowledgements or change events (those are applied alone, in arrival order).
    `intake`: the request may be answered once journaled, before it is processed.

    Its outcome goes to `future` (callers in threads) or to `waiter`, an asyncio future
    of `loop` (callers on an event loop): the writer settles all the waiters of a batch
    with one call into their loop, instead of one thread-safe wake-up per request."""

    sender: pipeline.Sender
    alerts: Sequence[IncomingAlert]
    now: datetime
    work: Work | None = None
    future: concurrent.futures.Future[pipeline.Outcome] | None = None
    waiter: asyncio.Future[pipeline.Outcome] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    intake: Intake | None = None
    journaled_at: float = 0.0  # monotonic; 0 unless this writer journaled it

    @property
    def journaled(self) -> bool:
        return self.intake is not None and self.intake.id is not None


class _Settlement:
    """The outcomes of a batch, handed to their callers once the batch is over."""

    def __init__(self) -> None:
        self._by_loop: dict[asyncio.AbstractEventLoop,
                            list[tuple[asyncio.Future[pipeline.Outcome], object]]] = {}

    def settle(self, s: Submission, result: pipeline.Outcome | BaseException) -> None:
        if s.intake is not None and s.intake.on_processed is not None:
            try:
                s.intake.on_processed(result)
            except Exception:
                log.exception("recording an ingest outcome failed")
        if not s.journaled:  # else answered when it was journaled
            self.answer(s, result)

    def answer(self, s: Submission, result: pipeline.Outcome | BaseException) -> None:
        if s.waiter is not None and s.loop is not None:
            self._by_loop.setdefault(s.loop, []).append((s.waiter, result))
        elif s.future is not None and not s.future.done():
            _resolve(s.future, result)

    def deliver(self) -> None:
        for loop, settled in self._by_loop.items():
            try:
                loop.call_soon_threadsafe(_settle_waiters, settled)
            except RuntimeError:  # the loop is closed: nobody waits any more
                pass
        self._by_loop.clear()


def _settle_waiters(settled: list[tuple[asyncio.Future[pipeline.Outcome], object]]) -> None:
    for waiter, result in settled:
        if not waiter.done():  # done: the request was cancelled (client went away)
            _resolve(waiter, result)


def _resolve(future: asyncio.Future[pipeline.Outcome] | concurrent.futures.Future[
        pipeline.Outcome], result: object) -> None:
    """An outcome, or the exception the request failed with."""
    if isinstance(result, BaseException):
        future.set_exception(result)
    else:
        future.set_result(result)  # type: ignore[arg-type]


class AlertWriter:
    """One per process; its thread starts with the first submission."""

    def __init__(self, db: Database, cfg: Callable[[], PipelineConfig],
                 metrics: Metrics | None = None, *,
                 idle_hooks: Sequence[Callable[[], object]] | None = None,
                 idle_seconds: float = IDLE_SECONDS) -> None:
        self.db, self._cfg, self.metrics = db, cfg, metrics
        # Run once (by one writer thread) when the writer has had nothing to do for
        # `idle_seconds` after writing a batch: once per burst, never between batches.
        # By default: collect cyclic garbage, empty SQLite's page caches, then give the
        # freed memory back.
        self.idle_hooks = list(idle_hooks) if idle_hooks is not None else [
            collect_garbage, db.shrink_page_caches, release_freed_memory]
        self.idle_seconds = idle_seconds
        self._writing = 0  # batches being written now
        self._last_batch_at = 0.0  # monotonic time the last batch was done
        self._idle_since_batch = True  # the hooks have run since that batch
        self._queue: queue.SimpleQueue[Submission | None] = queue.SimpleQueue()
        # SQLite has one writer, so one thread; on PostgreSQL a few, so that one batch's
        # round trips to the server overlap with the next batch's work.
        self.threads = 1 if db.is_sqlite else POSTGRES_WRITERS
        # Alerts one transaction takes when that many are waiting (see the constants):
        # on SQLite, more while the last batch was mostly new alerts.
        self.max_batch_alerts = MAX_BATCH_ALERTS
        self.storm_batch_alerts = SQLITE_STORM_BATCH_ALERTS if db.is_sqlite else MAX_BATCH_ALERTS
        self._storm = False  # the last batch was mostly new alerts
        self._exclusive_next = 0  # batches to lock exclusively before trying shared again
        self._workers: list[threading.Thread] = []
        self._start_lock = threading.Lock()
        self._queued_alerts = 0
        self.max_queued_alerts = MAX_QUEUED_ALERTS
        self._count_lock = threading.Lock()
        self._loop: tuple[int, asyncio.AbstractEventLoop] | None = None
        # Journaled requests waiting to be processed, oldest first (see `alerts.intake`).
        self._pending: collections.deque[Submission] = collections.deque()
        self._pending_alerts = 0
        self._journaled_count = 0  # requests journaled so far
        self._settled_count = 0  # of those, processed (or failed, or taken by another writer)
        self.orphan_after = ORPHAN_AFTER_SECONDS
        self._started_at: datetime | None = None  # the first sweep takes rows from before it
        self._next_sweep = 0.0

    def submit(self, submission: Submission) -> concurrent.futures.Future[pipeline.Outcome]:
        """Queue a request; its future gets the request's outcome once committed.

        Raises Overloaded when the queue already holds `max_queued_alerts`: answering
        "retry later" at once beats answering after minutes, or running out of memory.
        """
        self._ensure_started()
        if submission.waiter is None and submission.future is None:
            submission.future = concurrent.futures.Future()
        with self._count_lock:
            waiting = self._queued_alerts + self._pending_alerts
            if waiting and waiting + len(submission.alerts) > self.max_queued_alerts:
                raise Overloaded(f"{waiting} alerts are waiting to be written")
            self._queued_alerts += len(submission.alerts)
            self._show_queue()
        self._queue.put(submission)
        return submission.future  # type: ignore[return-value]

    @property
    def max_queued_alerts(self) -> int:
        return self._max_queued_alerts

    @max_queued_alerts.setter
    def max_queued_alerts(self, limit: int) -> None:
        self._max_queued_alerts = limit
        if self.metrics is not None:
            self.metrics.ingest_queue_limit.set(limit)

    def _show_queue(self) -> None:
        """Publish the queue's length (under `_count_lock`, so updates stay in order)."""
        if self.metrics is not None:
            self.metrics.ingest_queued_alerts.set(self._queued_alerts + self._pending_alerts)

    def write(self, submission: Submission) -> pipeline.Outcome:
        """Submit and wait (from a worker thread)."""
        return self.submit(submission).result()

    async def write_async(self, submission: Submission) -> pipeline.Outcome:
        """Submit and wait (from the event loop)."""
        submission.loop = loop = self._running_loop()
        submission.waiter = loop.create_future()
        self.submit(submission)
        return await submission.waiter

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        """`asyncio.get_running_loop()`, remembered: it calls getpid(), a system call
        since glibc 2.25, on every request. The remembered loop is this thread's running
        loop as long as it is running (one loop runs per thread at a time)."""
        cached = self._loop
        if cached is not None and cached[0] == threading.get_ident() and cached[1].is_running():
            return cached[1]
        loop = asyncio.get_running_loop()
        self._loop = (threading.get_ident(), loop)
        return loop

    async def caught_up(self, timeout: float = 2.0) -> bool:
        """Wait until every request this writer had journaled when called is processed
        (read-your-writes for an alert post answered before processing); False if that
        took longer than `timeout`. Another process's writer is not waited for."""
        target = self._journaled_count
        deadline = time.monotonic() + timeout
        while self._settled_count < target:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.002)
        return True

    def start(self) -> None:
        """Start the threads now: they also process what a stopped process journaled."""
        self._ensure_started()

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
                self._started_at = utcnow()
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
                self._guarded(batch, self._handle)
            # Not kept while waiting for the next one: a batch of 1,000 alerts, its
            # answers and its pipeline state would stay resident through a quiet spell.
            del batch
            if stop or self._processing_due():
                self._process_pending(everything=stop)
            if time.monotonic() >= self._next_sweep:
                self._sweep()
            if stop:
                return

    def _guarded(self, batch: list[Submission],
                 handle: Callable[[list[Submission], _Settlement], None]) -> None:
        """Handle a batch and answer its callers, whatever happens."""
        settlement = _Settlement()
        self._begin_writing()
        try:
            handle(batch, settlement)
        except BaseException as exc:  # never leave a caller waiting
            log.exception("alert writer failed on a batch")
            settlement = _Settlement()
            for s in batch:
                settlement.settle(s, exc)
            self._settled(batch)
        finally:
            settlement.deliver()
            self._done_writing()

    def _handle(self, batch: list[Submission], settlement: _Settlement) -> None:
        """Journal and answer a batch of small requests (under load), else write it at
        once, together with whatever was accepted before it (in arrival order).

        Only batches of fewer than `JOURNAL_BELOW_ALERTS` alerts are journaled, and only
        while less than a transaction's worth waits to be processed: larger batches
        amortise a transaction by themselves (journaling 100 alerts a request made two
        transactions of one and cost 5-25 %), and the backlog's parsed alerts are held in
        memory (journaling the bench's 100,000 alerts in requests of 1,000 left 11 MiB
        more resident after the burst). Senders faster than processing wait for it, as
        without a journal."""
        alerts = sum(len(s.alerts) for s in batch)
        journal = (all(s.intake is not None for s in batch)
                   and (len(batch) >= JOURNAL_FROM_REQUESTS or self._pending)
                   and alerts < JOURNAL_BELOW_ALERTS
                   and self._pending_alerts + alerts < self.max_batch_alerts)
        if journal and self._journal(batch, settlement):
            return
        self._write([*self._take_pending(), *batch], settlement)

    def _journal(self, batch: list[Submission], settlement: _Settlement) -> bool:
        """Store the requests' bodies and answer them; False if that failed (the batch is
        then written the usual way)."""
        entries = [s.intake for s in batch]
        received = [s.now for s in batch]
        counts = [len(s.alerts) for s in batch]
        try:
            self._retrying(lambda session: intakes.journal(session, entries, counts, received))
        except Exception:
            log.warning("journaling %d requests failed; writing them at once", len(batch),
                        exc_info=True)
            for i in entries:
                i.id = None  # type: ignore[union-attr]
            return False
        now = time.monotonic()
        for s in batch:
            s.journaled_at = now
            s.intake.body = b""  # type: ignore[union-attr]  # on disk; the alerts are parsed
            settlement.answer(s, pipeline.Outcome(received=len(s.alerts)))
        with self._count_lock:
            self._journaled_count += len(batch)
            self._pending_alerts += sum(counts)
            self._pending.extend(batch)
        return True

    def _processing_due(self) -> bool:
        with self._count_lock:
            if not self._pending:
                return False
            return (self._pending_alerts >= self._batch_cap() or
                    time.monotonic() - self._pending[0].journaled_at >= PROCESS_AFTER_SECONDS)

    def _batch_cap(self) -> int:
        return self.storm_batch_alerts if self._storm else self.max_batch_alerts

    def _take_pending(self, limit: int | None = None) -> list[Submission]:
        """Accepted requests waiting to be processed, oldest first, up to `limit` alerts
        (all of them without one)."""
        chunk: list[Submission] = []
        with self._count_lock:
            count = 0
            while self._pending and (limit is None or count < limit):
                s = self._pending.popleft()
                chunk.append(s)
                count += len(s.alerts)
            self._pending_alerts -= count
            self._show_queue()
        return chunk

    def _process_pending(self, *, everything: bool = False) -> None:
        """Process one batch of accepted requests (all of them with `everything`)."""
        while True:
            chunk = self._take_pending(self._batch_cap())
            if not chunk:
                return
            self._guarded(chunk, self._write)
            del chunk
            if not everything:
                return

    def _settled(self, batch: Iterable[Submission]) -> None:
        """Count the requests of `batch` this writer journaled as done (`caught_up`)."""
        n = sum(1 for s in batch if s.journaled_at)
        with self._count_lock:
            self._settled_count += n

    def _sweep(self) -> None:
        """Process what stopped writers journaled: at the first sweep every row received
        before this writer started, later rows older than `orphan_after`."""
        self._next_sweep = time.monotonic() + SWEEP_SECONDS
        first, self._started_at = self._started_at, None
        before = first if first is not None else (
            utcnow() - timedelta(seconds=self.orphan_after))
        with self._count_lock:
            held = {s.intake.id for s in self._pending if s.intake is not None}
        try:
            with self.db.reading() as session:
                rows = intakes.orphans(session, received_before=before, excluding=held,
                                       limit=self._batch_cap())
                revived = [self._revive(session, row) for row in rows]
        except Exception:
            log.exception("looking for accepted alerts left unprocessed failed")
            return
        batch = [s for s in revived if s is not None]
        if batch:
            log.warning("processing %d requests' alerts accepted but left unprocessed",
                        len(batch))
            self._guarded(batch, self._write)
            self._next_sweep = 0.0  # there may be more

    def _revive(self, session: Session, row: Any) -> Submission | None:
        try:
            sender, alerts = intakes.revive(session, row)
        except Exception as exc:
            log.exception("accepted alerts %d cannot be parsed again", row.id)
            self._fail(row.id, exc)
            return None
        intake = Intake(row.integration_id, row.format, b"", self._recorder(row.format),
                        id=row.id)
        return Submission(sender, alerts, row.received_at, intake=intake)

    def _recorder(self, fmt: str) -> Callable[[pipeline.Outcome | BaseException], None]:
        def record(result: pipeline.Outcome | BaseException) -> None:
            if self.metrics is not None and not isinstance(result, BaseException):
                self.metrics.record_ingest(fmt, result)
        return record

    def _fail(self, row_id: int, exc: BaseException) -> None:
        try:
            with self.db.transaction(ingest=True) as session:
                intakes.mark_failed(session, row_id, exc, utcnow())
        except Exception:
            log.exception("marking accepted alerts %d as failed failed", row_id)

    def _take(self) -> tuple[list[Submission], bool]:
        """Block for one submission, then take whatever else is already waiting; return
        nothing once accepted requests are due to be processed or a sweep is due. While
        a burst is over and nothing comes, run the idle hooks once."""
        while True:
            try:
                first = self._queue.get(timeout=self._wait_limit())
                break
            except queue.Empty:
                if self._processing_due() or time.monotonic() >= self._next_sweep:
                    return [], False
                self._went_idle()
        if first is None:
            return [], True
        batch, count = [first], len(first.alerts)
        cap = self._batch_cap()
        while count < cap:
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

    def _wait_limit(self) -> float:
        """Seconds until the writer has something to do without a new submission."""
        now = time.monotonic()
        limits = [self._next_sweep - now]
        with self._count_lock:
            if not self._idle_since_batch and not self._writing and not self._pending:
                limits.append(self._last_batch_at + self.idle_seconds - now)
            if self._pending:
                limits.append(self._pending[0].journaled_at + PROCESS_AFTER_SECONDS - now)
        return max(min(limits), 0.0)

    def _taken(self, count: int) -> None:
        with self._count_lock:
            self._queued_alerts -= count
            self._show_queue()

    def _begin_writing(self) -> None:
        with self._count_lock:
            self._writing += 1
            self._idle_since_batch = False

    def _done_writing(self) -> None:
        with self._count_lock:
            self._writing -= 1
            self._last_batch_at = time.monotonic()

    def _went_idle(self) -> None:
        with self._count_lock:
            if self._idle_since_batch or self._writing or self._pending:
                return  # another writer thread took over, or there is work left
            if time.monotonic() - self._last_batch_at < self.idle_seconds:
                return  # another writer thread finished a batch meanwhile
            self._idle_since_batch = True
        for hook in self.idle_hooks:
            try:
                hook()
            except Exception:
                log.exception("alert writer idle hook %r failed", hook)

    def _write(self, batch: list[Submission], settlement: _Settlement) -> None:
        """Process a batch in one transaction; if that fails, request by request, so a
        request that cannot be stored fails alone. A journaled request that another
        writer processed first is skipped."""
        started = time.perf_counter()
        try:
            results = self._locking(batch)
        except Exception as exc:
            if len(batch) == 1:
                self._keep_failed(batch[0], exc)
                raise
            log.warning("a batch of %d requests failed; writing them one by one", len(batch),
                        exc_info=True)
            for s in batch:
                try:
                    one = self._locking([s])[0]
                    if one is not None:
                        settlement.settle(s, one)
                except Exception as exc:
                    self._keep_failed(s, exc)
                    settlement.settle(s, exc)
            self._settled(batch)
            return
        received = new = 0
        for s, outcome in zip(batch, results, strict=True):
            if outcome is None:
                continue
            settlement.settle(s, outcome)
            received, new = received + outcome.received, new + outcome.new
        self._settled(batch)
        if received:
            self._storm = new >= STORM_NEW_SHARE * received
        if self.metrics is not None:
            self.metrics.ingest_batch_requests.observe(len(batch))
            self.metrics.ingest_batch_seconds.observe(time.perf_counter() - started)

    def _keep_failed(self, s: Submission, exc: Exception) -> None:
        """A journaled request that failed for good keeps its row, marked failed; one that
        failed because the database could not be reached is left for a later sweep."""
        if not s.journaled:
            return
        if isinstance(exc, (OperationalError, InterfaceError)) or (
                isinstance(exc, DBAPIError) and transient(exc)):
            return
        log.error("accepted alerts %d could not be processed; kept as failed",
                  s.intake.id, exc_info=exc)  # type: ignore[union-attr]
        self._fail(s.intake.id, exc)  # type: ignore[arg-type, union-attr]

    def _locking(self, batch: list[Submission]) -> list[pipeline.Outcome | None]:
        """On PostgreSQL, first with shared locks on the correlation groups and incidents
        (`pipeline.ingest`); again with exclusive ones if the batch must change them.

        After a miss that was not routine the next `EXCLUSIVE_AFTER_MISS` batches lock
        exclusively at once: alerts that each open an incident (events without the
        grouping labels) would otherwise pay for a wasted first try every time. Batches
        carrying acknowledgements lock exclusively from the start: those lock incidents
        for update, and two writers holding a shared lock on one incident would each
        wait for the other."""
        def exclusive() -> list[pipeline.Outcome | None]:
            return self._retrying(lambda session: self._apply(session, batch))

        if self.db.is_sqlite or any(s.work is not None for s in batch):
            return exclusive()
        if self._exclusive_next > 0:
            self._exclusive_next -= 1
            return exclusive()
        try:
            return self._retrying(lambda session: self._apply(session, batch, shared=True))
        except pipeline.NeedsExclusiveLocks as miss:
            self._exclusive_next = 0 if miss.routine else EXCLUSIVE_AFTER_MISS
        return exclusive()

    def _retrying(self, work: Callable[[Session], T]) -> T:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                with self.db.transaction(ingest=True) as session:
                    return work(session)
            except DBAPIError as exc:
                if attempt == ATTEMPTS or not transient(exc):
                    raise
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    def _apply(self, session: Session, batch: list[Submission], *,
               shared: bool = False) -> list[pipeline.Outcome | None]:
        """Consecutive plain submissions of one sender are merged into one pipeline batch;
        the rest run alone, all in arrival order, all in this transaction. `shared`: see
        `pipeline.ingest`."""
        cfg = self._cfg()
        results: dict[int, pipeline.Outcome | None] = {}
        run: list[Submission] = []
        journaled = [s.intake.id for s in batch if s.journaled]  # type: ignore[union-attr]
        if journaled:
            mine = intakes.claim(session, journaled)
            for s in batch:
                if s.journaled and s.intake.id not in mine:  # type: ignore[union-attr]
                    results[id(s)] = None  # processed by another writer

        def flush_run() -> None:
            if not run:
                return
            alerts = [a for s in run for a in s.alerts]
            now = max(s.now for s in run)
            merged = pipeline.ingest(session, alerts, cfg=cfg, sender=run[0].sender, now=now,
                                     shared=shared)
            for s in run:
                results[id(s)] = merged if len(run) == 1 else pipeline.share_of(merged, s.alerts,
                                                                                  cfg, now)
            run.clear()

        for s in batch:
            if id(s) in results:
                continue
            if s.work is not None:
                flush_run()
                results[id(s)] = s.work(session)
            else:
                if run and run[0].sender != s.sender:
                    flush_run()
                run.append(s)
        flush_run()
        return [results[id(s)] for s in batch]

