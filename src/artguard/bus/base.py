"""The event bus interface shared by the in-process and MQTT implementations.

Publishers hand typed events to :meth:`Bus.publish`; subscribers register an async handler for
some event kinds. Each subscriber gets its events in publication order, on its own queue, so a
slow or failing subscriber never blocks or breaks another. A handler that raises is logged and
counted; the bus keeps going.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from artguard.events import EventBase

Handler = Callable[[EventBase], Awaitable[None]]


@dataclass
class SubscriberStats:
    name: str
    kinds: frozenset[str] | None
    delivered: int = 0
    failed: int = 0
    last_error: str | None = None
    pending: int = 0


@dataclass
class BusStats:
    published: int = 0
    subscribers: list[SubscriberStats] = field(default_factory=list)


class Bus(Protocol):
    """What every bus implementation provides."""

    async def start(self) -> None:
        """Connect and start delivering; subscriptions made before start are kept."""

    async def stop(self) -> None:
        """Deliver what is queued, then disconnect."""

    async def publish(self, event: EventBase) -> None:
        """Send an event to every subscriber of its kind."""

    async def publish_many(self, events: Sequence[EventBase]) -> None:
        """Publish several events in order; cheaper per event than one ``publish`` each."""

    def subscribe(self, name: str, handler: Handler, kinds: Iterable[str] | None = None) -> None:
        """Call ``handler`` for each event of ``kinds`` (all kinds if None)."""

    async def drain(self) -> None:
        """Wait until everything published so far has been handled by every subscriber."""

    def stats(self) -> BusStats:
        """Counters for health and metrics pages."""
