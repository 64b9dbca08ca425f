"""The MQTT topic scheme, in one place (see ``docs/bus.md``).

- ``artguard/<site>/<kind>/<device>``: typed events on the internal bus (canonical JSON).
- ``artguard/<site>/ingest/<device>``: what devices send to be ingested.
- ``artguard/<site>/ingest-result/<device>``: artguard's answer to each ingest message.

Every level is an id matching :data:`artguard.events.ID_PATTERN`, so none can contain the MQTT
separators or wildcards (``/``, ``+``, ``#``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from artguard.events import EVENT_TYPES, ID_PATTERN

ROOT = "artguard"
INGEST = "ingest"
INGEST_RESULT = "ingest-result"

_ID = re.compile(ID_PATTERN)

if {INGEST, INGEST_RESULT} & EVENT_TYPES.keys():  # pragma: no cover - guards future kinds
    raise RuntimeError("an event kind collides with a reserved ingest topic level")


@dataclass(frozen=True)
class TopicParts:
    site_id: str
    kind: str
    device_id: str


def check_level(value: str, what: str) -> str:
    """``value`` if it is safe as one topic level, else ``ValueError``."""
    if not _ID.match(value):
        raise ValueError(f"{what} {value!r} is not a valid id (letters, digits, _ . : @ -)")
    return value


def event_topic(site_id: str, kind: str, device_id: str) -> str:
    return f"{ROOT}/{site_id}/{kind}/{device_id}"


def kind_filter(site_id: str, kind: str) -> str:
    """Subscription filter for every device's events of one kind."""
    return f"{ROOT}/{site_id}/{kind}/+"


def ingest_filter(site_id: str) -> str:
    return f"{ROOT}/{site_id}/{INGEST}/+"


def ingest_result_topic(site_id: str, device_id: str) -> str:
    return f"{ROOT}/{site_id}/{INGEST_RESULT}/{device_id}"


@functools.lru_cache(maxsize=4096)
def parse_topic(topic: str) -> TopicParts | None:
    """The parts of ``artguard/<site>/<kind>/<device>``, or None for any other shape.

    Cached: a site has a bounded set of topics and the MQTT bus parses one per message.
    """
    levels = topic.split("/")
    if len(levels) != 4 or levels[0] != ROOT or not all(levels[1:]):
        return None
    return TopicParts(site_id=levels[1], kind=levels[2], device_id=levels[3])
