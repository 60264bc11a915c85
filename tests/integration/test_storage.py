"""Storage behaviour: migrations match the models, UTC round-trips, concurrent writers."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from warroom.db import Database
from warroom.db.migrate import pending
from warroom.db.models_registry import metadata
from warroom.incidents import service
from warroom.incidents.schemas import IncidentCreate


def test_migrations_produce_exactly_the_models(db: Database) -> None:
    assert pending(db) == []
    with db.engine.connect() as conn:
        # procrastinate's own tables (PostgreSQL) are not our models.
        ctx = MigrationContext.configure(conn, opts={"include_name": lambda name, type_, _p: not (
            type_ == "table" and (name or "").startswith("procrastinate_"))})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_timestamps_come_back_as_utc(db: Database) -> None:
    berlin = timezone(timedelta(hours=2))
    at = datetime(2026, 7, 1, 14, 30, tzinfo=berlin)
    with db.transaction() as session:
        ref = str(service.declare(session, IncidentCreate(title="tz"), actor="t", now=at).id)
    with db.reading() as session:
        inc = service.require_incident(session, ref)
        assert inc.triggered_at.utcoffset() == timedelta(0)
        assert inc.triggered_at == at
        assert inc.triggered_at.hour == 12


def test_concurrent_declarations_get_unique_consecutive_numbers(db: Database) -> None:
    errors: list[BaseException] = []
    numbers: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            for _ in range(10):
                with db.transaction() as session:
                    # Read first, then write: the pattern that deadlocks deferred SQLite
                    # transactions. BEGIN IMMEDIATE / row locks must serialise it instead.
                    service.list_incidents(session, service.IncidentFilter(), limit=1, offset=0)
                    inc = service.declare(session, IncidentCreate(title="race"), actor="t",
                                          now=datetime.now(UTC))
                    with lock:
                        numbers.append(inc.number)
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == list(range(1, 81))
    with db.reading() as session:
        assert session.execute(text("SELECT count(*) FROM incidents")).scalar() == 80


def test_sqlite_runs_in_wal_mode(db: Database) -> None:
    if not db.is_sqlite:
        pytest.skip("SQLite pragma")
    with db.reading() as session:
        assert session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_new_sqlite_database_gets_larger_pages_and_an_old_one_keeps_its_own(
        tmp_path) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    from warroom.db.engine import PAGE_SIZE
    from warroom.db.migrate import upgrade

    new = Database(f"sqlite:///{tmp_path / 'new.db'}")
    upgrade(new)
    old_path = tmp_path / "old.db"
    with sqlite3.connect(old_path) as made_elsewhere:  # SQLite's default 4 KiB pages
        made_elsewhere.execute("CREATE TABLE kept (x)")
    old = Database(f"sqlite:///{old_path}")
    upgrade(old)  # a database with other pages works as it is
    try:
        for database, size in ((new, PAGE_SIZE), (old, 4096)):
            with database.reading() as session:
                assert session.execute(text("PRAGMA page_size")).scalar() == size
    finally:
        new.dispose()
        old.dispose()
    assert PAGE_SIZE == 8192


def test_head_revisions_read_from_the_files_match_alembic(db: Database) -> None:
    from alembic.script import ScriptDirectory

    from warroom.db.migrate import alembic_config, head_revisions, is_current

    assert head_revisions() == set(ScriptDirectory.from_config(alembic_config(db)).get_heads())
    assert is_current(db)  # the test database is migrated


def test_alert_rows_leave_room_for_heap_only_updates_on_postgresql(db: Database) -> None:
    """Repeats update alert rows all the time; with room on the page PostgreSQL does so
    without touching the indexes (migration 0008)."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL storage parameter")
    with db.reading() as session:
        options = session.execute(text(
            "SELECT reloptions FROM pg_class WHERE relname = 'alerts'")).scalar()
    assert "fillfactor=70" in (options or [])



def _alert_rows_sql(count: int) -> str:
    """`count` alerts of the size Prometheus sends (~330 bytes of raw JSON)."""
    raw = '{"labels": {"alertname": "DiskFull", "instance": "db1:9100", "job": "node"}, ' \
          '"annotations": {"summary": "disk full"}, "pad": "' + "x" * 200 + '"}'
    return (
        "INSERT INTO alerts (fingerprint, content_hash, status, labels, annotations, summary, "
        "source_format, starts_at, first_seen_at, last_seen_at, updated_at, receive_count, "
        "suppressed, raw) SELECT md5(i::text), md5(i::text), 'firing', "
        "'{\"alertname\": \"DiskFull\", \"instance\": \"db1:9100\"}', '{}', 'disk full', "
        f"'alertmanager', now(), now(), now(), now(), 1, '{{}}', '{raw}' "
        f"FROM generate_series(1, {count}) i")


@pytest.mark.parametrize("ingest", [False, True], ids=["pool", "alert-writer"])
def test_statements_are_planned_for_the_table_as_it_is_now(db: Database, ingest: bool) -> None:
    """PostgreSQL: a statement prepared while `alerts` was empty must not keep scanning the
    whole table once it holds thousands of alerts (the writer's fingerprint lookup read
    every row of every batch). Without per-execution plans the sixth run of a prepared
    statement fixes a generic plan, made for the empty table, until an ANALYZE."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL plan cache")
    from warroom.alerts.store import _PG_LOCK_KNOWN

    probe = _PG_LOCK_KNOWN.replace("%s", "$1")
    explain = """EXPLAIN (FORMAT JSON) EXECUTE {}('["a", "b"]')"""
    with db.session(write=True, ingest=ingest) as session:
        assert session.execute(text("SHOW plan_cache_mode")).scalar() == "force_custom_plan"
        session.execute(text(f"PREPARE early(text) AS {probe}"))
        for _ in range(8):  # past the five custom plans PostgreSQL makes before choosing
            session.execute(text("""EXECUTE early('["a", "b"]')"""))
        session.execute(text(_alert_rows_sql(50_000)))
        session.execute(text(f"PREPARE late(text) AS {probe}"))
        early = _nodes(session.execute(text(explain.format("early"))).scalar()[0]["Plan"])
        late = _nodes(session.execute(text(explain.format("late"))).scalar()[0]["Plan"])
        session.rollback()
    assert "Index Scan" in late  # the table is now large enough for the index
    assert early == late


def _nodes(plan: dict[str, Any]) -> list[str]:
    return [plan["Node Type"]] + [n for sub in plan.get("Plans", []) for n in _nodes(sub)]
