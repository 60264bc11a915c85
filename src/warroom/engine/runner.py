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
    name: str
    interval_seconds: float
    run: Callable[[], object]


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
            self._stop.wait(job.interval_seconds)

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
