"""MQTT ingestion: payload forms, answers to devices, and acknowledgement only after storage."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiomqtt
import pytest
from sqlalchemy import select

from artguard.ingest.mqtt import MqttIngestListener, PayloadError, parse_payload
from artguard.ingest.service import AuthError, IngestResult, Rejection
from artguard.runtime import Runtime
from artguard.store.tables import events
from tests.bus.helpers import wait_until
from tests.bus.tcp_proxy import TcpProxy
from tests.conftest import NIGHT, at, reading
from tests.services import require_mqtt


@dataclass
class Call:
    items: list[Any]
    token: str | None
    source: str


class FakeIngest:
    """Stands in for IngestService: records calls, stores ids in memory, can stall or fail."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.stored: set[str] = set()
        self.gate: asyncio.Event | None = None
        self.delay_s = 0.0
        self.fail_next: Exception | None = None
        self.running = 0
        self.most_at_once = 0

    async def submit(self, items: list[Any], *, token: str | None, source: str) -> IngestResult:
        self.calls.append(Call(items, token, source))
        self.running += 1
        self.most_at_once = max(self.most_at_once, self.running)
        try:
            if self.gate is not None:
                await self.gate.wait()
            await asyncio.sleep(self.delay_s)  # a slow durable write
            if self.fail_next is not None:
                exc, self.fail_next = self.fail_next, None
                raise exc
            if token == "bad":
                raise AuthError("unknown or revoked device token")
            return self._store(items)
        finally:
            self.running -= 1

    def _store(self, items: list[Any]) -> IngestResult:
        result = IngestResult()
        for index, item in enumerate(items):
            event_id = item.get("id") if isinstance(item, dict) else None
            if not isinstance(event_id, str):
                result.rejected.append(Rejection(index, None, "id", "an id is required here"))
            elif event_id in self.stored:
                result.duplicates.append(event_id)
            else:
                self.stored.add(event_id)
                result.accepted.append(event_id)
        return result


class Device:
    """A device on the broker: sends to its ingest topic, reads its result topic."""

    def __init__(self, client: aiomqtt.Client, site_id: str, device_id: str) -> None:
        self.client = client
        self.topic = f"artguard/{site_id}/ingest/{device_id}"
        self.result_topic = f"artguard/{site_id}/ingest-result/{device_id}"

    async def send(self, body: object) -> None:
        payload = body if isinstance(body, bytes) else json.dumps(body).encode()
        await self.client.publish(self.topic, payload, qos=1)

    async def result(self, timeout: float = 15.0) -> dict[str, Any]:
        message = await asyncio.wait_for(anext(aiter(self.client.messages)), timeout)
        assert message.topic.value == self.result_topic
        assert isinstance(message.payload, bytes)
        return json.loads(message.payload)


def event(event_id: str) -> dict[str, Any]:
    return reading("rh-vault", 50, at(NIGHT, 0), id=event_id)


@pytest.fixture
def site_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def device(site_id: str) -> AsyncIterator[Device]:
    host, port = require_mqtt()
    async with aiomqtt.Client(host, port) as client:
        dev = Device(client, site_id, "panel-1")
        await client.subscribe(dev.result_topic, qos=1)
        yield dev


StartListener = Callable[..., Awaitable[MqttIngestListener]]


@pytest.fixture
async def start_listener(site_id: str) -> AsyncIterator[StartListener]:
    """Starts listeners (on the broker, or on a given port) and stops them afterwards."""
    started: list[MqttIngestListener] = []

    async def start(ingest: Any, port: int | None = None) -> MqttIngestListener:
        host, broker_port = require_mqtt()
        listener = MqttIngestListener(
            host, port or broker_port, site_id, ingest, session_expiry_s=120
        )  # a short-lived session: tests should not leave week-long ones on a shared broker
        started.append(listener)
        await listener.start()
        await asyncio.wait_for(listener.wait_ready(), 15)
        return listener

    yield start
    for listener in started:
        await asyncio.wait_for(listener.stop(), 30)


# -- payload forms, without a broker ---------------------------------------------------------


def test_the_three_payload_forms() -> None:
    one = event("a")
    assert parse_payload(json.dumps(one).encode()).items == [one]
    assert parse_payload(json.dumps([one, event("b")]).encode()).items == [one, event("b")]
    envelope = parse_payload(
        json.dumps({"token": "agd_x", "events": [one], "request_id": "r-1"}).encode()
    )
    assert (envelope.items, envelope.token, envelope.request_id) == ([one], "agd_x", "r-1")


@pytest.mark.parametrize(
    ("payload", "complaint"),
    [
        (b"", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"{not json", "not valid JSON"),
        (b"42", "expected an event object"),
        (b'{"token": "agd_x", "events": {"id": "a"}}', "'events' must be a list"),
        (b'{"token": 7, "events": []}', "'token' must be a string"),
        (b'{"token": "agd_x", "events": [], "extra": 1}', "unknown envelope field"),
        (b'{"events": [], "request_id": 5}', "'request_id' must be a string"),
    ],
)
def test_malformed_payloads_are_refused_with_a_reason(payload: bytes, complaint: str) -> None:
    with pytest.raises(PayloadError, match=complaint):
        parse_payload(payload)


# -- through the broker ----------------------------------------------------------------------


@pytest.mark.services
async def test_a_single_event_reaches_submit_and_the_device_gets_the_result(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    await start_listener(ingest)
    await device.send(event("e1"))
    assert await device.result() == {
        "status": "ok",
        "request_id": None,
        "accepted": ["e1"],
        "duplicates": [],
        "rejected": [],
    }
    assert ingest.calls == [Call([event("e1")], None, "mqtt:panel-1")]


@pytest.mark.services
async def test_a_batch_is_one_submit_and_rejections_name_index_and_field(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    await start_listener(ingest)
    await device.send([event("e1"), {"kind": "sensor_reading"}, event("e1")])
    result = await device.result()
    assert (result["accepted"], result["duplicates"]) == (["e1"], ["e1"])
    assert result["rejected"] == [
        {"index": 1, "event_id": None, "field": "id", "message": "an id is required here"}
    ]
    assert len(ingest.calls) == 1 and len(ingest.calls[0].items) == 3


@pytest.mark.services
async def test_an_envelope_passes_its_token_and_gets_its_request_id_back(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    await start_listener(ingest)
    await device.send({"token": "agd_good", "events": [event("e1")], "request_id": "req-7"})
    result = await device.result()
    assert (result["status"], result["request_id"], result["accepted"]) == ("ok", "req-7", ["e1"])
    assert ingest.calls[0].token == "agd_good"


@pytest.mark.services
async def test_a_bad_token_is_answered_and_the_listener_carries_on(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    listener = await start_listener(ingest)
    await device.send({"token": "bad", "events": [event("e1")], "request_id": "r-1"})
    assert await device.result() == {
        "status": "unauthorized",
        "request_id": "r-1",
        "message": "unknown or revoked device token",
        "accepted": [],
        "duplicates": [],
        "rejected": [],
    }
    await device.send({"token": "agd_good", "events": [event("e2")]})
    assert (await device.result())["accepted"] == ["e2"]
    assert (listener.stats().unauthorized, listener.stats().acknowledged) == (1, 2)


@pytest.mark.services
async def test_malformed_messages_are_answered_never_submitted_and_do_not_stop_it(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    listener = await start_listener(ingest)
    bad = [b"{not json", b"null", b'{"token": "agd_x", "events": "e1", "request_id": "r-9"}']
    for payload in bad:
        await device.send(payload)
    answers = [await device.result() for _ in bad]
    assert [a["status"] for a in answers] == ["malformed"] * 3
    assert "not valid JSON" in answers[0]["message"]
    assert answers[2]["request_id"] == "r-9"
    await device.send(event("e1"))
    assert (await device.result())["accepted"] == ["e1"]
    assert len(ingest.calls) == 1
    assert listener.stats().malformed == 3


@pytest.mark.services
async def test_messages_are_handled_one_at_a_time_in_arrival_order(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    ingest.delay_s = 0.05
    await start_listener(ingest)
    for n in range(5):
        await device.send(event(f"e{n}"))
    results = [await device.result() for _ in range(5)]
    assert [r["accepted"] for r in results] == [[f"e{n}"] for n in range(5)]
    assert ingest.most_at_once == 1


@pytest.mark.services
async def test_the_puback_waits_until_submit_has_returned(
    start_listener: StartListener, device: Device, site_id: str
) -> None:
    """Cut the listener's link while ``submit`` is still running: the broker must deliver the
    message again when the session resumes, which it does only if no PUBACK had been sent.
    Then a fresh listener on the same session gets only new messages, so the PUBACK sent after
    the second ``submit`` did reach the broker."""
    host, port = require_mqtt()
    proxy = TcpProxy(host, port)
    await proxy.start()
    try:
        ingest = FakeIngest()
        ingest.gate = asyncio.Event()
        listener = await start_listener(ingest, port=proxy.port)
        await device.send(event("e1"))
        await wait_until(lambda: len(ingest.calls) == 1, what="submit to start")
        await proxy.cut()
        await asyncio.sleep(0.2)  # let the listener's client see the dead socket
        ingest.gate.set()  # this submit returns now, but its connection is gone
        await wait_until(lambda: len(ingest.calls) == 2, what="the broker to deliver it again")
        assert ingest.calls[1] == ingest.calls[0]
        assert await device.result() == {
            "status": "ok",
            "request_id": None,
            "accepted": [],
            "duplicates": ["e1"],  # stored by the first attempt; the device learns it is safe
            "rejected": [],
        }
        assert listener.stats().acknowledged == 1
        await listener.stop()
    finally:
        await proxy.close()

    successor = await start_listener(ingest)
    await device.send(event("e2"))
    assert (await device.result())["accepted"] == ["e2"]
    assert [c.items for c in ingest.calls[2:]] == [[event("e2")]]
    assert successor.stats().acknowledged == 1


@pytest.mark.services
async def test_messages_sent_while_no_listener_runs_are_kept_for_it(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    first = await start_listener(ingest)
    await first.stop()
    await device.send(event("e1"))  # nobody listening: the broker queues it in the session
    await start_listener(ingest)
    assert (await device.result())["accepted"] == ["e1"]


@pytest.mark.services
async def test_a_failing_service_gets_the_message_again_after_a_reconnect(
    start_listener: StartListener, device: Device
) -> None:
    ingest = FakeIngest()
    ingest.fail_next = RuntimeError("database is down")
    listener = await start_listener(ingest)
    await device.send({"token": "agd_good", "events": [event("e1")], "request_id": "r-1"})
    first, second = await device.result(), await device.result()
    assert (first["status"], first["request_id"]) == ("error", "r-1")
    assert (second["status"], second["accepted"]) == ("ok", ["e1"])
    assert ingest.calls[0] == ingest.calls[1]
    stats = listener.stats()
    assert (stats.errors, stats.acknowledged, stats.connects) == (1, 1, 2)


@pytest.mark.services
async def test_end_to_end_through_the_real_ingestion_service(
    runtime: Runtime, start_listener: StartListener, device: Device
) -> None:
    _, token = runtime.tokens.create("vault-panel", ["rh-vault"])
    await start_listener(runtime.ingest)
    envelope = {
        "token": token,
        "events": [event("e-real"), reading("pir-gallery", 1, at(NIGHT, 1))],
    }
    await device.send(envelope)
    result = await device.result()
    assert (result["status"], result["accepted"]) == ("ok", ["e-real"])
    assert result["rejected"][0]["index"] == 1
    assert "may not send events for device 'pir-gallery'" in result["rejected"][0]["message"]
    with runtime.engine.connect() as conn:
        assert conn.execute(select(events.c.id)).scalars().all() == ["e-real"]
    await device.send(envelope)
    assert (await device.result())["duplicates"] == ["e-real"]
    await device.send({"token": "agd_forged", "events": [event("e-2")]})
    assert (await device.result())["status"] == "unauthorized"
