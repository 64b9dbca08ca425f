"""Bookkeeping for events on their way to the broker and back (used by the MQTT bus).

An event published by the bus is *queued* until the broker acknowledges it (PUBACK) and, when a
local subscriber wants its kind, *awaited* until its echo comes back on our own subscription
(the echo may arrive before the PUBACK). ``drain`` waits until the outbox is *settled*: nothing
queued, nothing awaited. The bus delivers an echo to local subscribers only the first time it
arrives.

Three limits keep this safe under load:

- at most ``max_queued`` events wait to be sent; past that the oldest not in flight is dropped
  and counted (the MQTT bus only adds to a full outbox while disconnected; while connected
  it makes the publisher wait instead);
- at most ``window`` awaited events are sent and not yet echoed. Mosquitto silently drops QoS 1
  messages for a client that has more than ``max_queued_messages`` (default 1000) waiting, so
  a bus publishing faster than it reads would otherwise lose its own echoes;
- sent events whose echo has not come back are kept (at most ``window``) so they can be sent
  again after a reconnect or a long silence (:meth:`requeue_unechoed`): the broker may have lost
  them with a session, and resending is harmless because the echo is only delivered once.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import Any


@dataclass
class Outgoing:
    seq: int
    topic: str
    payload: bytes
    properties: Any = None


class Outbox:
    def __init__(self, max_queued: int, window: int) -> None:
        self._max_queued = max(max_queued, 1)
        self._window = max(window, 1)
        self._queue: deque[Outgoing] = deque()
        self._in_flight = 0
        self._awaiting: set[int] = set()
        self._unechoed: dict[int, Outgoing] = {}
        self.dropped = 0
        self.settled = asyncio.Event()
        self.settled.set()

    @property
    def queued(self) -> int:
        return len(self._queue)

    @property
    def full(self) -> bool:
        return len(self._queue) >= self._max_queued

    @property
    def awaiting(self) -> int:
        return len(self._awaiting)

    @property
    def unechoed(self) -> int:
        return len(self._unechoed)

    def add(self, item: Outgoing, *, awaited: bool) -> bool:
        """Queue ``item``; False when it had to be dropped because all queued are in flight."""
        if len(self._queue) >= self._max_queued:
            if len(self._queue) <= self._in_flight:
                self.dropped += 1
                return False
            oldest = self._queue[self._in_flight]
            del self._queue[self._in_flight]
            self.dropped += 1
            self._forget(oldest.seq)
        self._queue.append(item)
        if awaited:
            self._awaiting.add(item.seq)
        self.settled.clear()
        return True

    def has_sendable(self) -> bool:
        """Something is queued and the echo window lets it go."""
        if not self._queue:
            return False
        head = self._queue[0]
        return head.seq in self._unechoed or not self._window_full(head)

    def next_batch(self, limit: int) -> list[Outgoing]:
        """The next items to publish, in order, now marked in flight and (if awaited) unechoed."""
        batch: list[Outgoing] = []
        room = self._window - len(self._unechoed)
        for item in self._queue:
            if len(batch) >= limit:
                break
            if item.seq in self._awaiting and item.seq not in self._unechoed:
                if room <= 0:
                    break
                room -= 1
            batch.append(item)
        for item in batch:
            if item.seq in self._awaiting:
                self._unechoed[item.seq] = item
        self._in_flight = len(batch)
        return batch

    def sent(self, batch: list[Outgoing]) -> None:
        """The broker acknowledged ``batch`` (the last :meth:`next_batch`)."""
        for _ in batch:
            self._queue.popleft()
        self._in_flight = 0
        self._check_settled()

    def send_failed(self) -> None:
        """The batch in flight was not acknowledged; it stays queued and goes again."""
        self._in_flight = 0

    def echoed(self, seq: int) -> bool:
        """Our event ``seq`` came back; True the first time (deliver it), else False."""
        if seq not in self._awaiting:
            return False
        self._forget(seq)
        return True

    def requeue_unechoed(self) -> int:
        """Queue again the sent events whose echo never came; returns how many."""
        head = self._queue[0].seq if self._queue else None
        again = sorted(
            (item for seq, item in self._unechoed.items() if head is None or seq < head),
            key=lambda item: item.seq,
        )
        self._queue.extendleft(reversed(again))
        self._check_settled()
        return len(again)

    def _window_full(self, item: Outgoing) -> bool:
        return item.seq in self._awaiting and len(self._unechoed) >= self._window

    def _forget(self, seq: int) -> None:
        self._awaiting.discard(seq)
        self._unechoed.pop(seq, None)
        self._check_settled()

    def _check_settled(self) -> None:
        if self._queue or self._awaiting:
            self.settled.clear()
        else:
            self.settled.set()
