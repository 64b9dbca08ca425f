"""What only the MQTT bus does: topics on the wire, bad messages, broker outages."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import aiomqtt
import pytest

from artguard.bus import create_bus
from artguard.bus.mqtt import MqttBus
from artguard.events import EventBase, event_to_json
from tests.bus.conftest import new_site
from tests.bus.helpers import Recorder, door, drained, reading, wait_until
from tests.bus.tcp_proxy import TcpProxy
from tests.services import require_mqtt

pytestmark = pytest.mark.services


@pytest.fixture
async def raw() -> AsyncIterator[aiomqtt.Client]:
    """A plain MQTT client playing another process or a misbehaving device."""
    host, port = require_mqtt()
    async with aiomqtt.Client(host, port, protocol=aiomqtt.ProtocolVersion.V5) as client:
        yield client


@pytest.fixture
async def buses() -> AsyncIterator[list[MqttBus]]:
    """Buses the test creates; stopped at the end whatever happened."""
    created: list[MqttBus] = []
    yield created
    for bus in created:
        await asyncio.wait_for(bus.stop(), 30)


def new_bus(buses: list[MqttBus], port: int | None = None, **options: int) -> MqttBus:
    host, broker_port = require_mqtt()
    bus = MqttBus("127.0.0.1" if port else host, port or broker_port, new_site(), **options)
    buses.append(bus)
    return bus


async def next_message(client: aiomqtt.Client, timeout: float = 10.0) -> aiomqtt.Message:
    return await asyncio.wait_for(anext(aiter(client.messages)), timeout)


async def test_events_are_published_as_canonical_json_on_the_documented_topic(
    buses: list[MqttBus], raw: aiomqtt.Client
) -> None:
    bus = new_bus(buses)
    site = bus.site_id
    await raw.subscribe(f"artguard/{site}/#", qos=1)
    bus.subscribe("doors", Recorder(), ["door_state"])
    await bus.start()
    event = door("open", device="dc-east")
    await bus.publish(event)
    await drained(bus)
    message = await next_message(raw)
    assert message.topic.value == f"artguard/{site}/door_state/dc-east"
    assert message.payload == event_to_json(event).encode()
    assert message.qos == 1
    assert message.retain is False
    properties = dict(message.properties.UserProperty)  # type: ignore[union-attr]
    assert properties["artguard-seq"] == "1"
    assert len(properties["artguard-origin"]) == 16


async def test_events_from_another_process_reach_local_subscribers(
    buses: list[MqttBus],
) -> None:
    sender = new_bus(buses)
    receiver = MqttBus(*require_mqtt(), site_id=sender.site_id)
    buses.append(receiver)
    got = Recorder()
    receiver.subscribe("readings", got, ["sensor_reading"])
    await receiver.start()
    await receiver.publish(reading(0.0))
    await drained(receiver)  # its subscription is in place once its own event came back
    await sender.start()
    event = reading(1.0)
    await sender.publish(event)
    await drained(sender)  # nothing local wants it: returns once it is sent
    await wait_until(lambda: len(got.events) == 2, what="the other process's event")
    assert got.events[1] == event


async def test_malformed_messages_are_counted_and_skipped(
    buses: list[MqttBus], raw: aiomqtt.Client
) -> None:
    bus = new_bus(buses)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    await bus.publish(reading(0.0))
    await drained(bus)
    prefix = f"artguard/{bus.site_id}/sensor_reading"
    wrong_kind = door()
    good = reading(42.0, device="temp-9")
    for topic, payload in [
        (f"{prefix}/temp-1", b"not json"),
        (f"{prefix}/temp-1", b'{"kind": "sensor_reading"}'),
        (f"{prefix}/dc-1", event_to_json(wrong_kind).encode()),  # a door on a reading topic
        (f"{prefix}/temp-2", event_to_json(reading(1.0, device="temp-1")).encode()),
        (f"{prefix}/temp-9", event_to_json(good).encode()),
    ]:
        await raw.publish(topic, payload, qos=1)
    await wait_until(lambda: len(got.events) == 2, what="the good event after the bad ones")
    assert got.events[1] == good
    assert bus.stats().malformed == 4
    await bus.publish(reading(3.0))
    await drained(bus)
    assert len(got.events) == 3


async def test_a_resent_copy_of_our_own_event_is_delivered_once(
    buses: list[MqttBus], raw: aiomqtt.Client
) -> None:
    bus = new_bus(buses)
    await raw.subscribe(f"artguard/{bus.site_id}/#", qos=1)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    first = reading(1.0)
    await bus.publish(first)
    await drained(bus)
    copy = await next_message(raw)
    await raw.publish(copy.topic.value, copy.payload, qos=1, properties=copy.properties)
    second = reading(2.0)
    await bus.publish(second)
    await drained(bus)
    assert got.ids == [first.id, second.id]


async def test_reconnects_and_resubscribes_after_the_connection_drops(
    buses: list[MqttBus], proxy: TcpProxy
) -> None:
    bus = new_bus(buses, port=proxy.port)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    await bus.publish(reading(1.0))
    await drained(bus)
    await proxy.cut()
    await wait_until(lambda: bus.stats().connects == 2, what="a reconnect")
    await bus.publish(reading(2.0))
    await drained(bus)
    assert [e.value for e in got.events] == [1.0, 2.0]
    stats = bus.stats()
    assert stats.connection_failures >= 1
    assert stats.last_error is not None


async def test_publishes_while_disconnected_are_sent_after_reconnecting(
    buses: list[MqttBus], proxy: TcpProxy, raw: aiomqtt.Client
) -> None:
    bus = new_bus(buses, port=proxy.port)
    await raw.subscribe(f"artguard/{bus.site_id}/door_state/+", qos=1)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    await bus.publish(reading(0.0))
    await drained(bus)
    await proxy.pause()
    await wait_until(lambda: not bus.stats().connected, what="the bus to notice")
    events = [reading(float(i)) for i in range(1, 21)]
    for event in events:
        await bus.publish(event)
    for_others = door()  # no local subscriber: drain still waits until the broker has it
    await bus.publish(for_others)
    assert bus.stats().awaiting_echo == 20
    assert bus.stats().queued >= 21
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(bus.drain(), 0.3)
    await proxy.resume()
    await drained(bus, timeout=30)
    assert got.ids[1:] == [e.id for e in events]
    assert bus.stats().queued == 0
    message = await next_message(raw)
    assert message.payload == event_to_json(for_others).encode()


async def test_events_published_elsewhere_during_an_outage_arrive_afterwards(
    buses: list[MqttBus], proxy: TcpProxy, raw: aiomqtt.Client
) -> None:
    bus = new_bus(buses, port=proxy.port)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    await bus.publish(reading(0.0))
    await drained(bus)
    await proxy.pause()
    await wait_until(lambda: not bus.stats().connected, what="the bus to notice")
    missed = reading(7.0, device="temp-7")
    await raw.publish(f"artguard/{bus.site_id}/sensor_reading/temp-7", event_to_json(missed), qos=1)
    await proxy.resume()  # the broker kept the bus's session and queued the event for it
    await wait_until(lambda: len(got.events) == 2, timeout=30, what="the queued event")
    assert got.events[1] == missed


async def test_a_full_outbox_drops_the_oldest_events(buses: list[MqttBus], proxy: TcpProxy) -> None:
    await proxy.pause()  # the broker is unreachable from the start
    bus = new_bus(buses, port=proxy.port, max_queued=5)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    events = [reading(float(i)) for i in range(8)]
    for event in events:
        await bus.publish(event)
    stats = bus.stats()
    assert (stats.dropped, stats.queued, stats.connected) == (3, 5, False)
    await proxy.resume()
    await drained(bus, timeout=30)
    assert got.ids == [e.id for e in events[3:]]


async def test_a_burst_bigger_than_the_outbox_while_connected_loses_nothing(
    buses: list[MqttBus],
) -> None:
    bus = new_bus(buses, max_queued=50)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    await bus.publish(reading(-1.0))
    await drained(bus)
    events = [reading(float(i)) for i in range(500)]
    for event in events:
        await bus.publish(event)  # waits for room instead of dropping
    await drained(bus, timeout=30)
    assert got.ids[1:] == [e.id for e in events]
    assert bus.stats().dropped == 0


def test_ids_that_would_break_the_topic_scheme_are_refused() -> None:
    with pytest.raises(ValueError, match="site id"):
        MqttBus("127.0.0.1", 1883, "museum/east")
    bus = MqttBus("127.0.0.1", 1883, "museum")
    with pytest.raises(ValueError, match="event kind"):
        bus.subscribe("x", Recorder(), ["door_state/#"])


def test_create_bus_builds_an_mqtt_bus_from_the_url() -> None:
    bus = create_bus("mqtt://broker.local:1884", "museum")
    assert isinstance(bus, MqttBus)
    assert bus.client_id.startswith("artguard-bus-museum-")


BURST = 5_000
"""More than Mosquitto queues for one client by default (1 000 plus those in flight)."""


async def test_a_burst_bigger_than_the_broker_queue_arrives_complete_and_in_order(
    buses: list[MqttBus],
) -> None:
    bus = new_bus(buses)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    events = [reading(float(i), device=f"temp-{i % 7}") for i in range(BURST)]
    await bus.publish_many(events)  # one call, no pause: the bus paces itself
    await drained(bus, timeout=60)
    assert got.ids == [e.id for e in events]
    stats = bus.stats()
    assert (stats.dropped, stats.refused, stats.queued, stats.awaiting_echo) == (0, 0, 0, 0)


async def test_a_burst_from_another_process_is_not_thinned_by_the_broker(
    buses: list[MqttBus],
) -> None:
    """While this process is too busy to read (its event loop blocked), another one publishes
    far more than the broker queues per client. The bus asks the broker to keep up to 65 535
    messages in flight to it (CONNECT Receive Maximum), so none is dropped; with Mosquitto's
    default window (20 in flight, then a queue of 1 000) most of the burst would be lost."""
    receiver = new_bus(buses)
    got: list[str] = []

    async def busy(event: EventBase) -> None:
        got.append(event.id)
        if len(got) == 2:
            time.sleep(1.0)  # blocks the whole event loop: nothing is read meanwhile

    receiver.subscribe("readings", busy, ["sensor_reading"])
    await receiver.start()
    await receiver.publish(reading(-1.0))
    await drained(receiver)  # subscribed
    events = [reading(float(i)) for i in range(BURST)]

    async def send() -> None:
        sender = MqttBus(*require_mqtt(), site_id=receiver.site_id)
        await sender.start()
        try:
            await sender.publish_many(events)
            await asyncio.wait_for(sender.drain(), 60)
        finally:
            await asyncio.wait_for(sender.stop(), 30)

    other_process = threading.Thread(target=asyncio.run, args=(send(),))
    other_process.start()
    try:
        await wait_until(lambda: len(got) >= BURST + 1, timeout=60, what="the whole burst")
    finally:
        await asyncio.to_thread(other_process.join, 60)
    assert got[1:] == [e.id for e in events]


async def test_publish_many_while_disconnected_keeps_the_newest(
    buses: list[MqttBus], proxy: TcpProxy
) -> None:
    await proxy.pause()
    bus = new_bus(buses, port=proxy.port, max_queued=5)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    events = [reading(float(i)) for i in range(8)]
    await bus.publish_many(events)  # does not wait while the broker is away
    assert (bus.stats().dropped, bus.stats().published) == (3, 8)
    await proxy.resume()
    await drained(bus, timeout=30)
    assert got.ids == [e.id for e in events[3:]]


async def test_a_connection_cut_in_the_middle_of_a_burst_loses_and_repeats_nothing(
    buses: list[MqttBus], proxy: TcpProxy
) -> None:
    bus = new_bus(buses, port=proxy.port)
    got = Recorder()
    bus.subscribe("readings", got, ["sensor_reading"])
    await bus.start()
    await bus.publish(reading(-1.0))
    await drained(bus)
    events = [reading(float(i)) for i in range(BURST)]
    publishing = asyncio.create_task(bus.publish_many(events))
    await wait_until(lambda: len(got.events) > 1_000, what="the burst under way")
    await proxy.cut()  # with events in flight both ways
    assert len(got.events) < BURST
    await publishing
    await drained(bus, timeout=60)
    assert bus.stats().connects == 2
    ids = got.ids[1:]
    assert sorted(ids) == sorted(e.id for e in events)  # each exactly once
    assert len(set(ids)) == len(ids)
