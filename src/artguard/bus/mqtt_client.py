"""MQTT plumbing shared by the MQTT bus and the MQTT ingest listener.

Both need the same three things: a client that speaks MQTT v5 with a session that outlives a
dropped connection, acknowledgements sent by us rather than by the library, and a loop that
reconnects with backoff for as long as the component runs. The ingest listener uses aiomqtt
(built here by :func:`new_client`); the bus, which moves far more messages, uses the leaner
:class:`artguard.bus.mqtt_protocol.MqttConnection`. :func:`keep_connected` runs either.

Why MQTT v5: its Session Expiry Interval lets a session survive a broker restart or network blip
(the broker queues QoS 1 messages for us meanwhile) and still be cleaned up by the broker when
we are gone for good. MQTT 3.1.1 only offers "forever" (``clean_session=False``), which leaves a
growing queue behind every client id that is never seen again.

Why manual acknowledgements: paho normally sends PUBACK as soon as a message is read off the
socket, before the application has done anything with it. With ``manual_ack_set(True)`` paho
sends nothing until we call ``ack(mid, qos)``, so a message we have not finished with is still
the broker's responsibility and is redelivered when the session resumes. aiomqtt 2.5 has no
option for this, so we set it on the paho client it wraps (``client._client``); the tests check
the effect on the wire (the broker redelivers a message that was not acknowledged).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, TypeVar

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

log = logging.getLogger(__name__)

C = TypeVar("C", bound=AbstractAsyncContextManager[Any])
"""A client: ``async with client`` connects and disconnects (aiomqtt's or ``MqttConnection``)."""

KEEPALIVE_S = 15
"""Short enough to notice a silently dead broker or link within ~20 s."""

STABLE_AFTER_S = 10.0
"""A connection that lasted this long resets the backoff; shorter ones keep it growing."""


@dataclass
class LinkState:
    """Connection counters for stats pages."""

    connected: bool = False
    connects: int = 0
    failures: int = 0
    last_error: str | None = None


def new_client(
    host: str,
    port: int,
    client_id: str,
    *,
    clean_start: bool,
    session_expiry_s: int,
    timeout_s: float = 10.0,
    max_inflight: int = 20,
    username: str | None = None,
    password: str | None = None,
) -> aiomqtt.Client:
    """An MQTT v5 client with a session kept ``session_expiry_s`` after disconnecting."""
    connect_properties = Properties(PacketTypes.CONNECT)
    connect_properties.SessionExpiryInterval = session_expiry_s
    client = aiomqtt.Client(
        host,
        port,
        identifier=client_id,
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=clean_start,
        properties=connect_properties,
        keepalive=KEEPALIVE_S,
        timeout=timeout_s,
        max_inflight_messages=max_inflight,
        username=username,
        password=password,
    )
    client._client.manual_ack_set(True)
    return client


def ack(client: aiomqtt.Client, message: aiomqtt.Message) -> None:
    """Send the PUBACK for ``message`` now (QoS 0 needs none)."""
    if message.qos > 0:
        client._client.ack(message.mid, message.qos)


@contextlib.asynccontextmanager
async def connected(client: C) -> AsyncIterator[C]:
    """``async with client``, made safe to cancel at any point.

    aiomqtt opens the socket in an executor thread and leaves it open when it is cancelled
    while connecting or when the CONNACK never comes; the orphaned client then fails noisily
    when garbage-collected after its event loop has closed. Here connecting and disconnecting
    run to completion even if we are cancelled meanwhile (each is bounded by the client's
    timeout), and the socket is closed whatever happened.
    """
    try:
        await _run_to_completion(client.__aenter__())
    except BaseException:
        _close_socket(client)
        raise
    try:
        yield client
    finally:
        try:
            await _run_to_completion(client.__aexit__(None, None, None))
        finally:
            _close_socket(client)


async def _run_to_completion(step: Awaitable[object]) -> None:
    """Await ``step`` to its end; a cancellation received meanwhile is raised afterwards."""
    future = asyncio.ensure_future(step)
    cancelled = False
    while not future.done():
        try:
            await asyncio.shield(future)
        except asyncio.CancelledError:
            cancelled = True
    if cancelled:
        if not future.cancelled():
            future.exception()  # retrieved: the cancellation is what we report
        raise asyncio.CancelledError
    future.result()


def _close_socket(client: object) -> None:
    with contextlib.suppress(Exception):
        if isinstance(client, aiomqtt.Client):
            client._client._sock_close()
        else:
            client.abort()  # type: ignore[attr-defined]


async def subscribe_qos1(client: aiomqtt.Client, filters: list[str]) -> None:
    """Subscribe to ``filters`` with QoS 1; a refusal by the broker raises ``MqttError``."""
    granted = await client.subscribe([(topic_filter, 1) for topic_filter in filters])
    refused = [
        f"{topic_filter}: {code}"
        for topic_filter, code in zip(filters, granted, strict=False)
        if isinstance(code, ReasonCode) and code.is_failure
    ]
    if refused:
        raise aiomqtt.MqttError(f"broker refused subscriptions: {', '.join(refused)}")


async def cancel_and_wait(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait for it to end.

    The cancellation is repeated because Python 3.11's ``asyncio.wait_for`` (used by aiomqtt
    around every broker round trip) can swallow one that lands just as the reply arrives.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait([task], timeout=0.1)
    if not task.cancelled() and task.exception() is not None:
        log.warning("%s ended with %s", task.get_name(), describe(task.exception()))


def describe(exc: BaseException) -> str:
    """A one-line reason, looking inside exception groups raised by task groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"


async def keep_connected(
    make_client: Callable[[bool], C],
    session: Callable[[C], Awaitable[None]],
    state: LinkState,
    *,
    name: str,
    min_delay_s: float = 0.2,
    max_delay_s: float = 30.0,
) -> None:
    """Connect, run ``session`` until the connection fails, wait, repeat; until cancelled.

    ``make_client(first)`` builds a fresh client per attempt (``first`` is True until a
    connection has succeeded once), so nothing from a dead connection (queued packets, message
    ids) leaks into the next one. Any exception from the session is logged and leads to a
    reconnect: a bug in one message's handling must not take the component down.
    """
    delay = min_delay_s
    while True:
        client = make_client(state.connects == 0)
        started = time.monotonic()
        try:
            async with connected(client):
                state.connected = True
                state.connects += 1
                log.info("%s: connected to the MQTT broker", name)
                await session(client)
            state.last_error = "session ended"
        except Exception as exc:
            state.failures += 1
            state.last_error = describe(exc)
        finally:
            state.connected = False
        if time.monotonic() - started >= STABLE_AFTER_S:
            delay = min_delay_s
        wait = delay * random.uniform(1.0, 1.25)
        log.warning(
            "%s: not connected to MQTT (%s); retrying in %.1f s", name, state.last_error, wait
        )
        await asyncio.sleep(wait)
        delay = min(delay * 2, max_delay_s)
