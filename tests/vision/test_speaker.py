"""The audible deterrent: play commands for barrier alerts, cool-down, audit, MQTT and HTTP."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from artguard.actions.speaker import (
    DeterrentSpeaker,
    HttpSpeakerTransport,
    MqttSpeakerTransport,
    action_topic,
    speaker_transport,
)
from artguard.bus import MemoryBus
from artguard.config import Settings
from artguard.events import Alert, Detection, Severity, TrackedObject, utcnow
from artguard.rules.engine import RuleEngine
from artguard.site import Site, load_site
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from artguard.vision.rules import vision_rules
from tests.services import require_mqtt
from tests.site.helpers import DEMO_SITE
from tests.vision.test_rule_barrier import REACH_BOX, REACHING


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[AuditLog]:
    engine = open_database(Settings(data_dir=tmp_path))
    yield AuditLog(engine)
    engine.dispose()


class Recorder:
    name = "test"

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.fail = fail

    async def send(self, speaker_id: str, command: dict[str, Any]) -> None:
        if self.fail:
            raise ConnectionError("speaker gateway unreachable")
        self.sent.append((speaker_id, command))


def touch(
    camera: str = "cam-g2", at: datetime | None = None, rule: str = "virtual_barrier"
) -> Alert:
    when = at or utcnow()
    return Alert(
        device_id=camera,
        site_time=when,
        rule=rule,
        severity=Severity.high,
        title="Too close to Ophelia",
        reasons=["left wrist inside the barrier"],
        dedup_key="virtual_barrier:aw-millais-ophelia",
        artwork_id="aw-millais-ophelia",
        room_id="gallery-2",
        first_event_time=when,
    )


def deterrent(site: Site, audit: AuditLog, transport: Any) -> DeterrentSpeaker:
    return DeterrentSpeaker(site, MemoryBus(), audit, transport)


async def test_a_barrier_alert_plays_the_step_back_message_and_is_audited(
    site: Site, audit: AuditLog
) -> None:
    recorder = Recorder()
    alert = touch()
    await deterrent(site, audit, recorder).handle(alert)
    assert recorder.sent == [
        (
            "spk-g2",
            {
                "speaker": "spk-g2",
                "message": "step_back",
                "alert_id": alert.id,
                "artwork_id": "aw-millais-ophelia",
                "camera_id": "cam-g2",
                "site_time": alert.site_time.isoformat(),
            },
        )
    ]
    [entry] = audit.entries(action="speaker.play")
    assert (entry.actor, entry.subject) == ("action:deterrent_speaker", "spk-g2")
    assert entry.details["delivered"] is True and entry.details["alert_id"] == alert.id


async def test_one_prompt_per_speaker_per_cooldown(site: Site, audit: AuditLog) -> None:
    recorder = Recorder()
    speaker = deterrent(site, audit, recorder)
    now = utcnow()
    for seconds in (-9, -5, -1):  # three touches in gallery 2 within 8 s: one prompt
        await speaker.handle(touch(at=now + timedelta(seconds=seconds)))
    await speaker.handle(touch("cam-g1", at=now))  # another room's speaker is independent
    assert [s for s, _ in recorder.sent] == ["spk-g2", "spk-g1"]
    assert speaker.stats.cooling_down == 2
    later = DeterrentSpeaker(site, MemoryBus(), audit, recorder, cooldown_seconds=3)
    for seconds in (-9, -7, -5):
        await later.handle(touch(at=now + timedelta(seconds=seconds)))
    assert later.stats.sent == 2  # -9 plays, -7 is within 3 s, -5 is 4 s after -9


async def test_no_prompt_without_a_speaker_for_other_rules_or_for_old_alerts(
    site: Site, audit: AuditLog
) -> None:
    recorder = Recorder()
    speaker = deterrent(site, audit, recorder)
    await speaker.handle(touch("cam-vault"))  # the vault camera has no speaker
    await speaker.handle(touch(rule="loitering"))
    await speaker.handle(touch(at=utcnow() - timedelta(minutes=2)))  # re-analysed after a crash
    assert recorder.sent == [] and speaker.stats.stale == 1
    assert audit.entries(action="speaker.play") == []


async def test_a_failed_command_is_audited_not_raised(site: Site, audit: AuditLog) -> None:
    speaker = deterrent(site, audit, Recorder(fail=True))
    await speaker.handle(touch())
    [entry] = audit.entries(action="speaker.play")
    assert entry.details["delivered"] is False
    assert entry.details["error"] == "ConnectionError: speaker gateway unreachable"
    assert speaker.stats.failed == 1


async def test_detections_through_the_rules_reach_the_speaker(site: Site, audit: AuditLog) -> None:
    bus = MemoryBus()
    recorder = Recorder()
    RuleEngine(bus, vision_rules(site)).attach()
    speaker = DeterrentSpeaker(site, bus, audit, recorder)
    speaker.attach()
    await bus.start()
    start = utcnow() - timedelta(seconds=2)
    try:
        for i in range(6):
            obj = TrackedObject(track_id=3, confidence=0.9, bbox=REACH_BOX, keypoints=REACHING)
            await bus.publish(
                Detection(
                    device_id="cam-g2", site_time=start + timedelta(seconds=0.2 * i), objects=[obj]
                )
            )
        await bus.drain()
    finally:
        await bus.stop()
    assert [(s, c["message"]) for s, c in recorder.sent] == [("spk-g2", "step_back")]


def test_the_transport_follows_the_settings(tmp_path: Path) -> None:
    memory = Settings(data_dir=tmp_path)
    assert speaker_transport(memory, "demo-museum") is None
    assert isinstance(
        speaker_transport(memory, "demo-museum", "http://gw.local/play/{speaker}"),
        HttpSpeakerTransport,
    )
    on_bus = Settings(data_dir=tmp_path, bus_url="mqtt://broker:1884")
    assert isinstance(speaker_transport(on_bus, "demo-museum"), MqttSpeakerTransport)
    devices = Settings(data_dir=tmp_path, mqtt_ingest_url="mqtt://devices:1883")
    assert isinstance(speaker_transport(devices, "demo-museum"), MqttSpeakerTransport)
    off = Settings(data_dir=tmp_path, mqtt_ingest_url="off")
    assert speaker_transport(off, "demo-museum") is None
    with pytest.raises(ValueError, match="expected http"):
        HttpSpeakerTransport("ftp://gw.local/")
    assert action_topic("demo-museum", "spk-g2") == "artguard/demo-museum/action/spk-g2"
    with pytest.raises(ValueError):
        action_topic("demo-museum", "spk/#")


@pytest.mark.services
async def test_the_command_goes_out_over_mqtt(site: Site, audit: AuditLog) -> None:
    host, port = require_mqtt()
    site_id = f"test-{uuid.uuid4().hex[:8]}"  # a topic of our own on the shared broker
    received: list[dict[str, Any]] = []
    async with aiomqtt.Client(host, port, identifier=f"listener-{site_id}") as listener:
        await listener.subscribe(f"artguard/{site_id}/action/#", qos=1)
        speaker = deterrent(site, audit, MqttSpeakerTransport(host, port, site_id))
        alert = touch()
        await speaker.handle(alert)

        async def first() -> None:
            async for message in listener.messages:
                assert str(message.topic) == f"artguard/{site_id}/action/spk-g2"
                received.append(json.loads(bytes(message.payload)))  # type: ignore[arg-type]
                return

        await asyncio.wait_for(first(), timeout=10)
    assert received[0]["speaker"] == "spk-g2" and received[0]["alert_id"] == alert.id
    assert audit.entries(action="speaker.play")[0].details["transport"] == "mqtt"


class _Gateway(BaseHTTPRequestHandler):
    bodies: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.bodies.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


async def test_the_command_can_go_out_over_http(site: Site, audit: AuditLog) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/speakers/{{speaker}}/play"
        await deterrent(site, audit, HttpSpeakerTransport(url)).handle(touch())
    finally:
        server.shutdown()
        server.server_close()
    [(path, body)] = _Gateway.bodies
    assert path == "/speakers/spk-g2/play" and body["message"] == "step_back"
