"""Waiting for alerts that were answered before they were processed (`alerts.intake`)."""

from __future__ import annotations

import time

from warroom.alerts import intake as intakes
from warroom.db import Database


def intake_processed(db: Database, timeout: float = 10.0) -> None:
    """Return once no accepted request waits to be processed (failed ones aside); raise
    TimeoutError after `timeout` seconds. Works across processes: it reads the table."""
    deadline = time.monotonic() + timeout
    while True:
        with db.reading() as session:
            waiting, _ = intakes.counts(session)
        if not waiting:
            return
        if time.monotonic() >= deadline:
            raise TimeoutError(f"{waiting} accepted requests are still waiting to be processed")
        time.sleep(0.01)
