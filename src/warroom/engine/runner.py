"""A small in-process runner for periodic jobs over durable rows.

Jobs must be idempotent functions of the database: the rows are the state, the runner only
decides *when* to look. That keeps the embedded default and multi-process deployments
running the same code.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("warroom.engine")


@dataclass(frozen=True)
class Job:
    """`run` is called, then again after `interval_seconds`, or sooner when `next_in`
    (asked after each run) says work falls due earlier: a timer due in 7 ms is fired in
    7 ms, not at the next poll."""

    name: str
    interval_seconds: float
    run: Callable[[], object]
    next_in: Callable[[], float | None] | None = None


class Priority:
    """Timers first. While a burst of due steps is being fired, jobs that only send (the
    dispatcher) hold back between their transactions and sends, so in one process they
    take neither the GIL nor SQLite's write lock from the firing; each wait is bounded,
    so sustained firing slows sending down but never stops it."""

    def __init__(self, max_wait: float = 1.0) -> None:
        self._idle = threading.Event()
        self._idle.set()
        self.max_wait = max_wait

    def busy(self) -> None:
        self._idle.clear()

    def idle(self) -> None:
        self._idle.set()

    def wait(self) -> None:
        """Return at once unless steps are being fired; then when they are, or after
        `max_wait` seconds at most."""
        self._idle.wait(self.max_wait)


class Engine:
    """Runs each job on its own daemon thread until `stop()`."""

    def __init__(self, jobs: list[Job] | None = None) -> None:
        self.jobs = list(jobs or [])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self.runs: dict[str, int] = {}

    def _loop(self, job: Job) -> None:
        while not self._stop.is_set():
            try:
                job.run()
                self.runs[job.name] = self.runs.get(job.name, 0) + 1
            except Exception:  # a failing job must not kill the engine
                log.exception("engine job %s failed", job.name)
            self._stop.wait(self._pause(job))

    @staticmethod
    def _pause(job: Job) -> float:
        if job.next_in is None:
            return job.interval_seconds
        try:
            soon = job.next_in()
        except Exception:
            log.exception("engine job %s could not tell when it is next due", job.name)
            return job.interval_seconds
        if soon is None:
            return job.interval_seconds
        return min(job.interval_seconds, max(0.0, soon))

    def start(self) -> None:
        self._stop.clear()
        for job in self.jobs:
            thread = threading.Thread(target=self._loop, args=(job,), name=f"engine-{job.name}",
                                      daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info("engine started with %d job(s): %s", len(self.jobs),
                 ", ".join(j.name for j in self.jobs) or "none")

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout)
        self._threads.clear()
