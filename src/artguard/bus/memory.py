"""In-process event bus: one asyncio queue and worker task per subscriber."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from artguard.bus.base import BusStats, Handler, SubscriberStats
from artguard.events import EventBase

log = logging.getLogger(__name__)


@dataclass
class _Subscriber:
    handler: Handler
    stats: SubscriberStats
    queue: asyncio.Queue[Sequence[EventBase]]
    task: asyncio.Task[None] | None = None


async def deliver(handler: Handler, stats: SubscriberStats, event: EventBase) -> None:
    """Run one handler on one event; a failure is logged and counted, never raised."""
    try:
        await handler(event)
        stats.delivered += 1
    except Exception as exc:  # one bad event or buggy handler must not stop the bus
        stats.failed += 1
        stats.last_error = f"{type(exc).__name__}: {exc}"
        log.exception("subscriber %s failed on event %s (%s)", stats.name, event.id, event.kind)


class MemoryBus:
    """The default bus: everything in one process, no broker needed."""

    def __init__(self) -> None:
        self._subscribers: list[_Subscriber] = []
        self._published = 0
        self._running = False

    def subscribe(self, name: str, handler: Handler, kinds: Iterable[str] | None = None) -> None:
        stats = SubscriberStats(name=name, kinds=frozenset(kinds) if kinds is not None else None)
        sub = _Subscriber(handler=handler, stats=stats, queue=asyncio.Queue())
        self._subscribers.append(sub)
        if self._running:
            sub.task = asyncio.create_task(self._run(sub), name=f"bus:{name}")

    async def start(self) -> None:
        self._running = True
        for sub in self._subscribers:
            if sub.task is None:
                sub.task = asyncio.create_task(self._run(sub), name=f"bus:{sub.stats.name}")

    async def stop(self) -> None:
        await self.drain()
        self._running = False
        for sub in self._subscribers:
            if sub.task is not None:
                sub.task.cancel()
        await asyncio.gather(
            *(s.task for s in self._subscribers if s.task is not None), return_exceptions=True
        )
        for sub in self._subscribers:
            sub.task = None

    async def publish(self, event: EventBase) -> None:
        await self.publish_many((event,))

    async def publish_many(self, events: Sequence[EventBase]) -> None:
        # One queue item per subscriber for the whole batch: queue operations are a large
        # share of the per-event cost at tens of thousands of events per second.
        self._published += len(events)
        for sub in self._subscribers:
            if sub.stats.kinds is None:
                wanted: Sequence[EventBase] = events
            else:
                wanted = [e for e in events if e.kind in sub.stats.kinds]
            if wanted:
                sub.queue.put_nowait(wanted)

    async def drain(self) -> None:
        # Handlers may publish more events, so wait until a full pass finds every queue idle.
        while True:
            busy = [s for s in self._subscribers if s.queue._unfinished_tasks]  # type: ignore[attr-defined]
            if not busy:
                return
            for sub in busy:
                await sub.queue.join()

    def stats(self) -> BusStats:
        for sub in self._subscribers:
            sub.stats.pending = sum(len(batch) for batch in sub.queue._queue)  # type: ignore[attr-defined]
        return BusStats(published=self._published, subscribers=[s.stats for s in self._subscribers])

    async def _run(self, sub: _Subscriber) -> None:
        while True:
            batch = await sub.queue.get()
            try:
                for event in batch:
                    await deliver(sub.handler, sub.stats, event)
            finally:
                sub.queue.task_done()
