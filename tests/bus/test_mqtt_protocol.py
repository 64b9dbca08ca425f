"""The bus's own MQTT v5 codec and connection, against byte strings and a fake broker."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from artguard.bus import mqtt_protocol as mp
from artguard.bus import wire
from artguard.bus.mqtt import MqttBus
from artguard.events import EventBase, OperatorAction, event_to_json
from tests.bus.fake_broker import FakeBroker
from tests.bus.helpers import Recorder, alert_about, door, drained, reading, wait_until


@pytest.mark.parametrize("value", [0, 1, 127, 128, 16_383, 16_384, 2_097_151, 268_435_455])
def test_variable_byte_integers_round_trip(value: int) -> None:
    data = mp.varint(value)
    assert len(data) == 1 + (value >= 128) + (value >= 16_384) + (value >= 2_097_152)
    assert mp.read_varint(data, 0) == (value, len(data))
    assert mp.read_varint_partial(data, 0) == (value, len(data))
    if len(data) > 1:
        assert mp.read_varint_partial(data[:-1], 0) == (0, -1)  # not complete yet


def test_a_five_byte_length_is_malformed() -> None:
    with pytest.raises(mp.MalformedPacket):
        mp.read_varint_partial(b"\xff\xff\xff\xff\x01", 0)


def publish_body(topic: str, mid: int, properties: bytes, payload: bytes) -> bytes:
    return mp.utf8(topic) + mid.to_bytes(2, "big") + properties + payload


def test_a_publish_with_the_bus_properties_is_parsed() -> None:
    props = mp.user_properties([("artguard-origin", "abc"), ("artguard-seq", "42")])
    message = mp.parse_publish(0x32 | 0x08, publish_body("a/b", 7, props, b'{"x":1}'))
    assert (message.topic, message.qos, message.mid, message.dup) == ("a/b", 1, 7, True)
    assert message.payload == b'{"x":1}'
    assert message.user_properties == [("artguard-origin", "abc"), ("artguard-seq", "42")]


def test_other_properties_are_stepped_over() -> None:
    block = b"".join(
        [
            b"\x01\x01",  # payload format indicator
            b"\x02\x00\x00\x00\x3c",  # message expiry interval
            b"\x26" + mp.utf8("k") + mp.utf8("v"),
            b"\x0b" + mp.varint(300),  # subscription identifier (a variable byte integer)
            b"\x03" + mp.utf8("application/json"),
            b"\x09" + mp.utf8("corr"),  # correlation data (binary)
            b"\x26" + mp.utf8("k2") + mp.utf8("é"),
        ]
    )
    body = publish_body("t", 1, mp.varint(len(block)) + block, b"payload")
    message = mp.parse_publish(0x32, body)
    assert message.user_properties == [("k", "v"), ("k2", "é")]
    assert message.payload == b"payload"
    qos0 = mp.parse_publish(0x30, mp.utf8("t") + b"\x00" + b"p")
    assert (qos0.qos, qos0.mid, qos0.payload, qos0.user_properties) == (0, 0, b"p", [])


@pytest.mark.parametrize(
    "properties",
    [
        b"\x05\x26\x00\x01k\x00",  # the value's length is cut off
        b"\x03\x02\x00\x00",  # a four-byte integer cut short
        b"\x02\x7f\x00",  # an unknown property
        b"\x07\x26\x00\x01k\x00\x01\xff",  # not UTF-8
        b"\x09\x26\x00\x01k\x00\x09abcdefghi",  # a string running past the block
    ],
)
def test_malformed_properties_are_refused(properties: bytes) -> None:
    with pytest.raises(mp.MalformedPacket):
        mp.parse_publish(0x32, publish_body("t", 1, properties, b"{}"))


EXAMPLES: list[EventBase] = [
    reading(21.5),
    door("open", device="dc-south"),
    alert_about(reading(99.0)),
    OperatorAction(
        device_id="api",
        site_time=reading(0).site_time,
        actor="Zoë",
        action="ack",
        note="Tür 3 \u2192 Saal",
    ),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: e.kind)
def test_the_payload_is_the_canonical_json_and_decodes_to_the_same_event(
    event: EventBase,
) -> None:
    item = wire.Encoder("museum", "origin-1").encode(event, 12)
    assert item.payload == event_to_json(event).encode()
    assert item.topic == f"artguard/museum/{event.kind}/{event.device_id}"
    body = publish_body(item.topic, 1, item.properties, item.payload)
    message = mp.parse_publish(0x32, body)
    assert wire.decode(message, "museum") == event
    assert wire.own_seq(message, "origin-1") == 12
    assert wire.own_seq(message, "someone-else") is None


class FakeTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.written = bytearray()

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written += data

    def is_closing(self) -> bool:
        return False

    def abort(self) -> None:
        pass


async def test_packets_split_anywhere_are_reassembled_and_acknowledged_in_order() -> None:
    got: list[mp.Message] = []
    conn: mp.MqttConnection[object] = mp.MqttConnection(
        "127.0.0.1",
        1,
        "c",
        clean_start=True,
        session_expiry_s=0,
        keepalive_s=0,
        on_message=got.append,
        on_puback=lambda token, code: None,
    )
    transport = FakeTransport()
    conn.connection_made(transport)
    payload = b"x" * 300  # a two-byte remaining length
    stream = b"".join(
        mp.packet(0x32, publish_body(f"t/{i}", i + 1, b"\x00", payload)) for i in range(5)
    )
    for start in range(0, len(stream), 7):
        conn.data_received(stream[start : start + 7])
    assert [m.topic for m in got] == [f"t/{i}" for i in range(5)]
    assert all(m.payload == payload for m in got)
    conn.flush()
    assert bytes(transport.written) == b"".join(
        bytes((mp.PUBACK, 2)) + (i + 1).to_bytes(2, "big") for i in range(5)
    )
    assert not conn.lost.done()


@pytest.fixture
async def fake() -> AsyncIterator[FakeBroker]:
    broker = FakeBroker()
    await broker.start()
    yield broker
    await broker.close()


async def stopped(bus: MqttBus) -> None:
    await asyncio.wait_for(bus.stop(), 30)


async def test_the_bus_never_has_more_in_flight_than_the_broker_allows(
    fake: FakeBroker,
) -> None:
    fake.receive_maximum = 3
    fake.puback_delay_s = 0.005
    bus = MqttBus("127.0.0.1", fake.port, "museum")
    await bus.start()
    try:
        events = [door(device=f"dc-{i}") for i in range(60)]
        await bus.publish_many(events)
        await drained(bus)
        assert fake.max_unacknowledged == 3
        assert [m.payload for m in fake.published] == [event_to_json(e).encode() for e in events]
    finally:
        await stopped(bus)


async def test_events_the_broker_refuses_are_counted_and_not_awaited(fake: FakeBroker) -> None:
    fake.puback_code = 0x87  # not authorized, as Mosquitto answers when its ACL says no
    bus = MqttBus("127.0.0.1", fake.port, "museum")
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    try:
        for value in range(3):
            await bus.publish(reading(float(value)))
        await drained(bus, timeout=5)  # does not wait for echoes that cannot come
        stats = bus.stats()
        assert (stats.refused, stats.awaiting_echo, stats.queued) == (3, 0, 0)
        assert len(fake.published) == 3  # sent once each, not again and again
        assert got.events == []
    finally:
        await stopped(bus)


async def test_an_echo_from_the_broker_reaches_the_subscriber(fake: FakeBroker) -> None:
    fake.echo = True
    bus = MqttBus("127.0.0.1", fake.port, "museum")
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    try:
        events = [reading(float(i)) for i in range(20)]
        await bus.publish_many(events)
        await drained(bus, timeout=5)
        assert got.ids == [e.id for e in events]
    finally:
        await stopped(bus)


async def test_a_broker_that_stops_answering_pings_is_left(fake: FakeBroker) -> None:
    fake.server_keep_alive = 1  # the broker sets the keepalive (CONNACK Server Keep Alive)
    fake.answer_pings = False
    bus = MqttBus("127.0.0.1", fake.port, "museum")
    await bus.start()
    try:
        await wait_until(lambda: bus.stats().connects >= 2, timeout=10, what="a reconnect")
        assert fake.pings >= 1
        assert "no answer from the broker" in (bus.stats().last_error or "")
    finally:
        await stopped(bus)


async def test_events_whose_echo_never_comes_are_sent_again(
    fake: FakeBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("artguard.bus.mqtt.ECHO_TIMEOUT_S", 0.3)
    bus = MqttBus("127.0.0.1", fake.port, "museum")
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    try:
        events = [reading(float(i)) for i in range(3)]
        await bus.publish_many(events)  # acknowledged, but the broker "loses" the echoes
        await wait_until(lambda: len(fake.published) >= 6, timeout=5, what="a resend")
        assert bus.stats().awaiting_echo == 3
        fake.echo = True
        await drained(bus, timeout=5)
        assert got.ids == [e.id for e in events]
    finally:
        await stopped(bus)


async def test_a_refused_connection_is_reported_and_retried(fake: FakeBroker) -> None:
    fake.connack_code = 0x86  # bad user name or password
    bus = MqttBus("127.0.0.1", fake.port, "museum", username="artguard", password="wrong")
    await bus.start()
    try:
        await wait_until(lambda: fake.connects >= 2, timeout=10, what="a second attempt")
        stats = bus.stats()
        assert (stats.connected, stats.connects) == (False, 0)
        assert "bad user name or password (0x86)" in (stats.last_error or "")
        assert mp.utf8("artguard") + mp.utf8("wrong") in fake.credentials[0]
    finally:
        await stopped(bus)
