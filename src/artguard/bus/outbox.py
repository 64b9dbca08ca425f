"""Bookkeeping for events on their way to the broker and back (used by the MQTT bus).

An event published by the bus is *queued* until the broker acknowledges it (PUBACK) and, when a
local subscriber wants its kind, *awaited* until its echo comes back on our own subscription
(the echo may arrive before the PUBACK). ``drain`` waits until the outbox is *settled*: nothing
queued, nothing awaited. The bus delivers an echo to local subscribers only the first time it
arrives.

Each event is in one place at a time: waiting to be sent (in publication order), *in flight*
(sent on the current connection, PUBACK not yet back), or acknowledged. PUBACKs are handled one
by one, so sending never waits for a whole batch to be acknowledged.

Three limits keep this safe under load:

- at most ``max_queued`` events wait to be sent or acknowledged; past that the oldest not in
  flight is dropped and counted (the MQTT bus only adds to a full outbox while disconnected;
  while connected it makes the publisher wait instead);
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
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

QUEUED, IN_FLIGHT, ACKNOWLEDGED = 0, 1, 2


@dataclass(slots=True, eq=False)
class Outgoing:
    seq: int
    topic: str
    payload: bytes
    properties: bytes = b"\x00"
    """The MQTT v5 property block, with its length (``b"\\x00"``: none)."""
    state: int = QUEUED


def _by_seq(item: Outgoing) -> int:
    return item.seq


class Outbox:
    def __init__(self, max_queued: int, window: int) -> None:
        self._max_queued = max(max_queued, 1)
        self._window = max(window, 1)
        self._queue: deque[Outgoing] = deque()
        self._in_flight: dict[int, Outgoing] = {}
        self._awaiting: set[int] = set()
        self._unechoed: dict[int, Outgoing] = {}
        self.dropped = 0
        self.refused = 0
        self.settled = asyncio.Event()
        self.settled.set()

    @property
    def queued(self) -> int:
        """Events not yet acknowledged by the broker (waiting or in flight)."""
        return len(self._queue) + len(self._in_flight)

    @property
    def in_flight(self) -> int:
        return len(self._in_flight)

    @property
    def full(self) -> bool:
        return len(self._queue) + len(self._in_flight) >= self._max_queued

    def room(self) -> int:
        """How many events :meth:`add` takes before the outbox is full."""
        return self._max_queued - len(self._queue) - len(self._in_flight)

    @property
    def awaiting(self) -> int:
        return len(self._awaiting)

    @property
    def unechoed(self) -> int:
        return len(self._unechoed)

    def add(self, item: Outgoing, *, awaited: bool) -> bool:
        """Queue ``item``; False when it had to be dropped because all queued are in flight."""
        if len(self._queue) + len(self._in_flight) >= self._max_queued:
            self.dropped += 1
            if not self._queue:
                return False
            self._forget(self._queue.popleft().seq)
        self._queue.append(item)
        if awaited:
            self._awaiting.add(item.seq)
        self.settled.clear()
        return True

    def has_sendable(self) -> bool:
        """Something is queued and the echo window lets it go."""
        if not self._queue:
            return False
        seq = self._queue[0].seq
        return (
            seq not in self._awaiting or seq in self._unechoed or len(self._unechoed) < self._window
        )

    def next_batch(self, limit: int) -> list[Outgoing]:
        """The next items to publish, in order, now in flight and (if awaited) unechoed."""
        batch: list[Outgoing] = []
        queue, awaiting, unechoed, in_flight = (
            self._queue,
            self._awaiting,
            self._unechoed,
            self._in_flight,
        )
        room = self._window - len(unechoed)
        while queue and len(batch) < limit:
            item = queue[0]
            seq = item.seq
            if seq in awaiting and seq not in unechoed:
                if room <= 0:
                    break
                room -= 1
                unechoed[seq] = item
            queue.popleft()
            item.state = IN_FLIGHT
            in_flight[seq] = item
            batch.append(item)
        return batch

    def acked(self, item: Outgoing) -> None:
        """The broker acknowledged ``item`` (a PUBACK)."""
        if self._in_flight.pop(item.seq, None) is not None:
            item.state = ACKNOWLEDGED
            if not self._queue and not self._in_flight and not self._awaiting:
                self.settled.set()

    def refuse(self, item: Outgoing) -> None:
        """The broker answered ``item`` with an error: it will not deliver it, nor its echo."""
        if self._in_flight.pop(item.seq, None) is not None:
            item.state = ACKNOWLEDGED
            self.refused += 1
            self._forget(item.seq)

    def send_failed(self) -> int:
        """The connection is gone: what had no PUBACK goes again, first; returns how many."""
        again = list(self._in_flight.values())
        self._in_flight.clear()
        return self._requeue(again)

    def echoed(self, seq: int) -> bool:
        """Our event ``seq`` came back; True the first time (deliver it), else False."""
        if seq not in self._awaiting:
            return False
        self._forget(seq)
        return True

    def requeue_unechoed(self) -> int:
        """Queue again the acknowledged events whose echo never came; returns how many."""
        return self._requeue([i for i in self._unechoed.values() if i.state == ACKNOWLEDGED])

    def _requeue(self, items: Iterable[Outgoing]) -> int:
        again = list(items)
        if again:
            for item in again:
                item.state = QUEUED
            self._queue = deque(sorted(chain(again, self._queue), key=_by_seq))
        self._check_settled()
        return len(again)

    def _forget(self, seq: int) -> None:
        self._awaiting.discard(seq)
        self._unechoed.pop(seq, None)
        self._check_settled()

    def _check_settled(self) -> None:
        if self._queue or self._in_flight or self._awaiting:
            self.settled.clear()
        else:
            self.settled.set()
