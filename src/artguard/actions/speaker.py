"""The audible deterrent: a pre-recorded "please step back" on the gallery speaker.

When a virtual-barrier alert comes from a camera that has a ``speaker`` in the site file, a
play command goes to that speaker, over MQTT (``artguard/<site>/action/<speaker>``, QoS 1) or
as an HTTP POST to a configured URL. A prompt like this stops most touches on its own (Art
Sentry reports about 92 %), and it reaches the visitor seconds before a guard could.

A speaker plays at most once per ``cooldown_seconds`` (measured in the alerts' site time): a
crowd at a painting hears one prompt, not a loop. An alert older than ``max_age_seconds`` when
it arrives (one re-raised while re-analysing events after a restart) plays nothing: the
visitor is long gone. Every command sent, delivered or not, is written to the audit log.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlparse

import aiomqtt
import httpx

from artguard.bus import Bus
from artguard.bus.mqtt_client import connected
from artguard.bus.topics import ROOT, check_level
from artguard.config import Settings
from artguard.events import Alert, EventBase, new_id, utcnow
from artguard.site import Site
from artguard.store.audit import AuditLog

log = logging.getLogger(__name__)

MESSAGE = "step_back"
BARRIER_RULE = "virtual_barrier"
COOLDOWN_SECONDS = 20.0
"""Long enough for the recorded message (~5 s) to play and the visitor to react."""
MAX_AGE_SECONDS = 10.0
ACTOR = "action:deterrent_speaker"


def action_topic(site_id: str, speaker_id: str) -> str:
    """``artguard/<site>/action/<speaker>``: where a speaker (or its gateway) listens."""
    return f"{ROOT}/{site_id}/action/{check_level(speaker_id, 'speaker id')}"


class SpeakerTransport(Protocol):
    """Delivers one command to one speaker; raises when it cannot."""

    name: str

    async def send(self, speaker_id: str, command: dict[str, Any]) -> None: ...


class MqttSpeakerTransport:
    """Publishes commands with QoS 1; one short connection per command (prompts are rare)."""

    name = "mqtt"

    def __init__(self, host: str, port: int, site_id: str, timeout_s: float = 5.0) -> None:
        self._host, self._port, self._site_id = host, port, site_id
        self._timeout_s = timeout_s

    async def send(self, speaker_id: str, command: dict[str, Any]) -> None:
        client = aiomqtt.Client(
            self._host,
            self._port,
            identifier=f"artguard-speaker-{new_id()[:12]}",
            timeout=self._timeout_s,
        )
        async with connected(client):
            await client.publish(
                action_topic(self._site_id, speaker_id), json.dumps(command), qos=1
            )


class HttpSpeakerTransport:
    """POSTs the command as JSON; ``{speaker}`` in the URL is replaced by the speaker id."""

    name = "http"

    def __init__(self, url: str, timeout_s: float = 5.0) -> None:
        if urlparse(url).scheme not in {"http", "https"}:
            raise ValueError(f"speaker URL {url!r}: expected http:// or https://")
        self._url = url
        self._timeout_s = timeout_s

    async def send(self, speaker_id: str, command: dict[str, Any]) -> None:
        url = self._url.replace("{speaker}", speaker_id)
        async with httpx.AsyncClient(timeout=self._timeout_s) as client:
            response = await client.post(url, json=command)
            response.raise_for_status()


def speaker_transport(
    settings: Settings, site_id: str, http_url: str | None = None
) -> SpeakerTransport | None:
    """HTTP when ``http_url`` is given; else MQTT on the bus broker (``ARTGUARD_BUS_URL`` when
    it is MQTT) or the device broker (``ARTGUARD_MQTT_INGEST_URL``); None when there is none."""
    if http_url:
        return HttpSpeakerTransport(http_url)
    broker = settings.bus_url if settings.bus_url.startswith("mqtt://") else None
    if broker is None and settings.mqtt_ingest_url not in (None, "off"):
        broker = settings.mqtt_ingest_url
    if broker is None:
        return None
    parsed = urlparse(broker)
    return MqttSpeakerTransport(parsed.hostname or "127.0.0.1", parsed.port or 1883, site_id)


@dataclass
class SpeakerStats:
    sent: int = 0
    failed: int = 0
    cooling_down: int = 0
    stale: int = 0


class DeterrentSpeaker:
    """Plays the step-back message on the speaker of the camera that saw a barrier touch."""

    def __init__(
        self,
        site: Site,
        bus: Bus,
        audit: AuditLog,
        transport: SpeakerTransport,
        *,
        cooldown_seconds: float = COOLDOWN_SECONDS,
        max_age_seconds: float = MAX_AGE_SECONDS,
    ) -> None:
        self._bus = bus
        self._audit = audit
        self._transport = transport
        self._speakers = {c.id: c.speaker for c in site.cameras if c.speaker}
        self._cooldown = timedelta(seconds=cooldown_seconds)
        self._max_age = timedelta(seconds=max_age_seconds)
        self._last_played: dict[str, datetime] = {}
        self.stats = SpeakerStats()

    def attach(self) -> None:
        self._bus.subscribe("deterrent-speaker", self.handle, kinds={"alert"})

    async def handle(self, event: EventBase) -> None:
        if not isinstance(event, Alert) or event.rule != BARRIER_RULE:
            return
        speaker = self._speakers.get(event.device_id)
        if speaker is None:
            return
        if utcnow() - event.site_time > self._max_age:
            self.stats.stale += 1
            return
        last = self._last_played.get(speaker)
        if last is not None and timedelta(0) <= event.site_time - last < self._cooldown:
            self.stats.cooling_down += 1
            return
        self._last_played[speaker] = event.site_time
        await self._play(speaker, event)

    async def _play(self, speaker: str, alert: Alert) -> None:
        command: dict[str, Any] = {
            "speaker": speaker,
            "message": MESSAGE,
            "alert_id": alert.id,
            "artwork_id": alert.artwork_id,
            "camera_id": alert.device_id,
            "site_time": alert.site_time.isoformat(),
        }
        error = None
        try:
            await self._transport.send(speaker, command)
            self.stats.sent += 1
        except Exception as exc:  # a dead speaker must not stop the alerts behind it
            self.stats.failed += 1
            error = f"{type(exc).__name__}: {exc}"
            log.warning("speaker %s: could not send the step-back message: %s", speaker, error)
        details = {
            **command,
            "transport": self._transport.name,
            "delivered": error is None,
            "error": error,
        }
        await asyncio.to_thread(self._audit.append, ACTOR, "speaker.play", speaker, details)
