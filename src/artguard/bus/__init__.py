"""Event bus: in-process by default, MQTT at scale; one interface."""

from __future__ import annotations

from urllib.parse import urlparse

from artguard.bus.base import Bus, BusStats, Handler
from artguard.bus.memory import MemoryBus

__all__ = ["Bus", "BusStats", "Handler", "MemoryBus", "create_bus"]


def create_bus(bus_url: str, site_id: str) -> Bus:
    """The bus named by ``ARTGUARD_BUS_URL``: ``memory://`` or ``mqtt://host[:port]``."""
    parsed = urlparse(bus_url)
    if parsed.scheme == "memory":
        return MemoryBus()
    if parsed.scheme == "mqtt":
        from artguard.bus.mqtt import MqttBus

        return MqttBus(
            host=parsed.hostname or "127.0.0.1", port=parsed.port or 1883, site_id=site_id
        )
    raise ValueError(f"unknown bus URL {bus_url!r}: expected memory:// or mqtt://host[:port]")
