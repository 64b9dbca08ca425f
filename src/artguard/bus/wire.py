"""How an event travels on the MQTT bus: topic, canonical JSON, and who sent it.

Each message carries two MQTT v5 user properties, ``artguard-origin`` (a random id of the
publishing bus instance) and ``artguard-seq`` (its sequence number), so a bus can recognise its
own events when the broker hands them back. Other subscribers can ignore them.
"""

from __future__ import annotations

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from pydantic import ValidationError

from artguard.bus import topics
from artguard.bus.outbox import Outgoing
from artguard.events import EventBase, event_to_json, parse_event_json

ORIGIN_PROPERTY = "artguard-origin"
SEQ_PROPERTY = "artguard-seq"


class MalformedMessage(ValueError):
    """A message on a bus topic that is not a valid event for that topic."""


def encode(event: EventBase, site_id: str, origin: str, seq: int) -> Outgoing:
    properties = Properties(PacketTypes.PUBLISH)
    properties.UserProperty = [(ORIGIN_PROPERTY, origin), (SEQ_PROPERTY, str(seq))]
    return Outgoing(
        seq=seq,
        topic=topics.event_topic(site_id, event.kind, event.device_id),
        payload=event_to_json(event).encode(),
        properties=properties,
    )


def decode(message: aiomqtt.Message, site_id: str) -> EventBase:
    """The event in ``message``; ``MalformedMessage`` unless it is valid and fits its topic."""
    parts = topics.parse_topic(message.topic.value)
    if parts is None or parts.site_id != site_id:
        raise MalformedMessage(f"unexpected topic {message.topic.value!r}")
    if not isinstance(message.payload, bytes | str):
        raise MalformedMessage("empty or non-text payload")
    try:
        event = parse_event_json(message.payload)
    except ValidationError as exc:
        raise MalformedMessage(str(exc)) from None
    if (event.kind, event.device_id) != (parts.kind, parts.device_id):
        raise MalformedMessage(
            f"event is {event.kind}/{event.device_id} but the topic says "
            f"{parts.kind}/{parts.device_id}"
        )
    return event


def own_seq(message: aiomqtt.Message, origin: str) -> int | None:
    """The sequence number if ``origin`` (this bus) published ``message``, else None."""
    pairs = dict(getattr(message.properties, "UserProperty", None) or [])
    if pairs.get(ORIGIN_PROPERTY) != origin:
        return None
    try:
        return int(pairs.get(SEQ_PROPERTY, ""))
    except ValueError:
        return None
