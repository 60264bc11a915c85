"""The engine's WAL checkpoint job on a real SQLite file."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from tests.integration.write_turn import held_by_another_writer
from warroom.db import Database
from warroom.engine.jobs import checkpoint_job
from warroom.incidents import service as incidents
from warroom.incidents.schemas import IncidentCreate


def test_the_checkpoint_job_copies_the_log_of_commits_that_skip_it(db: Database) -> None:
    # The timers job commits on the bulk connection, without SQLite's automatic
    # checkpoint; the engine's checkpoint job must then move those pages into the file.
    if not db.is_sqlite:
        pytest.skip("SQLite write-ahead log")
    with db.transaction(bulk=True) as session:
        for _ in range(5):
            incidents.declare(session, IncidentCreate(title="t", severity="SEV3"), actor="t",
                              now=datetime.now(UTC))
    assert checkpoint_job(db).run() > 0
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 5


def test_only_the_bulk_connection_skips_foreign_keys_and_checkpoints(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite connection settings")

    def settings(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        fks = session.execute(text("PRAGMA foreign_keys")).scalar()
        return fks, session.execute(text("PRAGMA wal_autocheckpoint")).scalar()

    with db.transaction(bulk=True) as session:
        assert settings(session) == (0, 0)
    with db.transaction() as session:
        assert settings(session) == (1, 1000)
    with db.reading() as session:
        assert settings(session) == (1, 1000)
    # Other writers still get foreign keys enforced (and their cascades).
    with pytest.raises(Exception, match="FOREIGN KEY"), db.transaction() as session:
        session.execute(text(
            "INSERT INTO timers (incident_id, kind, due_at, generation, status, payload,"
            " created_at) VALUES ('0' , 'escalation', '2026-01-01 00:00:00.000000', 1,"
            " 'pending', '{}', '2026-01-01 00:00:00.000000')"))


def test_once_the_checkpoint_job_runs_pooled_commits_leave_the_log_to_it(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite write-ahead log")
    with db.transaction() as session:
        assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 1000
    checkpoint_job(db).run()
    with db.transaction() as session:
        assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0
    with db.reading() as session:
        assert session.execute(text("PRAGMA wal_autocheckpoint")).scalar() == 0


def test_a_long_log_is_finished_under_the_write_turn_so_it_starts_over(db: Database) -> None:
    """Under a sustained storm a passive checkpoint never reaches the log's end; past
    `restart_frames` the job copies the rest while writers wait, and only then."""
    import threading

    if not db.is_sqlite:
        pytest.skip("SQLite write-ahead log")
    with db.transaction() as session:
        for _ in range(5):
            incidents.declare(session, IncidentCreate(title="t", severity="SEV3"), actor="t",
                              now=datetime.now(UTC))
    with held_by_another_writer(db):
        short = threading.Thread(target=checkpoint_job(db, restart_frames=10**9).run)
        short.start()
        short.join(5)
        assert not short.is_alive()  # a short log: no need for the turn
        long = threading.Thread(target=checkpoint_job(db, restart_frames=1).run)
        long.start()
        long.join(0.5)
        assert long.is_alive()  # waits for the turn the other writer holds
    long.join(5)
    assert not long.is_alive()
    with db.transaction() as session:  # the next writer starts the log over
        session.execute(text("UPDATE counters SET value = value"))
    with db.reading() as session:
        frames = session.execute(text("PRAGMA wal_checkpoint(PASSIVE)")).one()[1]
    assert frames < 10


def test_every_connection_cuts_a_restarted_log_back(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite write-ahead log")
    from warroom.db.engine import WAL_SIZE_LIMIT

    with db.reading() as session:
        assert session.execute(text("PRAGMA journal_size_limit")).scalar() == WAL_SIZE_LIMIT
