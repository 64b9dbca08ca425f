"""One raw ``sqlite3`` connection for a hot write path, outside SQLAlchemy.

SQLAlchemy's per-transaction work (pool checkout, ``begin``, statement handling) costs more
than a small SQLite commit itself. The few paths that commit hundreds of times a second (the
audit group commit, event ingestion) write through one raw connection taken from the engine,
so it carries the engine's pragmas (WAL, the configured ``synchronous``, busy timeout), under
the process's write lock for the database like every other writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

from artguard.store.db import write_lock


class RawSqlite:
    """A raw connection with explicit transactions; use it from one thread at a time."""

    def __init__(self, engine: Engine) -> None:
        if engine.dialect.name != "sqlite":
            raise ValueError(f"RawSqlite needs a SQLite engine, not {engine.dialect.name}")
        self._lock = write_lock(engine)
        self._raw = engine.raw_connection()
        db = self._raw.driver_connection
        assert isinstance(db, sqlite3.Connection)
        self.db = db
        self.db.isolation_level = None  # transactions are begun and ended explicitly below

    def close(self) -> None:
        # Under the lock, so a transaction in another thread finishes first; detached, so the
        # pool never hands out a connection left in autocommit mode.
        with self._lock:
            self._raw.detach()
            self._raw.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` ... ``COMMIT`` under the write lock; rolled back on error."""
        with self._lock:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:
                    db.execute("ROLLBACK")
                raise
