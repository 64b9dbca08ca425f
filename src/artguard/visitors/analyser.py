"""The visitor watch in a running artguard: detection events from the bus, watch flags back on
it (so the live stream shows them) and in the database; the learned model saved periodically.

One bad event is logged and counted, never stops the watch. Database writes run in a thread,
off the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from sqlalchemy import Engine

from artguard.bus import Bus
from artguard.events import Detection, EventBase, WatchFlag, utcnow
from artguard.site import Site
from artguard.tasks import cancel
from artguard.visitors.store import load_model, purge_flags_before, save_flag, save_model
from artguard.visitors.watch import VisitorWatch

log = logging.getLogger(__name__)

SAVE_MODEL_EVERY = 60.0
PURGE_EVERY = 3600.0
TICK_EVERY = 5.0


class VisitorAnalyser:
    """Owns a :class:`VisitorWatch` and connects it to the bus and the store."""

    def __init__(self, site: Site, engine: Engine, bus: Bus, *, learn: bool = True) -> None:
        self.site = site
        self.engine = engine
        self.bus = bus
        self.learn = learn
        self.watch = VisitorWatch(site, learn=learn)
        self.model_updated: datetime | None = None
        self.errors = 0
        self._dirty = False
        self._task: asyncio.Task[None] | None = None

    def restore(self) -> None:
        """Load the stored model; a broken one is logged and replaced by an empty one."""
        try:
            model, updated = load_model(self.engine, self.site.id)
        except ValueError:
            log.exception("visitor model unreadable; starting from the defaults")
            return
        self.watch.model = model
        self.model_updated = updated

    def attach(self) -> None:
        self.bus.subscribe("visitors", self.handle, kinds=frozenset({"detection"}))

    async def handle(self, event: EventBase) -> None:
        if not isinstance(event, Detection):
            return
        try:
            flags = self.watch.on_detection(event)
        except Exception:  # one malformed event must not stop the watch
            self.errors += 1
            log.exception("visitor watch failed on event %s", event.id)
            return
        self._dirty = self._dirty or self.learn
        await self._publish(flags)

    async def tick(self, now: datetime | None = None) -> None:
        await self._publish(self.watch.tick(now or utcnow()))

    async def save(self) -> None:
        """Save the learned model when it changed."""
        if not self._dirty:
            return
        self._dirty = False
        await asyncio.to_thread(save_model, self.engine, self.site.id, self.watch.model)
        self.model_updated = utcnow()

    def start(self) -> None:
        self._task = asyncio.create_task(self._clock(), name="visitor-clock")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        try:
            await self.save()
        except Exception:
            log.exception("saving the visitor model failed")

    async def purge(self, now: datetime | None = None) -> int:
        """Delete cleared flags older than the site's event retention (they describe people's
        movements, so they are kept no longer than the detection events they came from)."""
        limit = self.site.retention.events
        return await asyncio.to_thread(purge_flags_before, self.engine, (now or utcnow()) - limit)

    async def _clock(self) -> None:
        since_save = since_purge = 0.0
        while True:
            await asyncio.sleep(TICK_EVERY)
            since_save += TICK_EVERY
            since_purge += TICK_EVERY
            try:
                await self.tick()
                if since_save >= SAVE_MODEL_EVERY:
                    since_save = 0.0
                    await self.save()
                if since_purge >= PURGE_EVERY:
                    since_purge = 0.0
                    await self.purge()
            except Exception:  # one failed round must not stop the clock
                log.exception("visitor clock round failed")

    async def _publish(self, flags: list[WatchFlag]) -> None:
        for flag in flags:
            try:
                await asyncio.to_thread(save_flag, self.engine, flag)
            except Exception:
                self.errors += 1
                log.exception("storing watch flag for %s failed", flag.visitor_id)
            await self.bus.publish(flag.received())
