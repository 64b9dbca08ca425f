"""How an event travels on the MQTT bus: topic, canonical JSON, and who sent it.

Each message carries two MQTT v5 user properties, ``artguard-origin`` (a random id of the
publishing bus instance) and ``artguard-seq`` (its sequence number), so a bus can recognise its
own events when the broker hands them back. Other subscribers can ignore them.
"""

from __future__ import annotations

from pydantic import ValidationError

from artguard.bus import topics
from artguard.bus.mqtt_protocol import PROP_USER, Message, utf8, varint
from artguard.bus.outbox import Outgoing
from artguard.events import EventBase, parse_event_json

ORIGIN_PROPERTY = "artguard-origin"
SEQ_PROPERTY = "artguard-seq"


class MalformedMessage(ValueError):
    """A message on a bus topic that is not a valid event for that topic."""


class Encoder:
    """Builds the outgoing messages of one bus (site and origin fixed, so done once)."""

    def __init__(self, site_id: str, origin: str) -> None:
        self._site_id = site_id
        user = bytes((PROP_USER,))
        self._fixed = user + utf8(ORIGIN_PROPERTY) + utf8(origin) + user + utf8(SEQ_PROPERTY)
        self._topics: dict[tuple[str, str], str] = {}

    def encode(self, event: EventBase, seq: int) -> Outgoing:
        key = (event.kind, event.device_id)
        topic = self._topics.get(key)
        if topic is None:
            if len(self._topics) >= 10_000:
                self._topics.clear()
            topic = self._topics[key] = topics.event_topic(self._site_id, *key)
        number = str(seq).encode()
        size = len(self._fixed) + 2 + len(number)
        return Outgoing(
            seq=seq,
            topic=topic,
            payload=event.__pydantic_serializer__.to_json(event),  # = event_to_json, as bytes
            properties=b"".join(
                (varint(size), self._fixed, len(number).to_bytes(2, "big"), number)
            ),
        )


def encode(event: EventBase, site_id: str, origin: str, seq: int) -> Outgoing:
    return Encoder(site_id, origin).encode(event, seq)


def decode(message: Message, site_id: str) -> EventBase:
    """The event in ``message``; ``MalformedMessage`` unless it is valid and fits its topic."""
    parts = topics.parse_topic(message.topic)
    if parts is None or parts.site_id != site_id:
        raise MalformedMessage(f"unexpected topic {message.topic!r}")
    if not message.payload:
        raise MalformedMessage("empty payload")
    try:
        event = parse_event_json(message.payload)
    except ValidationError as exc:
        raise MalformedMessage(str(exc)) from None
    if event.kind != parts.kind or event.device_id != parts.device_id:
        raise MalformedMessage(
            f"event is {event.kind}/{event.device_id} but the topic says "
            f"{parts.kind}/{parts.device_id}"
        )
    return event


def own_seq(message: Message, origin: str) -> int | None:
    """The sequence number if ``origin`` (this bus) published ``message``, else None."""
    mine = False
    seq: int | None = None
    for key, value in message.user_properties:
        if key == ORIGIN_PROPERTY:
            mine = value == origin
        elif key == SEQ_PROPERTY:
            try:
                seq = int(value)
            except ValueError:
                seq = None
    return seq if mine else None
