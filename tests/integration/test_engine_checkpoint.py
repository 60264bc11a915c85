"""The engine's WAL checkpoint job on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from warroom.db import Database
from warroom.engine.jobs import NO_AUTOCHECKPOINT, checkpoint_job
from warroom.incidents import service as incidents
from warroom.incidents.schemas import IncidentCreate


def test_the_checkpoint_job_copies_the_log_of_commits_that_skip_it(db: Database) -> None:
    # The timers job commits without SQLite's automatic checkpoint; the engine's
    # checkpoint job must then move those pages into the database file.
    if not db.is_sqlite:
        pytest.skip("SQLite write-ahead log")
    with db.transaction() as session:
        session.connection().exec_driver_sql(NO_AUTOCHECKPOINT)
        for _ in range(5):
            incidents.declare(session, IncidentCreate(title="t", severity="SEV3"), actor="t",
                              now=datetime.now(UTC))
    assert checkpoint_job(db).run() > 0
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 5
