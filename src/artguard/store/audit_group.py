"""Group commit for the audit log: many concurrent appends, one transaction.

Door decisions are audited one by one at hundreds per second; a transaction each would make
the log the bottleneck. Callers ``await append(record)`` and resume once their entry is sealed
in the chain, exactly as with :meth:`AuditLog.append`, but entries queued together share one
commit. ``append(record, events)`` stores events in the same transaction (a decision and its
audit entry are durable together, with one commit).

Commits run on a thread of their own, so a slow fsync never waits behind other work in the
default thread pool. On SQLite that thread writes through one raw ``sqlite3`` connection
(:class:`SqliteAppender`) instead of SQLAlchemy: the same rows, the same chain, the same locks
and the same ``synchronous`` durability, for about a third of the CPU per commit. Measured
under load at 500 decisions/s, SQLAlchemy's per-statement work on the commit thread was the
largest part of a door's wait (it competes with the event loop for the interpreter); the fsync
itself was not (``docs/access.md``, Latency).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from sqlalchemy import Engine

from artguard.events import EventBase, event_to_json, utcnow
from artguard.store.audit import AuditEntry, AuditLog, AuditRecord, _prepare
from artguard.store.audit_chain import GENESIS_HASH, canonical_json, entry_hash
from artguard.store.events import _sqlite_time
from artguard.store.sqlite_raw import RawSqlite
from artguard.tasks import cancel

_HEAD = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1"
_INSERT_AUDIT = (
    "INSERT INTO audit_log (seq, ts, actor, action, subject, details, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EVENT = (
    "INSERT OR IGNORE INTO events (id, kind, device_id, site_time, received_time, payload) "
    "VALUES (?, ?, ?, ?, ?, ?)"
)


class SqliteAppender:
    """Appends audit entries and their events to a SQLite store over one raw connection.

    The connection comes from the engine, so it carries the engine's pragmas (WAL, the
    configured ``synchronous``, busy timeout). Each :meth:`append` is one ``BEGIN IMMEDIATE``
    ... ``COMMIT`` under the process's write lock for the database, like
    :meth:`AuditLog.append_with_events`, and writes exactly the rows SQLAlchemy would (times
    in ``store.events.SQLITE_TIME_FORMAT``, details as canonical JSON), so the chain verifies
    and reads back the same whichever path wrote an entry. Use it from one thread at a time.
    """

    def __init__(self, engine: Engine) -> None:
        self._raw = RawSqlite(engine)

    def close(self) -> None:
        self._raw.close()

    def append(
        self, events: Sequence[EventBase], records: Sequence[AuditRecord]
    ) -> list[AuditEntry]:
        prepared = [_prepare(AuditRecord.coerce(r)) for r in records]
        event_rows = _event_rows(events)
        with self._raw.transaction() as db:
            head = db.execute(_HEAD).fetchone()
            seq, prev_hash = (head[0], head[1]) if head else (0, GENESIS_HASH)
            sealed = _seal(prepared, seq, prev_hash)
            if event_rows:
                db.executemany(_INSERT_EVENT, event_rows)
            db.executemany(_INSERT_AUDIT, [_audit_row(e) for e in sealed])
        return sealed


def _event_rows(events: Sequence[EventBase]) -> list[tuple[object, ...]]:
    unstamped = [e.id for e in events if e.received_time is None]
    if unstamped:  # INSERT OR IGNORE would drop them silently (NOT NULL)
        raise ValueError(f"events without received_time cannot be stored: {unstamped[:5]}")
    return [
        (
            e.id,
            e.kind,
            e.device_id,
            _sqlite_time(e.site_time),
            _sqlite_time(e.received_time),
            event_to_json(e),
        )
        for e in events
    ]


def _seal(records: Sequence[AuditRecord], seq: int, prev_hash: str) -> list[AuditEntry]:
    """Chain prepared records after the head (``seq``, ``prev_hash``), as ``AuditLog`` does."""
    now = utcnow()
    sealed = []
    for record in records:
        seq += 1
        ts = record.at or now
        actor, action, subject = record.actor, record.action, record.subject
        details = dict(record.details)
        digest = entry_hash(seq, ts, actor, action, subject, details, prev_hash)
        sealed.append(AuditEntry(seq, ts, actor, action, subject, details, prev_hash, digest))
        prev_hash = digest
    return sealed


def _audit_row(entry: AuditEntry) -> tuple[object, ...]:
    return (
        entry.seq,
        _sqlite_time(entry.ts),
        entry.actor,
        entry.action,
        entry.subject,
        canonical_json(entry.details),
        entry.prev_hash,
        entry.hash,
    )


@dataclass
class _Pending:
    record: AuditRecord
    events: Sequence[EventBase] = ()
    done: asyncio.Future[AuditEntry] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupAudit:
    """Appends to an :class:`AuditLog` in batches from a background task."""

    def __init__(self, audit: AuditLog, max_batch: int = 1000) -> None:
        self.audit = audit
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._thread: ThreadPoolExecutor | None = None
        self._sqlite: SqliteAppender | None = None
        self._committing = False
        self.commits = 0

    async def start(self) -> None:
        if self._task is not None:
            return
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="audit-commit")
        if self.audit.engine.dialect.name == "sqlite":
            loop = asyncio.get_running_loop()
            self._sqlite = await loop.run_in_executor(
                self._thread, SqliteAppender, self.audit.engine
            )
        self._task = asyncio.create_task(self._run(), name="audit-group")

    async def stop(self) -> None:
        if self._task is None:
            return
        while not self._queue.empty() or self._committing:  # every waiter gets its answer
            await asyncio.sleep(0.005)
        await cancel(self._task)
        self._task = None
        assert self._thread is not None
        if self._sqlite is not None:
            await asyncio.get_running_loop().run_in_executor(self._thread, self._sqlite.close)
            self._sqlite = None
        self._thread.shutdown(wait=True)
        self._thread = None

    async def append(self, record: AuditRecord, events: Sequence[EventBase] = ()) -> AuditEntry:
        if self._task is None:  # not started (a CLI dry run, a test): append directly
            _, entries = await asyncio.to_thread(self.audit.append_with_events, events, [record])
            return entries[0]
        pending = _Pending(record, events)
        self._queue.put_nowait(pending)
        return await pending.done

    def _commit(self, events: list[EventBase], records: list[AuditRecord]) -> list[AuditEntry]:
        if self._sqlite is not None:
            return self._sqlite.append(events, records)
        return self.audit.append_with_events(events, records)[1]

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty() and len(group) < self._max_batch:
                group.append(self._queue.get_nowait())
            events = _unique([e for p in group for e in p.events])
            self._committing = True
            try:
                entries = await loop.run_in_executor(
                    self._thread, self._commit, events, [p.record for p in group]
                )
            except Exception as exc:  # every waiter learns the log could not be written
                for pending in group:
                    if not pending.done.done():
                        pending.done.set_exception(exc)
                continue
            finally:
                self._committing = False
            self.commits += 1
            for pending, entry in zip(group, entries, strict=True):
                if not pending.done.done():
                    pending.done.set_result(entry)


def _unique(events: list[EventBase]) -> list[EventBase]:
    """Events without repeats of an id (a reader retrying with the same request id)."""
    seen: set[str] = set()
    unique = []
    for event in events:
        if event.id not in seen:
            seen.add(event.id)
            unique.append(event)
    return unique
