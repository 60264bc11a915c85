"""What several server processes on one database rely on (`serve --workers`): SQLite
writers of different processes take turns on a lock file, one engine among them, and
silences written elsewhere are seen at once."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from warroom.db import Database
from warroom.engine import Engine
from warroom.engine.leader import EngineLeader, lock_path
from warroom.suppression.service import ActiveSilences

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def _held_elsewhere(path: str) -> bool:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_sqlite_writers_of_other_processes_wait_on_the_lock_file(db: Database,
                                                                 tmp_path: Path) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL has row locks")
    lock = f"{db.engine.url.database}-writer.lock"
    child = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sys
        from sqlalchemy import text
        from warroom.db import Database
        db = Database({db.url!r})
        with db.transaction() as session:
            session.execute(text("CREATE TABLE held (n INTEGER)"))
            print("holding", flush=True)
            sys.stdin.readline()
        print("committed", flush=True)
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdin is not None
        assert child.stdout.readline().strip() == "holding"
        assert _held_elsewhere(lock)  # the child's write transaction holds the turn
        child.stdin.write("\n")
        child.stdin.flush()
        assert child.stdout.readline().strip() == "committed"
        assert child.wait(10) == 0
        assert not _held_elsewhere(lock)
        with db.transaction() as session:  # this process's turn; it sees the commit
            session.execute(text("INSERT INTO held VALUES (1)"))
            assert _held_elsewhere(lock)
    finally:
        child.kill()


def test_nested_transactions_keep_the_turn_until_the_outermost_ends(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite write turn")
    lock = f"{db.engine.url.database}-writer.lock"
    with db.transaction():
        with db.transaction(bulk=True) as inner:
            inner.execute(text("SELECT 1"))
        assert _held_elsewhere(lock)
    assert not _held_elsewhere(lock)


def test_one_engine_leads_and_another_takes_over_when_it_stops(tmp_path: Path) -> None:
    path = str(tmp_path / "engine.lock")
    first, second = EngineLeader(Engine([]), path), EngineLeader(Engine([]), path)
    first.start()
    assert first.leading.wait(5)
    second.start()
    assert not second.leading.wait(0.3)  # waits while the first holds the lock
    first.stop()
    assert second.leading.wait(5)
    second.stop()


def test_engine_locks_are_per_database() -> None:
    assert lock_path("sqlite:///a.db") == lock_path("sqlite:///a.db")
    assert lock_path("sqlite:///a.db") != lock_path("sqlite:///b.db")


def _silence_written_by_another_process(db: Database, name: str) -> None:
    """A silence row as another process stores it (this process's change counter, which
    a local write bumps, stays as it was)."""
    with db.transaction() as session:
        session.execute(text(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment,"
            " updated_at) VALUES (:id, :m, :s, :e, 'other', 'c', :u)"),
            {"id": str(uuid.uuid4()),
             "m": f'[{{"name": "alertname", "value": "{name}", "type": "="}}]',
             "s": NOW - timedelta(minutes=1), "e": NOW + timedelta(hours=1),
             "u": datetime.now(UTC)})


def test_shared_silences_see_another_processs_silence_at_once(db: Database) -> None:
    shared, local = ActiveSilences(ttl=60, shared=True), ActiveSilences(ttl=60)
    with db.reading() as session:
        assert shared.get(session, NOW) == [] and local.get(session, NOW) == []
    _silence_written_by_another_process(db, "DiskFull")
    with db.reading() as session:
        assert [m.value for s in shared.get(session, NOW) for m in s.matchers] == ["DiskFull"]
        assert local.get(session, NOW) == []  # within its ttl, a cache that is not shared
