"""Integration keys looked up once and remembered for a moment.

Monitoring sends thousands of requests a second with the same key; hashing it and
reading the integration on every one of them costs more than storing the alerts. A
found key is remembered for `ttl` seconds, so disabling or deleting an integration
takes effect within that time; an unknown key is never remembered, so a new
integration works at once.
"""

from __future__ import annotations

import threading
import time

from warroom.db import Database
from warroom.integrations import service as integrations
from warroom.integrations.models import Integration
from warroom.memo import remember

TTL_SECONDS = 2.0
MAX_KEYS = 1024


class KeyCache:
    def __init__(self, db: Database, ttl: float = TTL_SECONDS) -> None:
        self.db, self.ttl = db, ttl
        self._found: dict[str, tuple[float, Integration]] = {}
        self._lock = threading.Lock()

    def forget(self) -> None:
        """Drop every remembered key (an integration was disabled here)."""
        with self._lock:
            self._found.clear()

    def cached(self, key: str | None) -> Integration | None:
        """The remembered integration for `key`, without touching the database."""
        if not key:
            return None
        hit = self._found.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def lookup(self, key: str | None) -> Integration | None:
        """The enabled integration with this key, or None (reads the database on a miss)."""
        hit = self.cached(key)
        if hit is not None or not key:
            return hit
        with self.db.reading() as session:
            row = integrations.by_key(session, key)
            if row is None:
                return None
            session.expunge(row)
        with self._lock:
            remember(self._found, key, (time.monotonic() + self.ttl, row), MAX_KEYS)
        return row
