"""Holding SQLite's write turn from another thread, as a concurrent writer would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from warroom.db import Database


@contextmanager
def held_by_another_writer(db: Database) -> Iterator[None]:
    """Another thread is inside a write transaction until the block ends."""
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with db.transaction() as session:
            session.execute(text("SELECT 1"))
            holding.set()
            release.wait(10)

    other = threading.Thread(target=writer)
    other.start()
    try:
        assert holding.wait(5)
        yield
    finally:
        release.set()
        other.join(5)
