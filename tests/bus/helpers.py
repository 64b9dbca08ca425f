"""Event builders and waiting helpers for the bus tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime

from artguard.bus import Bus
from artguard.events import Alert, DoorState, EventBase, SensorReading, Severity

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def reading(value: float, device: str = "temp-1") -> SensorReading:
    return SensorReading(device_id=device, site_time=T0, value=value, unit="C")


def door(contact: str = "open", device: str = "dc-1") -> DoorState:
    return DoorState(device_id=device, site_time=T0, door_id="d-1", contact=contact)  # type: ignore[arg-type]


def alert_about(event: EventBase) -> Alert:
    return Alert(
        device_id="rules",
        site_time=event.site_time,
        rule="test_rule",
        severity=Severity.low,
        title=f"about {event.id}",
        reasons=["a test"],
        source_event_ids=[event.id],
        dedup_key=event.id,
        first_event_time=event.site_time,
    )


async def drained(bus: Bus, timeout: float = 15.0) -> None:
    await asyncio.wait_for(bus.drain(), timeout)


async def wait_until(check: Callable[[], bool], timeout: float = 15.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or check}")
        await asyncio.sleep(0.02)


class Recorder:
    """A handler that records what it gets."""

    def __init__(self) -> None:
        self.events: list[EventBase] = []

    async def __call__(self, event: EventBase) -> None:
        self.events.append(event)

    @property
    def ids(self) -> list[str]:
        return [e.id for e in self.events]
