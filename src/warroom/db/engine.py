"""Engines and sessions tuned for the embedded SQLite default and for PostgreSQL.

SQLite: WAL so readers never block the writer, a busy timeout, foreign keys on, and
`BEGIN IMMEDIATE` for write transactions. A deferred transaction that reads and then writes
can fail with SQLITE_BUSY without waiting when another writer got in between (the classic
SQLite "deadlock"); taking the write lock up front makes writers queue on busy_timeout instead.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import orjson
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from warroom.db.sqlite_values import json_text

WRITE_OPTION = "warroom_write"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get(WRITE_OPTION, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """One engine per process, with read and write session factories."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            # A pool: opening a connection and setting its pragmas costs more than the
            # statements of a small request. A connection is used by one thread at a time.
            self.engine = create_engine(url, echo=echo, pool_size=8, max_overflow=32,
                                        connect_args={"check_same_thread": False},
                                        json_serializer=json_text, json_deserializer=orjson.loads)
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(url, echo=echo, pool_pre_ping=True, pool_size=10,
                                        json_serializer=json_text, json_deserializer=orjson.loads)
        write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._reader = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._writer = sessionmaker(bind=write_engine, expire_on_commit=False)
        self.listeners: list[Any] = []
        # SQLite has one writer. Threads of this process queue for it here, in order,
        # instead of in SQLite's busy handler, which sleeps and polls (up to 100 ms a
        # try) and so turns a few milliseconds of contention into long stalls. Other
        # processes (the CLI) still meet busy_timeout.
        self._write_turn = threading.RLock() if self.is_sqlite else None

    def session(self, *, write: bool) -> Session:
        """A new session; write sessions take SQLite's write lock when they begin.

        Sessions carry this database's incident listeners (see `incidents.events`).
        """
        session = (self._writer if write else self._reader)()
        session.info["warroom.incident_listeners"] = self.listeners
        return session

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write unit of work: commit on success, roll back on any error."""
        with self._writer_turn(), self.session(write=True) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def _writer_turn(self) -> Iterator[None]:
        if self._write_turn is None:
            yield
            return
        with self._write_turn:
            yield

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A read-only unit of work."""
        with self.session(write=False) as session:
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
