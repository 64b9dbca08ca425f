"""Behaviour every bus must show, run against MemoryBus and MqttBus alike."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable

from artguard.bus import Bus
from artguard.events import EventBase, OperatorAction, SensorReading
from tests.bus.helpers import Recorder, alert_about, door, drained, reading

BusFactory = Callable[[], Bus]


async def test_each_subscriber_gets_only_its_kinds(make_bus: BusFactory) -> None:
    bus = make_bus()
    doors, readings, everything = Recorder(), Recorder(), Recorder()
    bus.subscribe("doors", doors, ["door_state"])
    bus.subscribe("readings", readings, ["sensor_reading"])
    bus.subscribe("all", everything)
    await bus.start()
    events: list[EventBase] = [door("open"), reading(20.5), door("closed"), reading(21.0)]
    for event in events:
        await bus.publish(event)
    await drained(bus)
    assert doors.ids == [events[0].id, events[2].id]
    assert readings.ids == [events[1].id, events[3].id]
    assert everything.ids == [e.id for e in events]
    assert everything.events == events  # the same values, field for field


async def test_each_subscriber_sees_publication_order(make_bus: BusFactory) -> None:
    bus = make_bus()
    rng = random.Random(7)

    async def jittery(event: EventBase) -> None:
        await asyncio.sleep(rng.random() / 1000)
        slow.events.append(event)

    fast, slow = Recorder(), Recorder()
    bus.subscribe("fast", fast, ["sensor_reading"])
    bus.subscribe("slow", jittery, ["sensor_reading"])
    await bus.start()
    events = [reading(float(i)) for i in range(200)]
    for event in events:
        await bus.publish(event)
    await drained(bus)
    assert fast.ids == [e.id for e in events]
    assert slow.ids == [e.id for e in events]


async def test_a_failing_handler_stops_neither_others_nor_later_events(
    make_bus: BusFactory,
) -> None:
    bus = make_bus()
    handled: list[float] = []

    async def fragile(event: EventBase) -> None:
        assert isinstance(event, SensorReading)
        if event.value == 2:
            raise RuntimeError("sensor 2 is cursed")
        handled.append(event.value)

    good = Recorder()
    bus.subscribe("fragile", fragile, ["sensor_reading"])
    bus.subscribe("good", good, ["sensor_reading"])
    await bus.start()
    for value in range(5):
        await bus.publish(reading(float(value)))
    await drained(bus)
    assert handled == [0, 1, 3, 4]
    assert len(good.events) == 5
    fragile_stats = next(s for s in bus.stats().subscribers if s.name == "fragile")
    assert (fragile_stats.delivered, fragile_stats.failed) == (4, 1)
    assert fragile_stats.last_error == "RuntimeError: sensor 2 is cursed"


async def test_drain_waits_for_events_published_by_handlers(make_bus: BusFactory) -> None:
    bus = make_bus()
    actions = Recorder()

    async def raise_alert(event: EventBase) -> None:
        await asyncio.sleep(0.01)
        await bus.publish(alert_about(event))

    async def act_on_alert(event: EventBase) -> None:
        await asyncio.sleep(0.01)
        await bus.publish(
            OperatorAction(
                device_id="api",
                site_time=event.site_time,
                actor="x",
                action="ack",
                target_id=event.id,
            )
        )

    bus.subscribe("rules", raise_alert, ["door_state"])
    bus.subscribe("operator", act_on_alert, ["alert"])
    bus.subscribe("audit", actions, ["operator_action"])
    await bus.start()
    for contact in ("open", "closed", "open"):
        await bus.publish(door(contact))
    await drained(bus)  # one call: the chain door -> alert -> action is three hops deep
    assert len(actions.events) == 3


async def test_stats_count_published_delivered_and_pending(make_bus: BusFactory) -> None:
    bus = make_bus()
    readings = Recorder()
    bus.subscribe("readings", readings, ["sensor_reading"])
    bus.subscribe("doors", Recorder(), ["door_state"])
    await bus.start()
    for value in range(3):
        await bus.publish(reading(float(value)))
    await bus.publish(door())
    await drained(bus)
    stats = bus.stats()
    assert stats.published == 4
    by_name = {s.name: s for s in stats.subscribers}
    assert by_name["readings"].kinds == frozenset({"sensor_reading"})
    assert (by_name["readings"].delivered, by_name["readings"].pending) == (3, 0)
    assert (by_name["doors"].delivered, by_name["doors"].failed) == (1, 0)


async def test_drain_with_nothing_published_returns_at_once(make_bus: BusFactory) -> None:
    bus = make_bus()
    bus.subscribe("readings", Recorder(), ["sensor_reading"])
    await bus.start()
    await asyncio.wait_for(bus.drain(), 1.0)


async def test_stop_start_and_subscribing_while_running(make_bus: BusFactory) -> None:
    bus = make_bus()
    early = Recorder()
    bus.subscribe("early", early, ["sensor_reading"])
    await bus.start()
    first = reading(1.0)
    await bus.publish(first)
    await drained(bus)
    await bus.stop()
    assert early.ids == [first.id]

    while_stopped = reading(2.0)
    await bus.publish(while_stopped)  # kept until the bus runs again
    await bus.start()
    late = Recorder()
    bus.subscribe("late", late, ["door_state", "sensor_reading"])  # after start
    after = [reading(3.0), door()]
    for event in after:
        await bus.publish(event)
    await drained(bus)
    assert early.ids == [first.id, while_stopped.id, after[0].id]
    assert late.ids == [e.id for e in after]
    await bus.stop()
    await bus.stop()  # stopping twice is harmless
