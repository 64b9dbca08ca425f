"""Durable event log: idempotent inserts and reads of the ``events`` table."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.dialects import postgresql, sqlite

from artguard.events import EventBase, event_to_json, parse_event_json
from artguard.store.tables import events


def _insert_for(conn: Connection) -> Any:
    dialect = conn.dialect.name
    if dialect == "sqlite":
        return sqlite.insert(events)
    if dialect == "postgresql":
        return postgresql.insert(events)
    raise NotImplementedError(f"idempotent insert not implemented for {dialect}")


def event_row(event: EventBase) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "device_id": event.device_id,
        "site_time": event.site_time,
        "received_time": event.received_time,
        "payload": event_to_json(event),
    }


SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"
"""How SQLAlchemy stores a DateTime in SQLite (UTC here); the fast path writes the same."""

_SQLITE_INSERT = (
    "INSERT OR IGNORE INTO events (id, kind, device_id, site_time, received_time, payload) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)
_SQLITE_INSERT_MANY = (
    "INSERT OR IGNORE INTO events (id, kind, device_id, site_time, received_time, payload) VALUES"
)
_ROW_MARKS = "(?, ?, ?, ?, ?, ?)"
SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35, 0)
ROWS_PER_STATEMENT = 1000
"""Rows per multi-row insert: 6,000 variables, under SQLite's limit of 32,766 (3.32+)."""


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(sep=" ", timespec="microseconds")  # == SQLITE_TIME_FORMAT, faster


Execute = Callable[[str, Any], Iterable[Sequence[Any]]]
"""Runs one SQL statement with its parameters (a list of tuples: once per tuple) and returns
its rows: ``Connection.exec_driver_sql`` or a raw ``sqlite3`` cursor's execute."""


def _sqlite_stored_ids(execute: Execute, ids: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = tuple(ids[start : start + 500])
        marks = ",".join("?" * len(chunk))
        found.update(
            row[0] for row in execute(f"SELECT id FROM events WHERE id IN ({marks})", chunk)
        )
    return found


def _sqlite_rows(batch: Sequence[EventBase]) -> list[tuple[Any, ...]]:
    # Events of one request share one received_time object: format it once.
    received: dict[int, str | None] = {}
    rows = []
    for e in batch:
        key = id(e.received_time)
        if key not in received:
            received[key] = _sqlite_time(e.received_time)
        rows.append(
            (e.id, e.kind, e.device_id, _sqlite_time(e.site_time), received[key], event_to_json(e))
        )
    return rows


def insert_sqlite(execute: Execute, execute_many: Execute, batch: Sequence[EventBase]) -> set[str]:
    """SQLite fast path, bypassing SQLAlchemy's statement building; returns the new ids.

    From SQLite 3.35 one multi-row ``INSERT OR IGNORE ... RETURNING id`` per chunk says which
    rows were new (ignored rows are not returned). Older SQLite has no RETURNING: the ids
    already stored are looked up first and the rest go in one ``executemany``; the caller's
    transaction and the process's single writer keep that consistent.
    """
    if SQLITE_RETURNING:
        new: set[str] = set()
        rows = _sqlite_rows(batch)
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            values = ",".join([_ROW_MARKS] * len(chunk))
            params = tuple(value for row in chunk for value in row)
            result = execute(f"{_SQLITE_INSERT_MANY} {values} RETURNING id", params)
            new.update(row[0] for row in result)
        return new
    existing = _sqlite_stored_ids(execute, [e.id for e in batch])
    rows = _sqlite_rows([e for e in batch if e.id not in existing])
    if rows:
        execute_many(_SQLITE_INSERT, rows)
    return {row[0] for row in rows}


def insert_events(conn: Connection, batch: Sequence[EventBase]) -> set[str]:
    """Insert events not yet stored; returns the ids that were new. Caller commits.

    ``batch`` must not repeat an id (the writer removes repeats first).
    """
    if not batch:
        return set()
    if conn.dialect.name == "sqlite":
        return insert_sqlite(conn.exec_driver_sql, conn.exec_driver_sql, batch)
    rows = [event_row(e) for e in batch]
    stmt = _insert_for(conn).on_conflict_do_nothing(index_elements=["id"]).returning(events.c.id)
    return {row[0] for row in conn.execute(stmt, rows)}


def load_events(
    conn: Connection,
    *,
    after_seq: int = 0,
    limit: int = 1000,
    kinds: Sequence[str] | None = None,
    since: datetime | None = None,
) -> list[tuple[int, EventBase]]:
    """Stored events in arrival order, with their sequence numbers."""
    stmt = select(events.c.seq, events.c.payload).where(events.c.seq > after_seq)
    if kinds:
        stmt = stmt.where(events.c.kind.in_(list(kinds)))
    if since is not None:
        stmt = stmt.where(events.c.received_time >= since)
    stmt = stmt.order_by(events.c.seq).limit(limit)
    return [(seq, parse_event_json(payload)) for seq, payload in conn.execute(stmt)]


def stored_ids(conn: Connection, ids: Sequence[str]) -> set[str]:
    """Which of these ids are in the store (used by durability tests and replays)."""
    found: set[str] = set()
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        found.update(r[0] for r in conn.execute(select(events.c.id).where(events.c.id.in_(chunk))))
    return found
