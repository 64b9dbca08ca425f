"""Group commit: many concurrent senders, one durable transaction per round.

Each ``write`` call waits until its events are committed. While one transaction is being
committed, new calls queue up and go together in the next one, so throughput grows with load
while a lone event still commits at once (no timer-based batching latency). On SQLite the
commits go through one raw connection (:class:`~artguard.store.sqlite_raw.RawSqlite`), as the
audit group commit's do.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine

from artguard.events import EventBase
from artguard.store.db import writing
from artguard.store.events import insert_events, insert_sqlite
from artguard.store.sqlite_raw import RawSqlite


@dataclass
class _Pending:
    events: Sequence[EventBase]
    done: asyncio.Future[set[str]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class EventWriter:
    """Durably stores events; ``write`` returns only after the commit."""

    def __init__(self, engine: Engine, max_batch: int = 20_000, inline: bool = False) -> None:
        """``inline`` commits in the loop's thread (see ``Settings.inline_writes``)."""
        self._engine = engine
        self._inline = inline
        self._raw: RawSqlite | None = None
        """SQLite: one raw connection for the commits (opened at the first)."""
        self._max_batch = max_batch
        self._queue: asyncio.Queue[_Pending] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._committing = False
        self.commits = 0
        self.rows = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="event-writer")

    async def stop(self) -> None:
        if self._task is None:
            return
        # Queued batches and the one being committed finish first: a commit runs on in its
        # thread even when the task awaiting it is cancelled, and needs the connection.
        while not self._queue.empty() or self._committing:
            await asyncio.sleep(0.01)
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        self._task = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    async def write(self, batch: Sequence[EventBase]) -> set[str]:
        """Store ``batch``; returns the ids that were not stored before."""
        if not batch:
            return set()
        unstamped = [e.id for e in batch if e.received_time is None]
        if unstamped:  # SQLite's INSERT OR IGNORE would drop them silently
            raise ValueError(f"events without received_time cannot be stored: {unstamped[:5]}")
        if self._task is None:
            raise RuntimeError("EventWriter.write called before start()")
        pending = _Pending(batch)
        self._queue.put_nowait(pending)
        return await pending.done

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            size = len(group[0].events)
            while not self._queue.empty() and size < self._max_batch:
                item = self._queue.get_nowait()
                group.append(item)
                size += len(item.events)
            self._committing = True
            try:
                if self._inline:
                    new_ids = self._commit(group)
                else:
                    new_ids = await asyncio.to_thread(self._commit, group)
            except Exception as exc:  # the database failed: every waiter learns it, none is acked
                for item in group:
                    if not item.done.done():
                        item.done.set_exception(exc)
                continue
            finally:
                self._committing = False
            unclaimed = set(new_ids)  # an id sent twice in one group is new for its first sender
            for item in group:
                mine = {e.id for e in item.events} & unclaimed
                unclaimed -= mine
                if not item.done.done():
                    item.done.set_result(mine)

    def _commit(self, group: list[_Pending]) -> set[str]:
        seen: set[str] = set()
        unique: list[EventBase] = []
        for item in group:
            for event in item.events:
                if event.id not in seen:
                    seen.add(event.id)
                    unique.append(event)
        if self._engine.dialect.name == "sqlite":
            if self._raw is None:
                self._raw = RawSqlite(self._engine)
            with self._raw.transaction() as db:
                new_ids = insert_sqlite(db.execute, db.executemany, unique)
        else:
            with writing(self._engine) as conn:
                new_ids = insert_events(conn, unique)
        self.commits += 1
        self.rows += len(new_ids)
        return new_ids
