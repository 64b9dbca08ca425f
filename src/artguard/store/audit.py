"""The append-only, hash-chained audit log (format and checks in :mod:`.audit_chain`).

Every config load and change, decision, alert, incident transition and operator action is an
entry with its actor. The log assigns ``seq`` (1, 2, 3 … without gaps) and links each entry to
the previous one by hash, so editing, deleting, reordering or inserting entries directly in the
database is found by :meth:`AuditLog.verify`.

Appends are serialised: a lock per database within the process (callers append from threads),
and across processes the database's own write lock, taken before reading the head of the chain
(SQLite: ``BEGIN IMMEDIATE``; PostgreSQL: a transaction-scoped advisory lock).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, String, delete, func, insert, select, type_coerce

from artguard.events import EventBase, utcnow
from artguard.store.audit_chain import (
    GENESIS_HASH,
    PURGE_ACTION,
    ChainBroken,
    ChainLookup,
    ChainReport,
    ChainWalker,
    StoredEntry,
    canonical_json,
    entry_hash,
    normalise_details,
)
from artguard.store.db import write_lock
from artguard.store.events import insert_events
from artguard.store.tables import audit_log

__all__ = ["GENESIS_HASH", "PURGE_ACTION", "AuditEntry", "AuditLog", "AuditRecord", "ChainReport"]

# Key of the PostgreSQL advisory lock that serialises appends ("artgaudt").
_APPEND_LOCK_KEY = 0x61727467_61756474
_LIMITS = {"actor": 128, "action": 64, "subject": 256}

_process_locks: dict[str, threading.Lock] = {}
_process_locks_guard = threading.Lock()


def _process_lock(engine: Engine) -> AbstractContextManager[object]:
    """One lock per database for every AuditLog in this process, however many engines.

    On SQLite it is the database's shared write lock, so appends queue behind other writers
    instead of sleeping in SQLite's busy handler.
    """
    if engine.dialect.name == "sqlite":
        return write_lock(engine)
    key = engine.url.render_as_string(hide_password=True)
    with _process_locks_guard:
        return _process_locks.setdefault(key, threading.Lock())


@dataclass(frozen=True)
class AuditRecord:
    """What to append; the log adds seq, hashes and (unless given) the time."""

    actor: str
    action: str
    subject: str | None = None
    details: Mapping[str, Any] = field(default_factory=dict)
    at: datetime | None = None

    @classmethod
    def coerce(cls, value: AuditRecord | Mapping[str, Any]) -> AuditRecord:
        if isinstance(value, AuditRecord):
            return value
        unknown = set(value) - {"actor", "action", "subject", "details", "at"}
        if unknown:
            raise ValueError(f"unknown audit record fields: {sorted(unknown)}")
        return cls(**value)


@dataclass(frozen=True)
class AuditEntry:
    """One sealed entry of the chain."""

    seq: int
    ts: datetime
    actor: str
    action: str
    subject: str | None
    details: dict[str, Any]
    prev_hash: str
    hash: str


class AuditLog:
    """The audit log stored in ``audit_log``; safe to share between threads."""

    def __init__(self, engine: Engine, verify_batch_size: int = 5000) -> None:
        self._engine = engine
        self._lock = _process_lock(engine)
        self._verify_batch_size = verify_batch_size

    @property
    def engine(self) -> Engine:
        return self._engine

    def append(
        self,
        actor: str,
        action: str,
        subject: str | None,
        details: Mapping[str, Any],
        at: datetime | None = None,
    ) -> AuditEntry:
        """Record one entry; ``at`` defaults to now."""
        return self.append_many([AuditRecord(actor, action, subject, details, at)])[0]

    def append_many(self, entries: Iterable[AuditRecord | Mapping[str, Any]]) -> list[AuditEntry]:
        """Record several entries in one transaction, in order (mappings take the same keys as
        :class:`AuditRecord`)."""
        records = [_prepare(AuditRecord.coerce(entry)) for entry in entries]
        return self._append(records)

    def append_with_events(
        self, events: Sequence[EventBase], entries: Iterable[AuditRecord | Mapping[str, Any]]
    ) -> tuple[set[str], list[AuditEntry]]:
        """Store ``events`` and seal audit ``entries`` in one transaction: one commit (one
        fsync) for a decision and its audit record. Returns the new event ids and the
        entries."""
        records = [_prepare(AuditRecord.coerce(entry)) for entry in entries]
        with self._lock, self._engine.begin() as conn:
            self._take_write_lock(conn)
            new_ids = insert_events(conn, events) if events else set()
            return new_ids, self._insert(conn, records) if records else []

    def entries(
        self,
        after_seq: int = 0,
        limit: int = 100,
        action: str | None = None,
        subject: str | None = None,
        newest_first: bool = False,
    ) -> list[AuditEntry]:
        """Entries with seq above ``after_seq``, oldest first (or the newest ``limit`` ones)."""
        stmt = select(audit_log).where(audit_log.c.seq > after_seq)
        if action is not None:
            stmt = stmt.where(audit_log.c.action == action)
        if subject is not None:
            stmt = stmt.where(audit_log.c.subject == subject)
        order = audit_log.c.seq.desc() if newest_first else audit_log.c.seq
        with self._engine.connect() as conn:
            rows = conn.execute(stmt.order_by(order).limit(limit)).all()
        return [_to_entry(row) for row in rows]

    def head(self) -> AuditEntry | None:
        """The newest entry."""
        found = self.entries(limit=1, newest_first=True)
        return found[0] if found else None

    def verify(self) -> ChainReport:
        """Walk the whole chain in seq order, in batches, and report the first break."""
        with self._engine.connect() as conn:
            # One snapshot for the whole walk, so appends and purges meanwhile don't show up
            # half-way through.
            if conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN")
            elif conn.dialect.name == "postgresql":
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
            walker = ChainWalker(_lookup(conn))
            try:
                for entry in self._stored_entries(conn):
                    walker.feed(entry)
                walker.finish()
            except ChainBroken as broken:
                return ChainReport(False, walker.checked, broken.seq, broken.problem, None)
        return ChainReport(True, walker.checked, None, None, walker.head_hash)

    def purge_before(
        self,
        cutoff: datetime,
        actor: str = "system:retention",
        at: datetime | None = None,
        batch_size: int = 1000,
    ) -> int:
        """Delete the oldest entries, up to the first one at or after ``cutoff``; returns how many.

        Only a prefix of the chain is deleted (an entry after ``cutoff`` keeps everything after
        it, since ``at`` need not increase with seq). Before deleting, an ``audit.purge`` entry
        records the last seq to go and its hash, which is what :meth:`verify` starts from
        afterwards. Deletes run in batches of their own transactions; if interrupted, the
        entries still there keep verifying and the next purge finishes the job.
        """
        with self._lock, self._engine.begin() as conn:
            self._take_write_lock(conn)
            first = conn.execute(select(func.min(audit_log.c.seq))).scalar()
            if first is None:
                return 0
            first_kept = conn.execute(
                select(func.min(audit_log.c.seq)).where(audit_log.c.ts >= cutoff)
            ).scalar()
            through = first_kept - 1 if first_kept is not None else self._head(conn)[0]
            if through < first:
                return 0
            through_hash = conn.execute(
                select(audit_log.c.hash).where(audit_log.c.seq == through)
            ).scalar_one()
            count = through - first + 1
            details = {
                "purged_through_seq": through,
                "purged_through_hash": through_hash,
                "entries": count,
                "cutoff": cutoff,
            }
            record = AuditRecord(actor, PURGE_ACTION, "audit_log", details, at)
            self._insert(conn, [_prepare(record, purge=True)])
        for low in range(first, through + 1, batch_size):
            high = min(low + batch_size - 1, through)
            with self._engine.begin() as conn:
                conn.execute(delete(audit_log).where(audit_log.c.seq.between(low, high)))
        return count

    # -- internals ---------------------------------------------------------------------------

    def _append(self, records: list[AuditRecord]) -> list[AuditEntry]:
        if not records:
            return []
        with self._lock, self._engine.begin() as conn:
            self._take_write_lock(conn)
            return self._insert(conn, records)

    def _insert(self, conn: Connection, records: list[AuditRecord]) -> list[AuditEntry]:
        """Seal prepared records and insert them after the head; the caller holds the lock."""
        seq, prev_hash = self._head(conn)
        now = utcnow()
        sealed: list[AuditEntry] = []
        for record in records:
            seq += 1
            ts = record.at or now
            details = dict(record.details)
            digest = entry_hash(
                seq, ts, record.actor, record.action, record.subject, details, prev_hash
            )
            sealed.append(
                AuditEntry(
                    seq, ts, record.actor, record.action, record.subject, details, prev_hash, digest
                )
            )
            prev_hash = digest
        conn.execute(
            insert(audit_log),
            [
                {
                    "seq": e.seq,
                    "ts": e.ts,
                    "actor": e.actor,
                    "action": e.action,
                    "subject": e.subject,
                    "details": canonical_json(e.details),
                    "prev_hash": e.prev_hash,
                    "hash": e.hash,
                }
                for e in sealed
            ],
        )
        return sealed

    @staticmethod
    def _take_write_lock(conn: Connection) -> None:
        if conn.dialect.name == "sqlite":
            # pysqlite has not begun a transaction yet; this one takes the write lock now,
            # waiting up to busy_timeout for other processes.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        elif conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_APPEND_LOCK_KEY})")
        else:
            raise NotImplementedError(
                f"audit log appends are not implemented for {conn.dialect.name}"
            )

    @staticmethod
    def _head(conn: Connection) -> tuple[int, str]:
        row = conn.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        return (row.seq, row.hash) if row else (0, GENESIS_HASH)

    def _stored_entries(self, conn: Connection) -> Iterator[StoredEntry]:
        """Every row in seq order (even ones moved below 1), by keyset pagination so memory
        stays flat."""
        after: int | None = None
        while True:
            stmt = select(*_stored_columns(conn))
            if after is not None:
                stmt = stmt.where(audit_log.c.seq > after)
            rows = conn.execute(stmt.order_by(audit_log.c.seq).limit(self._verify_batch_size)).all()
            for row in rows:
                yield _to_stored(row)
            if len(rows) < self._verify_batch_size:
                return
            after = rows[-1].seq


def _prepare(record: AuditRecord, purge: bool = False) -> AuditRecord:
    """Check a record and bring it to the form it is hashed and stored in (before any lock is
    taken, so a bad record or a slow serialisation never holds up other appends)."""
    if not record.actor or not record.action:
        raise ValueError("an audit entry needs an actor and an action")
    for name, limit in _LIMITS.items():
        value = getattr(record, name)
        if value is not None and len(value) > limit:
            raise ValueError(f"audit {name} longer than {limit} characters: {value[:40]!r}…")
    if record.action == PURGE_ACTION and not purge:
        raise ValueError(f"{PURGE_ACTION!r} entries are written by purge_before() only")
    if record.at is not None and record.at.tzinfo is None:
        raise ValueError("audit times must be timezone-aware")
    return AuditRecord(
        record.actor,
        record.action,
        record.subject,
        normalise_details(record.details),
        record.at.astimezone(UTC) if record.at is not None else None,
    )


def _lookup(conn: Connection) -> ChainLookup:
    def seq_with_hash(value: str) -> int | None:
        return conn.execute(
            select(audit_log.c.seq).where(audit_log.c.hash == value).limit(1)
        ).scalar()

    def seq_with_prev_hash(value: str) -> int | None:
        return conn.execute(
            select(audit_log.c.seq).where(audit_log.c.prev_hash == value).limit(1)
        ).scalar()

    def purges_after(seq: int) -> list[StoredEntry]:
        rows = conn.execute(
            select(*_stored_columns(conn)).where(
                audit_log.c.action == PURGE_ACTION, audit_log.c.seq > seq
            )
        ).all()
        return [_to_stored(row) for row in rows]

    return ChainLookup(seq_with_hash, seq_with_prev_hash, purges_after)


def _stored_columns(conn: Connection) -> list[Any]:
    """Columns for verification. On SQLite the time is read as its stored text: a time edited
    into something unparseable must be reported as an edit, not crash the walk."""
    ts: Any = audit_log.c.ts
    if conn.dialect.name == "sqlite":
        ts = type_coerce(audit_log.c.ts, String).label("ts")
    c = audit_log.c
    return [c.seq, ts, c.actor, c.action, c.subject, c.details, c.prev_hash, c.hash]


def _parse_stored_time(value: datetime | str | None) -> datetime | None:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _to_stored(row: Row[Any]) -> StoredEntry:
    seq, ts, *rest = row  # positional: this runs once per entry on a full verify
    return StoredEntry(seq, _parse_stored_time(ts), *rest)


def _to_entry(row: Row[Any]) -> AuditEntry:
    return AuditEntry(
        row.seq,
        row.ts,
        row.actor,
        row.action,
        row.subject,
        json.loads(row.details),
        row.prev_hash,
        row.hash,
    )
