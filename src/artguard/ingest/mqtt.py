"""MQTT ingestion: devices publish to ``artguard/<site>/ingest/<device>`` (see ``docs/bus.md``).

A message body is one of:

1. one event object: ``{"kind": "door_state", "device_id": ..., ...}``;
2. a list of event objects;
3. an envelope ``{"token": "agd_...", "events": [...], "request_id": "optional"}``.

The device token travels in the envelope, as the HTTP API's bearer token does; the first two
forms carry none, so the ingestion service answers them with an authentication failure unless
it is configured to accept them. Broker-level authentication (a Mosquitto user and an ACL per
device, allowing it to publish only to its own ingest topic and read its own result topic) is
the recommended hardening on top: the token proves the device to artguard, the ACL keeps an
impostor off the topic in the first place.

Every message is answered on ``artguard/<site>/ingest-result/<device>`` with what happened to
each event (accepted, duplicate, rejected with the field and reason), an authentication failure
or a malformed-payload error, echoing ``request_id`` when given.

Durability: the broker has acknowledged the device's PUBLISH before we even see it, so the
broker holds the message for us until *we* acknowledge it. The listener keeps a persistent
session under a stable client id (``artguard-ingest-<site>``) and sends its PUBACK only after
``submit`` has returned, i.e. after the events are committed; a listener that dies before that
gets the message again when its session resumes, and the service recognises resent ids. Run
one listener per site: a second one with the same client id would take the session over.

Messages are handled one at a time, in arrival order: acknowledgements must go out in the order
the messages came (MQTT 3.1.1 section 4.6), and a device's events stay in order. Devices that
send a lot should batch (form 2 or 3) rather than send one message per event.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from dataclasses import dataclass
from typing import Any, Protocol

import aiomqtt

from artguard.bus import topics
from artguard.bus.mqtt_client import (
    LinkState,
    ack,
    cancel_and_wait,
    keep_connected,
    new_client,
    subscribe_qos1,
)
from artguard.ingest.service import AuthError, IngestResult

log = logging.getLogger(__name__)

ENVELOPE_KEYS = frozenset({"token", "events", "request_id"})
DEFAULT_SESSION_EXPIRY_S = 7 * 86_400
"""How long the broker keeps queueing device messages while no listener is connected."""


class Ingest(Protocol):
    async def submit(self, items: list[Any], *, token: str | None, source: str) -> IngestResult: ...


class PayloadError(ValueError):
    """The message body is not one of the three accepted forms."""


@dataclass(frozen=True)
class IngestMessage:
    items: list[Any]
    token: str | None = None
    request_id: str | None = None


def parse_payload(payload: bytes) -> IngestMessage:
    """The events, token and request id in a device's message; ``PayloadError`` if malformed."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PayloadError(f"body is not valid JSON: {exc}") from None
    if isinstance(data, list):
        return IngestMessage(items=data)
    if not isinstance(data, dict):
        raise PayloadError("expected an event object, a list of events or an envelope")
    if "events" not in data and "token" not in data:
        return IngestMessage(items=[data])
    unknown = sorted(data.keys() - ENVELOPE_KEYS)
    if unknown:
        raise PayloadError(f"unknown envelope field(s) {unknown}; allowed: {sorted(ENVELOPE_KEYS)}")
    events, token, request_id = data.get("events"), data.get("token"), data.get("request_id")
    if not isinstance(events, list):
        raise PayloadError("envelope field 'events' must be a list of event objects")
    if token is not None and not isinstance(token, str):
        raise PayloadError("envelope field 'token' must be a string")
    if request_id is not None and not isinstance(request_id, str):
        raise PayloadError("envelope field 'request_id' must be a string")
    return IngestMessage(items=events, token=token, request_id=request_id)


def _request_id_of(payload: bytes) -> str | None:
    """Best effort, for answering a malformed envelope."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    request_id = data.get("request_id") if isinstance(data, dict) else None
    return request_id if isinstance(request_id, str) else None


def answer(status: str, request_id: str | None, **fields: Any) -> bytes:
    body: dict[str, Any] = {"status": status, "request_id": request_id}
    body.update({"accepted": [], "duplicates": [], "rejected": []})
    body.update(fields)
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class MqttIngestStats:
    connected: bool = False
    connects: int = 0
    connection_failures: int = 0
    last_error: str | None = None
    messages: int = 0
    acknowledged: int = 0
    malformed: int = 0
    unauthorized: int = 0
    errors: int = 0


class MqttIngestListener:
    """Feeds device messages from the broker into the ingestion service; see module docstring."""

    def __init__(
        self,
        host: str,
        port: int,
        site_id: str,
        ingest: Ingest,
        *,
        client_id: str | None = None,
        session_expiry_s: int = DEFAULT_SESSION_EXPIRY_S,
        stop_timeout_s: float = 10.0,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self._host = host
        self._port = port
        self._site_id = topics.check_level(site_id, "site id")
        self._ingest = ingest
        self._client_id = client_id or f"artguard-ingest-{site_id}"
        self._session_expiry_s = session_expiry_s
        self._stop_timeout_s = stop_timeout_s
        self._credentials = (username, password)
        self._idle = asyncio.Event()
        self._idle.set()
        self._link = LinkState()
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._counts = MqttIngestStats()

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(
                keep_connected(self._new_client, self._session, self._link, name=self._client_id),
                name=f"ingest-mqtt:{self._client_id}",
            )

    async def stop(self) -> None:
        """Finish the message in hand (up to ``stop_timeout_s``), then disconnect.

        A message cut short is not acknowledged, so the broker gives it to the next listener.
        """
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self._stop_timeout_s)
            await cancel_and_wait(self._task)
            self._task = None
            self._ready.clear()

    async def wait_ready(self) -> None:
        """Until connected and subscribed (messages sent earlier may predate our session)."""
        await self._ready.wait()

    def stats(self) -> MqttIngestStats:
        counts = self._counts
        counts.connected = self._link.connected
        counts.connects = self._link.connects
        counts.connection_failures = self._link.failures
        counts.last_error = self._link.last_error
        return MqttIngestStats(**vars(counts))

    def _new_client(self, first: bool) -> aiomqtt.Client:
        # Never a clean start: what the broker kept for us while we were away must survive.
        return new_client(
            self._host,
            self._port,
            self._client_id,
            clean_start=False,
            session_expiry_s=self._session_expiry_s,
            username=self._credentials[0],
            password=self._credentials[1],
        )

    async def _session(self, client: aiomqtt.Client) -> None:
        await subscribe_qos1(client, [topics.ingest_filter(self._site_id)])
        self._ready.set()
        try:
            async for message in client.messages:
                await self._handle(client, message)
        finally:
            self._ready.clear()

    async def _handle(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        self._counts.messages += 1
        self._idle.clear()
        try:
            await self._handle_one(client, message)
        finally:
            self._idle.set()

    async def _handle_one(self, client: aiomqtt.Client, message: aiomqtt.Message) -> None:
        device_id = message.topic.value.rsplit("/", 1)[-1]
        payload = message.payload if isinstance(message.payload, bytes) else b""
        try:
            body = await self._process(device_id, payload)
        except Exception:
            # The service never raises for a bad item, so this is the store or a bug: leave the
            # message unacknowledged and reconnect (with backoff) to have it delivered again.
            self._counts.errors += 1
            log.exception("ingest from %s: could not store the message; will retry", device_id)
            retry = "not stored; artguard will process this message again"
            await self._reply(
                client, device_id, answer("error", _request_id_of(payload), message=retry)
            )
            raise
        await self._reply(client, device_id, body)
        ack(client, message)
        self._counts.acknowledged += 1

    async def _process(self, device_id: str, payload: bytes) -> bytes:
        try:
            parsed = parse_payload(payload)
        except PayloadError as exc:
            self._counts.malformed += 1
            log.warning("ingest from %s: malformed message: %s", device_id, exc)
            return answer("malformed", _request_id_of(payload), message=str(exc))
        try:
            result = await self._ingest.submit(
                parsed.items, token=parsed.token, source=f"mqtt:{device_id}"
            )
        except AuthError as exc:
            self._counts.unauthorized += 1
            return answer("unauthorized", parsed.request_id, message=str(exc))
        return answer("ok", parsed.request_id, **result.as_dict())

    async def _reply(self, client: aiomqtt.Client, device_id: str, body: bytes) -> None:
        # Before the PUBACK: if the connection dies here the message comes again and the device
        # learns on the next attempt that its events are stored (as duplicates).
        await client.publish(topics.ingest_result_topic(self._site_id, device_id), body, qos=1)
