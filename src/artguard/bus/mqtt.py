"""MQTT event bus: the MemoryBus contract, shared between processes through a broker.

Each event is published as its canonical JSON to ``artguard/<site>/<kind>/<device>`` with QoS 1
and reaches local subscribers only on its way back from the broker, so every process on the
site sees the same stream in the same way. Subscribers get their own queue and worker task, as
on the memory bus.

Outbox (:mod:`artguard.bus.outbox`). Events go to a bounded outbox that a sender task empties
while connected, in order, and that keeps them while the broker is away. ``publish`` waits only
when the outbox is full while connected (a burst, e.g. a replay, is slowed to the broker's pace
rather than thinned). While disconnected it never waits: when the outbox is full the oldest
event not already in flight is dropped and counted, since ingestion has stored every device
event durably before publishing it, and for live triage the newest state matters most. An event
whose PUBACK did not arrive is sent again after reconnecting, so a subscriber in another process
may see it twice (QoS 1 is at least once; event ids make that harmless).

Throughput. The connection is :class:`artguard.bus.mqtt_protocol.MqttConnection`, not
aiomqtt/paho (which cost about half a millisecond of CPU per event). Publishing happens in
``_pump``, synchronously, whenever it may have become possible (an event was added, PUBACKs or
echoes came back, the subscriptions are in place): it keeps as many publishes unacknowledged
as the broker allows (its CONNACK Receive Maximum: Mosquitto's ``max_inflight_messages``, 20
by default) and tops the window up as PUBACKs arrive, never awaiting any one of them.
Everything that arrives in one read of the socket (echoes, PUBACKs) is handled in one go:
events are decoded and appended to the subscribers' queues, and their PUBACKs leave in one
write together with the publishes they made room for. Only subscribing and the echo timeout
need a task (``_manage``).

Drain. Every publish carries MQTT v5 user properties naming this bus instance and a sequence
number (:mod:`artguard.bus.wire`). A published event that some local subscriber wants is
*awaited* until its echo comes back; ``drain`` waits until the broker has acknowledged
everything we sent, nothing is awaited and every subscriber queue is idle, in a loop, so events
published by handlers while draining are waited for too. (Subscribers in other processes are
theirs to drain.) An echo of our own event that is no longer awaited (a resend the broker had
already got) is not delivered twice. Sent events whose echo is missing after a reconnect, or
after ``ECHO_TIMEOUT_S`` without any incoming message, are sent again, so ``drain`` cannot wait
forever on an echo the broker lost. An event the broker refuses (a PUBACK with an error code,
e.g. not authorised by its ACL) is counted in ``stats().refused`` and logged, and not awaited.

Session. The bus connects with a persistent MQTT v5 session (clean start only on the very first
connection of a bus with a generated client id). While the connection is down the broker keeps
our subscriptions and queues QoS 1 messages for us (including our own events it had
acknowledged but not yet sent back), so a broker restart or network blip loses nothing and
``drain`` still completes. We acknowledge each message only after it is in the subscriber
queues, so messages read from a dying connection are redelivered rather than lost. With a
generated client id the session expires 5 minutes after we go (nothing can resume it later);
with an explicit, stable ``client_id`` it is resumed even on the first connection and kept for a
day, so a restarted process also gets what other processes published while it was down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from artguard.bus import topics, wire
from artguard.bus.base import BusStats, Handler, SubscriberStats
from artguard.bus.memory import deliver
from artguard.bus.mqtt_client import KEEPALIVE_S, LinkState, cancel_and_wait, keep_connected
from artguard.bus.mqtt_protocol import Message, MqttConnection, MqttError, reason, utf8
from artguard.bus.outbox import Outbox, Outgoing
from artguard.events import EVENT_TYPES, EventBase

log = logging.getLogger(__name__)

MAX_IN_FLIGHT = 1_000
"""Publishes awaiting their PUBACK at once, at most; the broker's Receive Maximum may be less."""
ECHO_WINDOW = 500
"""Own events sent and not yet back; well under Mosquitto's default queue of 1000 per client."""
ECHO_TIMEOUT_S = 5.0


@dataclass
class MqttBusStats(BusStats):
    connected: bool = False
    connects: int = 0
    connection_failures: int = 0
    last_error: str | None = None
    malformed: int = 0
    dropped: int = 0
    refused: int = 0
    queued: int = 0
    awaiting_echo: int = 0


@dataclass(eq=False)
class _Subscriber:
    handler: Handler
    stats: SubscriberStats
    first_seq: int = 1
    """Our own events before this one were published before the subscription (as MemoryBus)."""
    events: deque[EventBase] = field(default_factory=deque)
    unfinished: int = 0
    """Events received and not yet handled (queued, or in the handler now)."""
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    idle: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.idle.set()

    def wants(self, kind: str, seq: int | None) -> bool:
        if seq is not None and seq < self.first_seq:
            return False
        return self.stats.kinds is None or kind in self.stats.kinds


class MqttBus:
    """The bus over an MQTT broker; see the module docstring for the guarantees."""

    def __init__(
        self,
        host: str,
        port: int,
        site_id: str,
        client_id: str | None = None,
        *,
        max_queued: int = 10_000,
        stop_timeout_s: float = 10.0,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._site_id = topics.check_level(site_id, "site id")
        self._stable_id = client_id is not None
        self._client_id = client_id or f"artguard-bus-{site_id}-{secrets.token_hex(4)}"
        self._session_expiry_s = 86_400 if self._stable_id else 300
        self._origin = secrets.token_hex(8)
        self._encoder = wire.Encoder(self._site_id, self._origin)
        self._stop_timeout_s = stop_timeout_s
        self._credentials = (username, password)

        self._subscribers: list[_Subscriber] = []
        self._kinds: set[str] = set()
        self._outbox = Outbox(max_queued=max_queued, window=ECHO_WINDOW)
        self._seq = 0
        self._wakeup = asyncio.Event()
        self._space = asyncio.Event()
        self._online = False
        self._conn: MqttConnection[Outgoing] | None = None
        self._sending = False
        """Connected and subscribed to every wanted kind: events may go out."""
        self._progress = False
        """Set by PUBACKs and echoes read since the last wake-up of the sender."""
        self._last_activity = time.monotonic()
        self._link = LinkState()
        self._link_task: asyncio.Task[None] | None = None
        self._running = False
        self._published = 0
        self._malformed = 0

    @property
    def client_id(self) -> str:
        return self._client_id

    @property
    def site_id(self) -> str:
        return self._site_id

    def subscribe(self, name: str, handler: Handler, kinds: Iterable[str] | None = None) -> None:
        wanted = frozenset(kinds) if kinds is not None else None
        for kind in wanted or ():
            topics.check_level(kind, "event kind")
        sub = _Subscriber(
            handler=handler,
            stats=SubscriberStats(name=name, kinds=wanted),
            first_seq=self._seq + 1,
        )
        self._subscribers.append(sub)
        kinds = wanted if wanted is not None else EVENT_TYPES.keys()
        if not kinds <= self._kinds:
            self._kinds |= kinds
            self._sending = False  # new kinds are subscribed to before anything else is sent
            self._wakeup.set()
        if self._running:
            self._start_worker(sub)

    async def start(self) -> None:
        if self._running:
            return
        self._running = True
        for sub in self._subscribers:
            self._start_worker(sub)
        self._link_task = asyncio.create_task(
            keep_connected(self._new_client, self._session, self._link, name=self._client_id),
            name=f"bus-mqtt:{self._client_id}",
        )

    async def stop(self) -> None:
        if not self._running:
            return
        try:
            await asyncio.wait_for(self.drain(), self._stop_timeout_s)
        except TimeoutError:
            log.warning(
                "bus %s stopping with %d events unsent and %d not yet back from the broker",
                self._client_id,
                self._outbox.queued,
                self._outbox.awaiting,
            )
        self._running = False
        if self._link_task is not None:
            await cancel_and_wait(self._link_task)
            self._link_task = None
        tasks = [s.task for s in self._subscribers if s.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sub in self._subscribers:
            sub.task = None

    async def publish(self, event: EventBase) -> None:
        self._published += 1
        while self._online and self._outbox.full:
            self._space.clear()  # a burst while connected waits for the sender, losing nothing
            await self._space.wait()
        self._add(event)
        self._pump()

    async def publish_many(self, events: Sequence[EventBase]) -> None:
        self._published += len(events)
        start, end = 0, len(events)
        while start < end:
            while self._online and self._outbox.full:
                self._space.clear()
                await self._space.wait()
            stop = start + self._outbox.room() if self._online else end
            for event in events[start:stop]:
                self._add(event)
            start = stop
            self._pump()

    def _add(self, event: EventBase) -> None:
        self._seq += 1
        item = self._encoder.encode(event, self._seq)
        dropped_before = self._outbox.dropped
        self._outbox.add(item, awaited=event.kind in self._kinds)
        if self._outbox.dropped != dropped_before and self._outbox.dropped % 1000 == 1:
            log.warning(
                "bus %s: outbox full, dropped %d events so far",
                self._client_id,
                self._outbox.dropped,
            )

    async def drain(self) -> None:
        while True:
            if not self._outbox.settled.is_set():
                await self._outbox.settled.wait()
                continue
            busy = [s for s in self._subscribers if s.unfinished]
            if not busy:
                return
            for sub in busy:
                await sub.idle.wait()

    def stats(self) -> MqttBusStats:
        for sub in self._subscribers:
            sub.stats.pending = len(sub.events)
        return MqttBusStats(
            published=self._published,
            subscribers=[s.stats for s in self._subscribers],
            connected=self._link.connected,
            connects=self._link.connects,
            connection_failures=self._link.failures,
            last_error=self._link.last_error,
            malformed=self._malformed,
            dropped=self._outbox.dropped,
            refused=self._outbox.refused,
            queued=self._outbox.queued,
            awaiting_echo=self._outbox.awaiting,
        )

    # -- connection ------------------------------------------------------------------------

    def _new_client(self, first: bool) -> MqttConnection[Outgoing]:
        return MqttConnection(
            self._host,
            self._port,
            self._client_id,
            clean_start=first and not self._stable_id,
            session_expiry_s=self._session_expiry_s,
            keepalive_s=KEEPALIVE_S,
            on_message=self._on_message,
            on_puback=self._on_puback,
            on_read_done=self._on_read_done,
            on_writable=self._pump,
            max_inflight=MAX_IN_FLIGHT,
            username=self._credentials[0],
            password=self._credentials[1],
        )

    async def _session(self, conn: MqttConnection[Outgoing]) -> None:
        self._online = True
        self._conn = conn
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._manage(conn))
                group.create_task(_until_lost(conn))
        finally:
            self._online = self._sending = False
            self._conn = None
            self._outbox.send_failed()  # what had no PUBACK goes again on the next connection
            self._space.set()  # publishers waiting for room now queue (and drop) instead

    async def _manage(self, conn: MqttConnection[Outgoing]) -> None:
        """Subscribe to what is wanted, then let events flow; resend lost echoes."""
        subscribed: set[str] = set()
        self._resend_unechoed("reconnected")
        while True:
            missing = sorted(self._kinds - subscribed)
            if missing:
                self._sending = False
                await self._subscribe(conn, missing)
                subscribed.update(missing)
                continue
            self._sending = True
            self._pump()
            await self._wait_for_work()

    def _pump(self) -> None:
        """Publish what the outbox and the broker's window allow, now (no task switch).

        Called whenever that may have changed: an event was added, PUBACKs or echoes came back,
        the transport can take writes again, a subscription completed. What it writes leaves
        with whatever else was written in this step of the event loop, in one system call.
        """
        conn = self._conn
        if not self._sending or conn is None or conn.writing_paused or conn.lost.done():
            return
        quota = conn.send_quota
        if quota <= 0 or not self._outbox.has_sendable():
            return
        for item in self._outbox.next_batch(quota):
            if not conn.publish(item, utf8(item.topic), item.properties, item.payload):
                self._refused(item, "larger than the broker's maximum packet size")

    async def _subscribe(self, conn: MqttConnection[Outgoing], kinds: list[str]) -> None:
        filters = [topics.kind_filter(self._site_id, kind) for kind in kinds]
        codes = await conn.subscribe(filters)
        refused = [f"{f}: {reason(c)}" for f, c in zip(filters, codes, strict=False) if c >= 0x80]
        if refused or len(codes) != len(filters):
            raise MqttError(f"broker refused subscriptions: {', '.join(refused) or codes}")

    async def _wait_for_work(self) -> None:
        """Until new kinds need subscribing, or ``ECHO_TIMEOUT_S`` has passed."""
        self._wakeup.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), ECHO_TIMEOUT_S)
        silent = time.monotonic() - self._last_activity >= ECHO_TIMEOUT_S
        if silent and self._outbox.unechoed:
            self._resend_unechoed(f"no message from the broker for {ECHO_TIMEOUT_S:.0f} s")
            self._last_activity = time.monotonic()

    def _resend_unechoed(self, why: str) -> None:
        count = self._outbox.requeue_unechoed()
        if count:
            log.info("bus %s: %s; resending %d unechoed events", self._client_id, why, count)

    # -- what the broker sends (called by the connection, once per packet or per read) ------

    def _on_message(self, message: Message) -> None:
        """Decode and queue for the subscribers; the connection acknowledges it afterwards."""
        try:
            event = wire.decode(message, self._site_id)
        except wire.MalformedMessage as exc:
            self._malformed += 1
            log.warning("bus: dropped malformed message on %s: %.300s", message.topic, exc)
            return
        seq = wire.own_seq(message, self._origin)
        if seq is not None:
            if not self._outbox.echoed(seq):
                return  # a resend of an event already delivered, or one nobody wanted then
            self._progress = True  # the echo window has room again
        for sub in self._subscribers:
            if sub.wants(event.kind, seq):
                sub.events.append(event)
                if not sub.unfinished:
                    sub.idle.clear()
                sub.unfinished += 1
                sub.ready.set()

    def _on_puback(self, item: Outgoing, code: int) -> None:
        if code < 0x80:
            self._outbox.acked(item)
        else:
            self._refused(item, reason(code))
        self._progress = True

    def _refused(self, item: Outgoing, why: str) -> None:
        self._outbox.refuse(item)
        if self._outbox.refused % 1000 == 1:
            log.warning(
                "bus %s: the broker refused the event on %s (%s); %d refused so far",
                self._client_id,
                item.topic,
                why,
                self._outbox.refused,
            )

    def _on_read_done(self) -> None:
        self._last_activity = time.monotonic()
        if self._progress:
            self._progress = False
            self._pump()  # leaves with the PUBACKs for what was just read
            self._space.set()

    def _start_worker(self, sub: _Subscriber) -> None:
        sub.task = asyncio.create_task(self._work(sub), name=f"bus:{sub.stats.name}")

    async def _work(self, sub: _Subscriber) -> None:
        events = sub.events
        while True:
            if not events:
                sub.ready.clear()
                await sub.ready.wait()
                continue
            event = events.popleft()
            try:
                await deliver(sub.handler, sub.stats, event)
            finally:
                sub.unfinished -= 1
                if not sub.unfinished:
                    sub.idle.set()


async def _until_lost(conn: MqttConnection[Outgoing]) -> None:
    """Raises, with the reason, when the connection is gone."""
    await conn.lost
