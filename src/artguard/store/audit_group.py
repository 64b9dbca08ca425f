"""Group commit for the audit log: many concurrent appends, one transaction.

Door decisions are audited one by one at hundreds per second; a transaction each would make
the log the bottleneck. Callers ``await append(record)`` and resume once their entry is sealed
in the chain, exactly as with :meth:`AuditLog.append`, but entries queued together share one
commit. ``append(record, events)`` stores events in the same transaction (a decision and its
audit entry are durable together, with one commit).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from artguard.events import EventBase
from artguard.store.audit import AuditEntry, AuditLog, AuditRecord
from artguard.tasks import cancel


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
        self.commits = 0

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="audit-group")

    async def stop(self) -> None:
        if self._task is None:
            return
        while not self._queue.empty():
            await asyncio.sleep(0.005)
        await cancel(self._task)
        self._task = None

    async def append(self, record: AuditRecord, events: Sequence[EventBase] = ()) -> AuditEntry:
        if self._task is None:  # not started (a CLI dry run, a test): append directly
            _, entries = await asyncio.to_thread(self.audit.append_with_events, events, [record])
            return entries[0]
        pending = _Pending(record, events)
        self._queue.put_nowait(pending)
        return await pending.done

    async def _run(self) -> None:
        while True:
            group = [await self._queue.get()]
            while not self._queue.empty() and len(group) < self._max_batch:
                group.append(self._queue.get_nowait())
            events = [e for p in group for e in p.events]
            try:
                _, entries = await asyncio.to_thread(
                    self.audit.append_with_events, events, [p.record for p in group]
                )
            except Exception as exc:  # every waiter learns the log could not be written
                for pending in group:
                    if not pending.done.done():
                        pending.done.set_exception(exc)
                continue
            self.commits += 1
            for pending, entry in zip(group, entries, strict=True):
                if not pending.done.done():
                    pending.done.set_result(entry)
