"""Bus fixtures: the same tests run on the in-process bus and on the MQTT bus."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable

import pytest

from artguard.bus import Bus, MemoryBus
from artguard.bus.mqtt import MqttBus
from tests.bus.tcp_proxy import TcpProxy
from tests.services import require_mqtt


def new_site() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=["memory", pytest.param("mqtt", marks=pytest.mark.services)])
async def make_bus(request: pytest.FixtureRequest) -> AsyncIterator[Callable[[], Bus]]:
    """Builds unstarted buses of the parametrized kind; stops them all afterwards."""
    created: list[Bus] = []

    def factory() -> Bus:
        if request.param == "memory":
            bus: Bus = MemoryBus()
        else:
            host, port = require_mqtt()
            bus = MqttBus(host, port, new_site())
        created.append(bus)
        return bus

    yield factory
    for bus in created:
        await asyncio.wait_for(bus.stop(), 30)


@pytest.fixture
async def proxy() -> AsyncIterator[TcpProxy]:
    """A cuttable loopback proxy in front of the local Mosquitto."""
    host, port = require_mqtt()
    proxy = TcpProxy(host, port)
    await proxy.start()
    yield proxy
    await proxy.close()
