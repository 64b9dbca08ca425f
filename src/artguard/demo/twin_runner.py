"""``artguard demo``: the digital twin of the demo site, live, with a scripted attack every
few minutes.

The twin (:mod:`artguard.twin`) runs in real time here: the same visitors, staff, sensors and
cameras a drill simulates, delivered through the drill's :class:`~artguard.drill.runner.Driver`
(ingestion for device events, access control for badges) as their time comes. The runtime's
own clocks tick the rules, so the demo is the live code path end to end. Every
``incident_every`` an attack scenario that makes sense at this hour, shows within a minute and
is over within half an hour (so no slow humidity drift) is injected a second later; they take
turns.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

from artguard.demo.doors import start_demo_doors
from artguard.drill.runner import Driver, seed_access_baseline
from artguard.events import utcnow
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.twin.scenarios import SCENARIOS
from artguard.twin.site_day import SiteDay, build, fits, span
from artguard.twin.world import World

log = logging.getLogger(__name__)

HORIZON_DAYS = 1.0
"""The twin is built a day at a time (a new day's world when this one ends)."""
SHOWS_WITHIN = timedelta(minutes=1)
"""A demo scenario's attack must start within this of its injection."""
LASTS_AT_MOST = timedelta(minutes=30)
"""...and be over (its detection window closed) within this: no hours-long humidity drift."""
FIRST_INCIDENT_AFTER = timedelta(seconds=20)


class DemoScripts:
    """The scenarios the demo injects, in turn, skipping those that do not fit the hour."""

    def __init__(self, site: Site, seed: int) -> None:
        self.site = site
        self.seed = seed
        self._turns: Iterator[str] = itertools.cycle(sorted(SCENARIOS))

    def pick(self, at: datetime) -> str | None:
        """The next scenario in turn that fits ``at`` and starts promptly, or None."""
        scratch = World(self.site, at, seed=self.seed)
        for _ in range(len(SCENARIOS)):
            name = next(self._turns)
            if not fits(self.site, at, SCENARIOS[name].when):
                continue
            first, last = span(scratch, name, at)
            if first - at <= SHOWS_WITHIN and last - at <= LASTS_AT_MOST:
                return name
        return None


def new_day(runtime: Runtime, start: datetime, seed: int) -> tuple[SiteDay, Driver]:
    day = build(runtime.site, start, HORIZON_DAYS, seed)
    return day, Driver(runtime, day, step_s=1.0)


async def run_twin(
    runtime: Runtime,
    *,
    seed: int = 7,
    incident_every: timedelta = timedelta(minutes=3),
    interval_s: float = 0.5,
) -> None:
    """Run until cancelled: deliver what the twin has due every ``interval_s``."""
    start = utcnow()
    learned = seed_access_baseline(runtime, start, seed)
    log.info("demo: access baseline learned from %d simulated past badges", learned)
    day, driver = new_day(runtime, start, seed)
    scripts = DemoScripts(runtime.site, seed)
    next_incident = start + min(FIRST_INCIDENT_AFTER, incident_every)
    doors = start_demo_doors(runtime)  # the lock controllers playbooks command
    try:
        for days in itertools.count(1):
            while (now := utcnow()) < day.end:
                if now >= next_incident:
                    name = scripts.pick(now)
                    if name is not None:
                        log.info("demo: scripted %s", name)
                        SCENARIOS[name].inject(day.world, now + timedelta(seconds=1))
                    next_incident = now + incident_every
                while items := day.world.due(now):
                    await driver.deliver(items)
                await asyncio.sleep(interval_s)
            day, driver = new_day(runtime, day.end, seed + days)
    finally:
        if doors is not None:
            await doors.stop()
