"""Feeds the demo simulator's events through the real ingestion service, in real time."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from artguard.demo.simulator import DemoSimulator
from artguard.events import utcnow
from artguard.runtime import Runtime

log = logging.getLogger(__name__)


async def run_simulator(
    runtime: Runtime,
    *,
    seed: int = 7,
    incident_every: timedelta = timedelta(minutes=3),
    interval_s: float = 0.5,
) -> None:
    """Run until cancelled; each half second, submit whatever the simulated devices produced."""
    simulator = DemoSimulator(runtime.site, utcnow(), seed=seed, incident_every=incident_every)
    while True:
        events = simulator.events_until(utcnow())
        if events:
            items = [e.model_dump(mode="json", exclude={"received_time"}) for e in events]
            result = await runtime.ingest.submit(items, token=None, source="demo", trusted=True)
            for rejection in result.rejected:  # a simulator bug, not a user error: say so loudly
                log.error("demo event rejected: %s", rejection)
        await asyncio.sleep(interval_s)
