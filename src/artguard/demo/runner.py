"""Feeds the demo simulator's events through the real ingestion service, in real time."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from artguard.access.request import AccessRequest
from artguard.demo.doors import start_demo_doors
from artguard.demo.simulator import DemoSimulator
from artguard.events import AccessAttempt, EventBase, utcnow
from artguard.runtime import Runtime

log = logging.getLogger(__name__)


async def feed(runtime: Runtime, simulator: DemoSimulator, events: list[EventBase]) -> int:
    """Badges go to access control like a reader's request (the door opens on a grant);
    everything else through ingestion. Returns how many events were accepted."""
    accepted = 0
    others = []
    for event in events:
        if isinstance(event, AccessAttempt) and event.granted is None:
            request = AccessRequest.make(
                event.credential_id, event.device_id, event.site_time, event.factors, event.id
            )
            decision = await runtime.access.decide(request)
            simulator.answer(event.id, decision.granted, event.site_time)
            accepted += 1
        else:
            others.append(event)
    if others:
        items = [e.model_dump(mode="json", exclude={"received_time"}) for e in others]
        result = await runtime.ingest.submit(items, token=None, source="demo", trusted=True)
        for rejection in result.rejected:  # a simulator bug, not a user error: say so loudly
            log.error("demo event rejected: %s", rejection)
        accepted += len(result.accepted)
    return accepted


def seed_access_baseline(runtime: Runtime, simulator: DemoSimulator, days: int = 28) -> int:
    """Give the demo four weeks of learned badge habits, as a site running a month would have,
    so the access anomaly checks judge the simulated staff against their usual behaviour."""
    learned = runtime.access.behaviour.baseline.learn(simulator.past_grants(utcnow(), days))
    log.info("demo: access baseline learned from %d simulated past badges", learned)
    return learned


async def run_simulator(
    runtime: Runtime,
    *,
    seed: int = 7,
    incident_every: timedelta = timedelta(minutes=3),
    interval_s: float = 0.5,
) -> None:
    """Run until cancelled; each half second, submit whatever the simulated devices produced."""
    seed_access_baseline(runtime, DemoSimulator(runtime.site, utcnow(), seed=seed))
    simulator = DemoSimulator(runtime.site, utcnow(), seed=seed, incident_every=incident_every)
    doors = start_demo_doors(runtime)  # the lock controllers playbooks command
    try:
        while True:
            await feed(runtime, simulator, simulator.events_until(utcnow()))
            await asyncio.sleep(interval_s)
    finally:
        if doors is not None:
            await doors.stop()
