"""Engines and sessions tuned for the embedded SQLite default and for PostgreSQL.

SQLite: WAL so readers never block the writer, a busy timeout, foreign keys on, and
`BEGIN IMMEDIATE` for write transactions. A deferred transaction that reads and then writes
can fail with SQLITE_BUSY without waiting when another writer got in between (the classic
SQLite "deadlock"); taking the write lock up front makes writers queue on busy_timeout instead.

Bulk writers (firing a burst of timers) get a connection of their own on SQLite
(`transaction(bulk=True)`): no foreign-key checks, a larger page cache, no automatic
checkpoint. See `BULK_PRAGMAS`.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from warroom.db.sqlite_values import json_text

WRITE_OPTION = "warroom_write"
#: A write-ahead log that grew past this is cut back to it when SQLite starts it over.
WAL_SIZE_LIMIT = 64 * 1024 * 1024
# Pages of 8 KiB instead of SQLite's 4: a commit writes every page it dirtied to the log,
# and an alert storm dirties pages all over the fingerprint index. On a table of alerts:
# a new alert ~14.7 -> ~11.9 µs of SQLite's time, a resend of alerts stored side by side
# ~2.8 -> ~1.9 µs, a resend of scattered ones ~7.5 -> ~8.1 µs. 16 KiB gained a little
# more on the first two and lost 60 % on the third.
PAGE_SIZE = 8192
SQLITE_BUSY_TIMEOUT_MS = 30_000


#: The bulk connection's settings, beyond every connection's. Its one writer (the timer
#: firing) inserts only rows whose parents it read in the same write transaction, so
#: checking each row's foreign keys again costs ~8% of a burst for nothing; a 32 MiB page
#: cache (the default is 2 MiB) holds a burst's timers, escalations and indexes; and its
#: commits do not checkpoint: the engine's `wal-checkpoint` job copies the log into the
#: database outside the firing transactions (a checkpoint inside a commit is ~30% of a
#: burst). Kept off the pooled connections, which every other writer uses.
BULK_PRAGMAS = ("PRAGMA foreign_keys=OFF", "PRAGMA cache_size=-32768",
                "PRAGMA wal_autocheckpoint=0")


#: The alert writer's connection (`Database.transaction(ingest=True)`): a 32 MiB page
#: cache, filled only as far as a burst needs and emptied once it is over.
INGEST_PRAGMAS = ("PRAGMA cache_size=-32768",)


def _configure_sqlite(engine: Engine, extra: tuple[str, ...] = (),
                      checkpointed_elsewhere: threading.Event | None = None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect on a new database only
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
        for pragma in extra:
            cur.execute(pragma)
        cur.close()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        # Once a checkpoint job has taken over (`Database.checkpoint_elsewhere`), no
        # commit of a pooled connection copies the log into the database file itself.
        off = checkpointed_elsewhere is not None and checkpointed_elsewhere.is_set()
        if off and not record.info.get("warroom.no_autocheckpoint"):
            dbapi_conn.execute("PRAGMA wal_autocheckpoint=0")
            record.info["warroom.no_autocheckpoint"] = True

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def _configure_postgres(engine: Engine) -> None:
    """Every statement planned for the tables as they are when it runs.

    psycopg prepares a statement once a connection has run it five times, and PostgreSQL
    then keeps a generic plan for it until something invalidates it (an ANALYZE, which
    autovacuum runs a minute or more later, or never where it is off). A plan made
    while `alerts` was nearly empty scans the whole table: on a fresh installation the
    alert writer's fingerprint lookup read every row of every batch (22 ms at 50,000
    alerts), and one new alert a request fell from ~710 to ~170 a second once 127,000
    alerts were stored; planned per execution, ~590. Planning costs far less."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        autocommit, dbapi_conn.autocommit = dbapi_conn.autocommit, True
        with dbapi_conn.cursor() as cursor:
            cursor.execute("SET plan_cache_mode = force_custom_plan")
        dbapi_conn.autocommit = autocommit


def _sqlite_engine(url: str, echo: bool, *, pool_size: int, max_overflow: int) -> Engine:
    return create_engine(url, echo=echo, pool_size=pool_size, max_overflow=max_overflow,
                         connect_args={"check_same_thread": False},
                         json_serializer=json_text, json_deserializer=orjson.loads)


def _write_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions whose transactions begin as writes (`BEGIN IMMEDIATE` on SQLite)."""
    return sessionmaker(bind=engine.execution_options(**{WRITE_OPTION: True}),
                        expire_on_commit=False)


def _writer_lock_path(url: str) -> str:
    """`<database>-writer.lock`: held (flock) by whichever process writes."""
    from sqlalchemy.engine import make_url

    return f"{os.path.abspath(make_url(url).database or '')}-writer.lock"


def _in_memory(url: str) -> bool:
    return url in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in url


class Database:
    """One engine per process, with read and write session factories."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self._checkpointed_elsewhere = threading.Event()  # see `checkpoint_elsewhere`
        self._bulk_engine: Engine | None = None
        self._ingest_engine: Engine | None = None
        if self.is_sqlite:
            # A pool: opening a connection and setting its pragmas costs more than the
            # statements of a small request. A connection is used by one thread at a time.
            self.engine = _sqlite_engine(url, echo, pool_size=8, max_overflow=32)
            _configure_sqlite(self.engine, checkpointed_elsewhere=self._checkpointed_elsewhere)
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10,
                                        json_serializer=json_text, json_deserializer=orjson.loads)
            # The alert writers' connections, without a ping round trip before every
            # batch (~1 ms of a one-alert batch's ~15): a connection the server dropped
            # fails its batch once, and the writer retries it on a fresh one.
            self._ingest_engine = create_engine(url, echo=echo, pool_size=4, max_overflow=0,
                                                json_serializer=json_text,
                                                json_deserializer=orjson.loads)
            for engine in (self.engine, self._ingest_engine):
                _configure_postgres(engine)
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writer = _write_sessions(self.engine)
        self._bulk = self._writer  # PostgreSQL; a second in-memory SQLite would be another db
        self._bulk_reader = self._reader
        if self.is_sqlite and not _in_memory(url):
            # One connection: bulk writers take the write turn below anyway.
            self._bulk_engine = _sqlite_engine(url, echo, pool_size=1, max_overflow=0)
            _configure_sqlite(self._bulk_engine, BULK_PRAGMAS)
            self._bulk = _write_sessions(self._bulk_engine)
            self._bulk_reader = sessionmaker(bind=self._bulk_engine, expire_on_commit=False)
            # The alert writer's own connection: its page cache outlives a transaction
            # (a pooled one is shared with readers) and is big enough for the indexes a
            # batch of new fingerprints walks (random keys: ~700 distinct index pages per
            # 1,000 alerts, beyond the default 2 MiB). Emptied when ingest goes idle.
            self._ingest_engine = _sqlite_engine(url, echo, pool_size=1, max_overflow=0)
            _configure_sqlite(self._ingest_engine, INGEST_PRAGMAS,
                              checkpointed_elsewhere=self._checkpointed_elsewhere)
        # In-memory SQLite: the alert writer uses a pooled connection.
        self._ingest = (self._writer if self._ingest_engine is None
                        else _write_sessions(self._ingest_engine))
        self.listeners: list[Any] = []
        # SQLite has one writer. Threads of this process queue for it here, in order,
        # instead of in SQLite's busy handler, which sleeps and polls (up to 100 ms a
        # try) and so turns a few milliseconds of contention into long stalls; processes
        # on the same file (`serve --workers`, the CLI) queue on a lock file beside it.
        self._write_turn = threading.RLock() if self.is_sqlite else None
        self._turn_depth = 0  # nested transactions of the thread holding the turn
        self._turn_file = (None if not self.is_sqlite or _in_memory(url)
                           else _writer_lock_path(url))
        self._turn_fd: int | None = None

    def session(self, *, write: bool, bulk: bool = False, ingest: bool = False) -> Session:
        """A new session; write sessions take SQLite's write lock when they begin.

        Sessions carry this database's incident listeners (see `incidents.events`).
        """
        if ingest and write:
            session = self._ingest()
        elif bulk:
            session = (self._bulk if write else self._bulk_reader)()
        else:
            session = (self._writer if write else self._reader)()
        session.info["warroom.incident_listeners"] = self.listeners
        return session

    @contextmanager
    def transaction(self, *, bulk: bool = False, ingest: bool = False) -> Iterator[Session]:
        """A write unit of work: commit on success, roll back on any error.

        `bulk`: on the bulk connection (SQLite; see `BULK_PRAGMAS`), for a writer that
        reads every parent row it references in the same transaction, beside a running
        checkpoint job. `ingest`: on the alert writer's own connection (SQLite; a
        larger page cache, see `INGEST_PRAGMAS`). Both the same as a plain transaction
        on PostgreSQL.
        """
        with self.write_turn(), self.session(write=True, bulk=bulk, ingest=ingest) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def write_turn(self) -> Iterator[None]:
        """SQLite's turn to write, held by this thread (re-entrant) and, on a file, by
        this process among all that use it; nothing on PostgreSQL. Transactions take it;
        it can also be held without one, to keep every writer out for a moment."""
        if self._write_turn is None:
            yield
            return
        with self._write_turn:
            outermost = self._turn_depth == 0
            if outermost and self._turn_file is not None:
                if self._turn_fd is None:
                    self._turn_fd = os.open(self._turn_file, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self._turn_fd, fcntl.LOCK_EX)  # waits without the GIL
            self._turn_depth += 1
            try:
                yield
            finally:
                self._turn_depth -= 1
                if outermost and self._turn_fd is not None:
                    fcntl.flock(self._turn_fd, fcntl.LOCK_UN)

    @contextmanager
    def reading(self, *, bulk: bool = False) -> Iterator[Session]:
        """A read-only unit of work (`bulk`: on the bulk connection, which a bulk writer
        reads on to learn, through `PRAGMA data_version`, whether others wrote since)."""
        with self.session(write=False, bulk=bulk) as session:
            yield session

    def checkpoint_elsewhere(self) -> None:
        """SQLite: from now on this process's commits leave the write-ahead log to a
        checkpoint job (`engine.jobs.checkpoint_job`, which calls this when it first
        runs). A commit that checkpoints copies the log into the database file and
        fsyncs it, inside the writer's transaction: 10-15% of alert ingest's time."""
        self._checkpointed_elsewhere.set()

    def shrink_page_caches(self) -> int:
        """SQLite: empty the page caches of the pooled and alert-writer connections nobody
        is using (`PRAGMA shrink_memory`); returns how many there were.

        Each keeps its own page cache (2 MiB by default, 32 MiB on the alert writer's),
        filled by whatever the connection last read or wrote; the database file stays in
        the operating system's cache, so the next burst's first reads cost microseconds,
        not disk reads.
        """
        if not self.is_sqlite:
            return 0
        emptied = 0
        for engine in (self.engine, self._ingest_engine):
            checkedin = getattr(engine.pool, "checkedin", None) if engine else None
            raws = []
            try:
                for _ in range(checkedin() if checkedin is not None else 0):
                    raws.append(engine.raw_connection())  # type: ignore[union-attr]
                for raw in raws:
                    raw.driver_connection.execute("PRAGMA shrink_memory")
            finally:
                for raw in raws:
                    raw.close()
            emptied += len(raws)
        return emptied

    def dispose(self) -> None:
        if self._turn_fd is not None:
            os.close(self._turn_fd)
            self._turn_fd = None
        self.engine.dispose()
        if self._bulk_engine is not None:
            self._bulk_engine.dispose()
        if self._ingest_engine is not None:
            self._ingest_engine.dispose()
