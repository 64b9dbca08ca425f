"""Short MQTT connections for actions: which broker, publish one message, wait for a reply.

Actions are rare (a notification, a door command), so each opens its own short connection
with the project's cancel-safe :func:`artguard.bus.mqtt_client.connected`, like the deterrent
speaker: nothing to keep alive between incidents, and a dead broker costs one failed action,
not a stuck component.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import aiomqtt

from artguard.bus.mqtt_client import connected, subscribe_qos1
from artguard.config import Settings
from artguard.events import new_id


@dataclass(frozen=True)
class Broker:
    host: str
    port: int

    @classmethod
    def parse(cls, url: str) -> Broker:
        parsed = urlparse(url)
        if parsed.scheme != "mqtt" or not parsed.hostname:
            raise ValueError(f"broker {url!r}: expected mqtt://host[:port]")
        return cls(parsed.hostname, parsed.port or 1883)

    def client(self, purpose: str, timeout_s: float = 5.0) -> aiomqtt.Client:
        return aiomqtt.Client(
            self.host,
            self.port,
            identifier=f"artguard-{purpose}-{new_id()[:12]}",
            timeout=timeout_s,
        )


def default_broker(settings: Settings) -> Broker | None:
    """The bus broker (``ARTGUARD_BUS_URL`` when MQTT), else the device broker
    (``ARTGUARD_MQTT_INGEST_URL``); None when artguard talks to no broker."""
    url = settings.bus_url if settings.bus_url.startswith("mqtt://") else None
    if url is None and settings.mqtt_ingest_url not in (None, "off"):
        url = settings.mqtt_ingest_url
    return Broker.parse(url) if url else None


async def publish(broker: Broker, topic: str, payload: dict[str, Any], timeout_s: float) -> None:
    """Publish ``payload`` as JSON with QoS 1 (returns once the broker acknowledged it)."""
    async with connected(broker.client("publish", timeout_s)) as client:
        await client.publish(topic, json.dumps(payload), qos=1, timeout=timeout_s)


async def request(
    broker: Broker,
    topic: str,
    payload: dict[str, Any],
    reply_topic: str,
    is_reply: Callable[[dict[str, Any]], bool],
    timeout_s: float,
) -> dict[str, Any] | None:
    """Subscribe to ``reply_topic``, publish ``payload``, and return the first JSON reply for
    which ``is_reply`` holds; None when none came within ``timeout_s``."""
    async with connected(broker.client("command", timeout_s)) as client:
        await subscribe_qos1(client, [reply_topic])
        await client.publish(topic, json.dumps(payload), qos=1, timeout=timeout_s)
        try:
            async with asyncio.timeout(timeout_s):
                async for message in client.messages:
                    reply = _json(message.payload)
                    if reply is not None and is_reply(reply):
                        return reply
        except TimeoutError:
            return None
    return None


def _json(payload: object) -> dict[str, Any] | None:
    try:
        data = json.loads(payload if isinstance(payload, str | bytes | bytearray) else b"")
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None
