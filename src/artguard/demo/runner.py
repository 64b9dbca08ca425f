"""Feeds the simple device simulator's events through the real ingestion service.

``artguard demo`` now runs the digital twin (:mod:`artguard.demo.twin_runner`); this simulator
and its feeder remain as a light traffic generator for tests of the door, tailgating and
sensor rules (a day in seconds, without the twin's visitors and cameras)."""

from __future__ import annotations

import logging

from artguard.access.request import AccessRequest
from artguard.demo.simulator import DemoSimulator
from artguard.events import AccessAttempt, EventBase
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
