"""One engine among several server processes on one machine (`warroom serve --workers`).

Every worker process serves the API; the engine (timers, deliveries, alert expiry,
checkpoints) runs in exactly one of them: the one holding an exclusive lock on a file.
The others wait for that lock in a thread, so if the engine's process dies, the kernel
releases its lock and another worker starts the engine at once, without waiting for the
dead one to be restarted. State lives in the database; nothing is handed over.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import tempfile
import threading

from warroom.engine.runner import Engine

log = logging.getLogger("warroom.engine")


def lock_path(database_url: str) -> str:
    """The engine lock of a database: one per database on this machine."""
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return os.path.join(tempfile.gettempdir(), f"warroom-engine-{digest}.lock")


class EngineLeader:
    """Starts `engine` once this process holds the lock at `path`; same interface as
    `Engine` (start, stop), so the app's lifespan runs either."""

    def __init__(self, engine: Engine, path: str) -> None:
        self.engine, self.path = engine, path
        self.leading = threading.Event()
        self._stopped = False
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._waiter: threading.Thread | None = None

    def start(self) -> None:
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        self._waiter = threading.Thread(target=self._lead, name="engine-leader", daemon=True)
        self._waiter.start()

    def _lead(self) -> None:
        assert self._fd is not None
        fcntl.flock(self._fd, fcntl.LOCK_EX)  # blocks until no other process holds it
        with self._lock:
            if self._stopped:
                return
            self.engine.start()
            self.leading.set()
        log.info("this process runs the engine (pid %d)", os.getpid())

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self.leading.is_set():
                self.engine.stop()
            if self._fd is not None:
                os.close(self._fd)  # releases the lock (a waiting flock dies with us)
                self._fd = None
