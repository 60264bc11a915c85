"""The alert writer on a real database: requests waiting together are committed in one
transaction, each gets its own answer, and a request that cannot be stored fails alone.

The writer is held busy by a first request that waits on an event, so the requests
queued meanwhile are taken together, deterministically.
"""

from __future__ import annotations

import gc
import platform
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from warroom.alerts import writer as writer_module
from warroom.alerts.context import PipelineConfig
from warroom.alerts.fingerprint import alertmanager_fingerprint
from warroom.alerts.model import AlertStatus, IncomingAlert, make_alert
from warroom.alerts.models import Alert
from warroom.alerts.service import Outcome, Sender
from warroom.alerts.writer import AlertWriter, Submission, release_freed_memory
from warroom.config.loader import parse_config
from warroom.db import Database
from warroom.incidents.models import Incident
from warroom.incidents.service import SeverityPolicy
from warroom.observability.metrics import Metrics

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
SENDER = Sender("integration:prometheus")


def alert(alertname: str, **labels: str) -> IncomingAlert:
    labels = {"alertname": alertname, **labels}
    return make_alert(labels=labels, annotations={}, fingerprint=alertmanager_fingerprint(labels),
                      status=AlertStatus.FIRING, starts_at=T0, ends_at=None,
                      generator_url=None, source_format="alertmanager_webhook",
                      dedup_key=None, summary=alertname, severity_hint=None, raw={})


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


@pytest.fixture
def writer(db: Database, metrics: Metrics) -> Iterator[AlertWriter]:
    config = parse_config("")
    cfg = PipelineConfig.from_config(config, SeverityPolicy.from_config(config))
    w = AlertWriter(db, lambda: cfg, metrics)
    w.threads = 1  # PostgreSQL runs two; one keeps "taken together" deterministic here
    yield w
    w.close()


class Gate:
    """A request that keeps the writer busy until released."""

    def __init__(self) -> None:
        self.entered, self.release = threading.Event(), threading.Event()

    def work(self, _session: object) -> Outcome:
        self.entered.set()
        assert self.release.wait(10)
        return Outcome()

    def hold(self, writer: AlertWriter) -> None:
        writer.submit(Submission(SENDER, [], T0, work=self.work))
        assert self.entered.wait(10)


def stored(db: Database) -> set[str]:
    with db.reading() as session:
        return set(session.scalars(select(Alert.labels["i"].as_string())))


def batches(metrics: Metrics) -> tuple[float, float]:
    """(transactions, requests) the writer has recorded."""
    count = metrics.registry.get_sample_value("warroom_ingest_batch_requests_count")
    total = metrics.registry.get_sample_value("warroom_ingest_batch_requests_sum")
    return count or 0.0, total or 0.0


def test_waiting_requests_share_one_transaction_and_each_gets_its_own_answer(
    writer: AlertWriter, db: Database, metrics: Metrics,
) -> None:
    gate = Gate()
    gate.hold(writer)
    first = writer.submit(Submission(SENDER, [alert("DiskFull", i="a"), alert("DiskFull", i="b")],
                                     T0))
    second = writer.submit(Submission(SENDER, [alert("DiskFull", i="a"), alert("CpuHigh", i="c")],
                                      T0))
    others = [writer.submit(Submission(SENDER, [alert("CpuHigh", i=f"n{n}")], T0))
              for n in range(20)]
    gate.release.set()
    a, b = first.result(10), second.result(10)
    rest = [f.result(10) for f in others]

    assert batches(metrics) == (2, 23)  # the gate alone, then all 22 waiting requests
    assert stored(db) == {"a", "b", "c", *(f"n{n}" for n in range(20))}
    assert (a.received, a.new) == (2, 2) and (b.received, b.new) == (2, 2)
    assert all((r.received, r.new) == (1, 1) for r in rest)
    # Each request hears about the incidents its own alerts opened or joined (by
    # fingerprint: "a" is in both of the first two), not about the others'.
    disk, cpu = incident_of(db, "a"), incident_of(db, "c")
    assert disk != cpu
    assert a.incidents_touched == {disk} and b.incidents_touched == {disk, cpu}
    assert all(r.incidents_touched == {cpu} for r in rest)
    answers = [a, b, *rest]
    assert all(set(r.incidents_opened) <= r.incidents_touched for r in answers)
    assert {ref for r in answers for ref in r.incidents_opened} == {disk, cpu}


def test_a_storm_of_new_alerts_gets_larger_transactions_on_sqlite(
    writer: AlertWriter, db: Database, metrics: Metrics,
) -> None:
    """Up to 1,000 waiting alerts a transaction; on SQLite up to 5,000 while the last
    batch was mostly new alerts (their commit writes index pages all over the
    fingerprint index, once per transaction), and 1,000 again once repeats come."""
    storm = writer_module.SQLITE_STORM_BATCH_ALERTS if db.is_sqlite \
        else writer_module.MAX_BATCH_ALERTS
    per_request = 500

    def burst(prefix: str, requests: int) -> list[float]:
        """Post `requests` waiting requests; the requests each transaction took."""
        before = batches(metrics)
        gate = Gate()
        gate.hold(writer)
        futures = [writer.submit(Submission(SENDER, [alert("Load", i=f"{prefix}{r}-{n}")
                                                     for n in range(per_request)], T0))
                   for r in range(requests)]
        gate.release.set()
        assert all(f.result(30).received == per_request for f in futures)
        count, total = batches(metrics)
        return [count - before[0], total - before[1]]

    requests = 13  # 6,500 alerts
    thousand = -(-requests * per_request // 1000)  # transactions at 1,000 a time
    # New alerts: the first transaction takes 1,000 (the last batch, the gate's, held
    # none), then on SQLite 5,000, then the one request left.
    assert burst("a", requests) == ([1 + 3, 1 + requests] if db.is_sqlite
                                    else [1 + thousand, 1 + requests])
    # The same alerts again: on SQLite the first transaction is still storm-sized (the
    # last batch was new alerts), then, all repeats, back to 1,000 at a time.
    assert burst("a", requests) == ([1 + 3, 1 + requests] if db.is_sqlite
                                    else [1 + thousand, 1 + requests])
    assert len(stored(db)) == requests * per_request
    assert storm == (5000 if db.is_sqlite else 1000)


def incident_of(db: Database, ident: str) -> str:
    with db.reading() as session:
        row = session.scalar(select(Alert).where(Alert.labels["i"].as_string() == ident))
        assert row is not None and row.incident_id is not None
        number = session.scalar(select(Incident.number).where(Incident.id == row.incident_id))
    return f"INC-{number}"


def test_a_request_that_cannot_be_stored_fails_alone(
    writer: AlertWriter, db: Database, metrics: Metrics,
) -> None:
    def broken(_session: object) -> Outcome:
        raise ValueError("this request cannot be stored")

    gate = Gate()
    gate.hold(writer)
    before = writer.submit(Submission(SENDER, [alert("DiskFull", i="kept-1")], T0))
    bad = writer.submit(Submission(SENDER, [alert("DiskFull", i="lost")], T0, work=broken))
    after = writer.submit(Submission(SENDER, [alert("DiskFull", i="kept-2")], T0))
    gate.release.set()

    assert before.result(10).new == 1 and after.result(10).new == 1
    with pytest.raises(ValueError, match="cannot be stored"):
        bad.result(10)
    assert stored(db) == {"kept-1", "kept-2"}
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Alert)) == 2


def test_close_finishes_what_is_queued(writer: AlertWriter, db: Database) -> None:
    gate = Gate()
    gate.hold(writer)
    queued = [writer.submit(Submission(SENDER, [alert("DiskFull", i=f"q{n}")], T0))
              for n in range(5)]
    gate.release.set()
    writer.close()
    assert all(f.done() and f.exception() is None for f in queued)
    assert stored(db) == {f"q{n}" for n in range(5)}


# ------------------------------------------------------------------ idle hooks and memory

def wait_for(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return condition()


def idle_writer(db: Database, hook: Callable[[], object], idle_seconds: float) -> AlertWriter:
    config = parse_config("")
    cfg = PipelineConfig.from_config(config, SeverityPolicy.from_config(config))
    w = AlertWriter(db, lambda: cfg, idle_hooks=[hook], idle_seconds=idle_seconds)
    w.threads = 1
    return w


def test_idle_hooks_run_once_after_a_burst_not_between_its_batches(db: Database) -> None:
    calls: list[float] = []
    writer = idle_writer(db, lambda: calls.append(time.monotonic()), idle_seconds=0.5)
    try:
        assert not calls  # nothing written yet: nothing to run after
        # A burst: 15 requests 50 ms apart, each its own transaction (the previous one
        # is committed before the next is sent), so the writer is briefly idle 15
        # times, each time far shorter than idle_seconds.
        n = 15
        for k in range(n):
            writer.write(Submission(SENDER, [alert("DiskFull", i=f"b{k}")], T0))
            time.sleep(0.05)
        burst_over = time.monotonic()
        assert calls == []  # not per batch
        assert wait_for(lambda: len(calls) == 1)
        assert calls[0] - burst_over >= 0.5 - 0.06  # a full idle_seconds after the last batch
        time.sleep(1.2)  # still idle: the hooks do not run again without new work
        assert len(calls) == 1

        writer.write(Submission(SENDER, [alert("DiskFull", i="next")], T0))
        assert wait_for(lambda: len(calls) == 2)  # the next burst gets its own run
        assert stored(db) == {*(f"b{k}" for k in range(n)), "next"}
    finally:
        writer.close()


def test_a_failing_idle_hook_does_not_stop_the_writer(db: Database) -> None:
    calls: list[int] = []

    def broken() -> None:
        calls.append(1)
        raise RuntimeError("hook failed")

    writer = idle_writer(db, broken, idle_seconds=0.1)
    try:
        writer.write(Submission(SENDER, [alert("DiskFull", i="one")], T0))
        assert wait_for(lambda: len(calls) == 1)
        assert writer.write(Submission(SENDER, [alert("DiskFull", i="two")], T0)).new == 1
        assert wait_for(lambda: len(calls) == 2)
    finally:
        writer.close()


def test_the_writer_does_not_keep_its_last_batch_alive(writer: AlertWriter) -> None:
    submission = Submission(SENDER, [alert("DiskFull", i=f"k{n}") for n in range(50)], T0)
    alive = weakref.ref(submission)
    assert writer.write(submission).new == 50
    del submission
    # The writer now waits for the next request; what it wrote must be garbage by then.
    assert wait_for(lambda: (gc.collect(), alive() is None)[1])


def test_cyclic_garbage_of_a_burst_is_collected_once_the_writer_is_idle(db: Database) -> None:
    """Served processes collect young garbage rarely (cli.serve); the writer's default
    idle hooks free what a burst left in reference cycles once the burst is over."""
    config = parse_config("")
    cfg = PipelineConfig.from_config(config, SeverityPolicy.from_config(config))

    class Cycle:
        def __init__(self) -> None:
            self.me = self

    gc.disable()  # as if the young-collection threshold were never reached
    writer = AlertWriter(db, lambda: cfg, idle_seconds=0.2)
    writer.threads = 1
    try:
        left = Cycle()
        dead = weakref.ref(left)
        del left
        time.sleep(0.05)
        assert dead() is not None  # garbage, but nothing collects it yet
        writer.write(Submission(SENDER, [alert("DiskFull", i="cycle")], T0))
        assert wait_for(lambda: dead() is None)
    finally:
        gc.enable()
        writer.close()


def test_release_freed_memory_runs_where_there_is_glibc() -> None:
    released = release_freed_memory()
    assert isinstance(released, bool)
    if sys.platform == "linux" and platform.libc_ver()[0] == "glibc":
        assert writer_module._malloc_trim is not None


def _sqlite_memory_used() -> Callable[[], int]:
    """sqlite3_memory_used() of the SQLite library this process's sqlite3 module uses."""
    import ctypes
    import sqlite3

    try:
        lib = ctypes.CDLL("libsqlite3.so.0")
        used = lib.sqlite3_memory_used
    except (OSError, AttributeError):
        pytest.skip("no shared libsqlite3 to ask")
    used.restype = ctypes.c_int64
    probe = sqlite3.connect(":memory:")
    before = used()
    probe.execute("CREATE TABLE t (x)")  # allocates in *this* library, if it is the same
    probe.executemany("INSERT INTO t VALUES (?)", [(b"x" * 1000,)] * 200)
    grew = used() > before
    probe.close()
    if not grew:
        pytest.skip("the sqlite3 module is not linked against libsqlite3.so.0")
    return used


def test_shrinking_page_caches_empties_the_idle_connections(
    db: Database,
) -> None:
    if not db.is_sqlite:
        pytest.skip("page caches are SQLite's")
    used = _sqlite_memory_used()
    with db.transaction() as session:
        session.connection().exec_driver_sql("CREATE TABLE bulk (id INTEGER PRIMARY KEY, v)")
        session.connection().exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) "
            "INSERT INTO bulk SELECT i, randomblob(1000) FROM n")
    # Three pooled connections, each reading ~1.5 MB of pages into its cache.
    connections = [db.engine.connect() for _ in range(3)]
    for c in connections:
        assert c.exec_driver_sql("SELECT sum(length(v)) FROM bulk").scalar() == 1_500_000
    for c in connections:
        c.close()
    full = used()
    assert db.shrink_page_caches() >= 3
    assert full - used() > 3 * 1_000_000


def test_a_connection_the_server_dropped_costs_a_retry_not_the_request(
        writer: AlertWriter, db: Database) -> None:
    """PostgreSQL: the writers' connections are not pinged before each batch; one the
    server closed fails its batch once and the batch is written on a fresh one."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL server connections")
    from sqlalchemy import text

    assert writer.write(Submission(SENDER, [alert("DiskFull", i="before")], T0)).new == 1
    with db.reading() as session:
        killed = session.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    assert killed >= 1
    assert writer.write(Submission(SENDER, [alert("DiskFull", i="after")], T0)).new == 1
    assert stored(db) >= {"before", "after"}



class Holder:
    """Another transaction holding the first correlation group and its incident the way
    a concurrent batch under shared locks does (PostgreSQL)."""

    def __init__(self, db: Database) -> None:
        from sqlalchemy import text

        from warroom.alerts import store
        from warroom.alerts.models import AlertGroup

        self.session = db.session(write=True)
        key, self.incident_id = self.session.execute(
            select(AlertGroup.group_key, AlertGroup.incident_id)).one()
        store.lock_groups(self.session, [key], shared=True)
        self.session.execute(text("SELECT id FROM incidents WHERE id = :id FOR SHARE"),
                             {"id": self.incident_id})

    def release(self) -> None:
        self.session.rollback()
        self.session.close()


def _incident_of(db: Database, i: str) -> object:
    with db.reading() as session:
        return session.scalar(select(Alert.incident_id).where(Alert.labels["i"].as_string() == i))


def _group_seen_at(db: Database) -> datetime | None:
    from warroom.alerts.models import AlertGroup

    with db.reading() as session:
        return session.scalar(select(AlertGroup.last_alert_at))


def test_alerts_joining_an_open_incident_do_not_queue_behind_another_writer(
        writer: AlertWriter, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a batch that only attaches alerts to the incident their group feeds
    takes shared locks, so it goes through while another transaction holds the group and
    the incident the same way (another writer's batch); a batch that must change the group
    (its last alert time is older than `LAST_ALERT_PRECISION`) waits for it."""
    if db.is_sqlite:
        pytest.skip("SQLite's write transaction excludes the other writer")
    from datetime import timedelta

    monkeypatch.setattr(writer_module, "EXCLUSIVE_AFTER_MISS", 0)  # see the next test
    assert writer.write(Submission(SENDER, [alert("DiskFull", i="1")], T0)).new == 1
    holder = Holder(db)
    try:
        joined = writer.submit(Submission(SENDER, [alert("DiskFull", i="2")],
                                          T0 + timedelta(milliseconds=500)))
        assert joined.result(10).new == 1  # did not wait for the holder
        assert _incident_of(db, "2") == holder.incident_id
        assert _group_seen_at(db) == T0  # within the precision: the group was not written

        later = writer.submit(Submission(SENDER, [alert("DiskFull", i="3")],
                                         T0 + timedelta(seconds=5)))
        time.sleep(1.0)
        assert not later.done()  # it must write the group: it waits for the holder
    finally:
        holder.release()
    assert later.result(10).new == 1
    assert _incident_of(db, "3") == holder.incident_id
    assert _group_seen_at(db) == T0 + timedelta(seconds=5)


def test_after_opening_an_incident_the_next_batches_lock_exclusively_for_a_while(
        writer: AlertWriter, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL: a batch that had to open an incident makes the next
    `EXCLUSIVE_AFTER_MISS` batches skip the shared try (events that each open an
    incident would waste one every time); then batches try shared locks again."""
    if db.is_sqlite:
        pytest.skip("SQLite's write transaction excludes the other writer")
    from datetime import timedelta

    monkeypatch.setattr(writer_module, "EXCLUSIVE_AFTER_MISS", 2)
    ms = timedelta(milliseconds=100)
    assert writer.write(Submission(SENDER, [alert("DiskFull", i="1")], T0)).new == 1
    holder = Holder(db)
    try:
        skipped = writer.submit(Submission(SENDER, [alert("DiskFull", i="2")], T0 + ms))
        time.sleep(1.0)
        assert not skipped.done()  # exclusive at once: it waits for the holder
    finally:
        holder.release()
    assert skipped.result(10).new == 1
    assert writer.write(Submission(SENDER, [alert("DiskFull", i="3")], T0 + 2 * ms)).new == 1
    holder = Holder(db)
    try:  # the two exclusive batches are spent: this one tries shared locks again
        shared = writer.submit(Submission(SENDER, [alert("DiskFull", i="4")], T0 + 3 * ms))
        assert shared.result(10).new == 1
    finally:
        holder.release()
    assert {_incident_of(db, i) for i in "1234"} == {holder.incident_id}
