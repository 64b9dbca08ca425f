"""Frigate's MQTT events as detections: parsing, mapping, stationary repeats, configuration, and
end to end through Mosquitto into a running artguard."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from artguard.config import ConfigError, Settings
from artguard.events import Detection, parse_event
from artguard.ingest.frigate import (
    FrigateBridge,
    FrigateEvent,
    FrigateMapper,
    FrigateMessageError,
    StationaryHold,
    TrackIds,
    frigate_bridge_from_env,
    parse_camera_map,
    parse_frigate_event,
)
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.store.events import load_events
from tests.bus.helpers import wait_until
from tests.services import require_mqtt

T = 1_795_399_200.0  # 2026-11-23 02:00:00 UTC


def frigate_message(
    kind: str = "update",
    *,
    object_id: str = "1795399195.475377-mxklsc",
    camera: str = "gallery",
    label: str = "person",
    frame_time: float = T,
    box: list[float] | None = None,
    stationary: bool = False,
) -> dict[str, Any]:
    """A message in the shape Frigate documents for ``frigate/events``."""
    after = {
        "id": object_id,
        "camera": camera,
        "frame_time": frame_time,
        "snapshot_time": frame_time - 0.3,
        "label": label,
        "sub_label": None,
        "top_score": 0.958984375,
        "false_positive": False,
        "start_time": 1_795_399_195.475377,
        "end_time": frame_time if kind == "end" else None,
        "score": 0.87890625,
        "box": box or [432, 296, 544, 654],
        "area": 40096,
        "ratio": 0.31,
        "region": [218, 240, 693, 715],
        "current_zones": ["gallery_floor"],
        "entered_zones": ["gallery_floor"],
        "thumbnail": None,
        "has_snapshot": False,
        "has_clip": False,
        "active": not stationary,
        "stationary": stationary,
        "motionless_count": 0,
        "position_changes": 2,
        "attributes": {},
        "current_attributes": [],
    }
    before = {**copy.deepcopy(after), "frame_time": frame_time - 1.0, "score": 0.7890625}
    return {"type": kind, "before": before, "after": after}


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message).encode()


@pytest.fixture
def mapper(small_site: Site) -> FrigateMapper:
    return FrigateMapper(small_site, {"gallery": "cam-1"})


# ---------------------------------------------------------------------------------------------
# parsing and mapping


@pytest.mark.parametrize("kind", ["new", "update", "end"])
def test_documented_messages_parse(kind: str) -> None:
    event = parse_frigate_event(encode(frigate_message(kind)))
    assert event.type == kind
    assert event.after.camera == "gallery" and event.after.label == "person"
    assert event.after.box == (432.0, 296.0, 544.0, 654.0)
    assert event.after.score == 0.87890625 and event.after.frame_time == T


def test_top_score_stands_in_for_a_missing_score() -> None:
    message = frigate_message()
    del message["after"]["score"]
    assert parse_frigate_event(encode(message)).after.score == 0.958984375


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (encode({**frigate_message(), "type": "deleted"}), "'type' must be new, update or end"),
        (encode({"type": "new", "before": {}}), "'after' must be an object"),
        (encode({"type": "new", "after": {"camera": "gallery"}}), "'after.id'"),
        (encode(frigate_message(box=[1, 2, 3])), "'after.box' must be"),
        (encode(frigate_message(box=[50, 50, 10, 90])), "not ordered"),
        (encode(frigate_message(frame_time=True)), "'after.frame_time'"),  # type: ignore[arg-type]
    ],
)
def test_malformed_messages_say_what_is_wrong(payload: bytes, reason: str) -> None:
    with pytest.raises(FrigateMessageError, match=reason):
        parse_frigate_event(payload)


def test_a_score_outside_zero_to_one_is_malformed() -> None:
    message = frigate_message()
    message["after"]["score"] = 87.9
    with pytest.raises(FrigateMessageError, match="score"):
        parse_frigate_event(encode(message))


def test_a_person_update_becomes_one_detection_of_the_mapped_camera(mapper: FrigateMapper):
    outcome, item = mapper.map(parse_frigate_event(encode(frigate_message("new"))))
    assert outcome == "detection" and item is not None
    event = parse_event({**item, "received_time": datetime.now(UTC)})
    assert isinstance(event, Detection)
    assert event.device_id == "cam-1"
    assert event.site_time == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    (obj,) = event.objects
    assert obj.class_name == "person" and obj.confidence == 0.87890625
    assert obj.bbox == (432.0, 296.0, 544.0, 654.0)
    assert obj.track_id is not None


def test_ids_make_redelivery_idempotent_and_tracks_stable(mapper: FrigateMapper) -> None:
    first = mapper.map(parse_frigate_event(encode(frigate_message("new"))))[1]
    again = mapper.map(parse_frigate_event(encode(frigate_message("new"))))[1]
    later = mapper.map(parse_frigate_event(encode(frigate_message(frame_time=T + 2))))[1]
    other = mapper.map(parse_frigate_event(encode(frigate_message(object_id="9.1-other"))))[1]
    assert first is not None and again is not None and later is not None and other is not None
    assert first["id"] == again["id"] != later["id"]
    track = first["objects"][0]["track_id"]
    assert later["objects"][0]["track_id"] == track != other["objects"][0]["track_id"]
    # A new bridge (after a restart) gives the same object the same track id.
    assert TrackIds().get("gallery", "1795399195.475377-mxklsc") == track


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        (frigate_message(label="car"), "other_label"),
        (
            {**frigate_message(), "after": {**frigate_message()["after"], "false_positive": True}},
            "false_positive",
        ),
        (frigate_message(camera="garage"), "unknown_camera"),
    ],
)
def test_other_labels_false_positives_and_unknown_cameras_are_not_ingested(
    mapper: FrigateMapper, message: dict[str, Any], outcome: str
) -> None:
    assert mapper.map(parse_frigate_event(encode(message))) == (outcome, None)


def test_unmapped_frigate_cameras_keep_their_name(small_site: Site) -> None:
    outcome, item = FrigateMapper(small_site).map(
        parse_frigate_event(encode(frigate_message(camera="cam-1")))
    )
    assert outcome == "detection" and item is not None and item["device_id"] == "cam-1"


def test_labels_are_configurable(small_site: Site) -> None:
    mapper = FrigateMapper(small_site, {"gallery": "cam-1"}, labels=["person", "car"])
    outcome, item = mapper.map(parse_frigate_event(encode(frigate_message(label="car"))))
    assert outcome == "detection" and item is not None
    assert item["objects"][0]["class_name"] == "car"


def test_camera_map_must_name_site_cameras(small_site: Site) -> None:
    with pytest.raises(ValueError, match="names no camera"):
        FrigateMapper(small_site, {"gallery": "pir-gallery"})


def test_track_ids_per_camera_clash_to_the_next_free_number() -> None:
    ids = TrackIds(space=3)
    numbers = {ids.get("a", f"object-{i}") for i in range(3)}
    assert numbers == {0, 1, 2}
    assert ids.get("a", "object-1") in numbers  # stable while it lives
    ids.release("a", "object-1")
    assert ids.get("a", "object-9") in numbers  # its number is free again
    assert TrackIds(space=3, remember=2).get("b", "x") in {0, 1, 2}


# ---------------------------------------------------------------------------------------------
# stationary repeats


def held_item(mapper: FrigateMapper, event: FrigateEvent) -> dict[str, Any]:
    item = mapper.map(event)[1]
    assert item is not None
    return item


def test_a_stationary_person_is_repeated_until_frigate_speaks_again(mapper: FrigateMapper):
    hold = StationaryHold(interval_s=1.0, max_s=70.0)
    still = parse_frigate_event(encode(frigate_message(stationary=True)))
    hold.update(still, held_item(mapper, still), now=100.0)
    assert hold.due(100.5) == []
    (repeat,) = hold.due(101.0)
    event = parse_event({**repeat, "received_time": datetime.now(UTC)})
    assert event.site_time.timestamp() == pytest.approx(T + 1.0)
    assert [e["site_time"] for e in hold.due(102.0)] != [repeat["site_time"]]
    # Frigate says the person moves again: no more repeats (their box is not known).
    moving = parse_frigate_event(encode(frigate_message(frame_time=T + 3)))
    hold.update(moving, held_item(mapper, moving), now=103.0)
    assert hold.due(110.0) == [] and len(hold) == 0


def test_repeats_stop_at_the_end_and_after_frigate_falls_silent(mapper: FrigateMapper) -> None:
    hold = StationaryHold(interval_s=1.0, max_s=70.0)
    still = parse_frigate_event(encode(frigate_message(stationary=True)))
    hold.update(still, held_item(mapper, still), now=0.0)
    assert len(hold.due(69.0)) == 1
    assert hold.due(71.0) == [] and len(hold) == 0
    hold.update(still, held_item(mapper, still), now=0.0)
    end = parse_frigate_event(encode(frigate_message("end", stationary=True, frame_time=T + 5)))
    hold.update(end, held_item(mapper, end), now=5.0)
    assert hold.due(6.0) == []


# ---------------------------------------------------------------------------------------------
# configuration


def test_camera_map_parsing() -> None:
    assert parse_camera_map("") == {}
    assert parse_camera_map("gallery:cam-1, hall : cam-2,") == {"gallery": "cam-1", "hall": "cam-2"}
    with pytest.raises(ValueError, match="not frigate_name:site_camera"):
        parse_camera_map("gallery")
    with pytest.raises(ValueError, match="mapped twice"):
        parse_camera_map("a:cam-1,a:cam-2")


def test_bridge_from_environment(small_site: Site, settings: Settings) -> None:
    assert frigate_bridge_from_env(settings, small_site, ingest=None, env={}) is None  # type: ignore[arg-type]
    off = {"ARTGUARD_FRIGATE_URL": "off"}
    assert frigate_bridge_from_env(settings, small_site, None, env=off) is None  # type: ignore[arg-type]
    env = {
        "ARTGUARD_FRIGATE_URL": "mqtt://frigate:s%40cret@broker.local:1884",
        "ARTGUARD_FRIGATE_CAMERAS": "gallery:cam-1",
        "ARTGUARD_FRIGATE_TOPIC": "nvr/events",
        "ARTGUARD_FRIGATE_LABELS": "person, dog",
    }
    bridge = frigate_bridge_from_env(settings, small_site, None, env=env)  # type: ignore[arg-type]
    assert bridge is not None
    assert (bridge.host, bridge.port, bridge.username) == ("broker.local", 1884, "frigate")
    assert bridge.topic == "nvr/events"
    assert bridge.mapper.camera_map == {"gallery": "cam-1"}
    assert bridge.mapper.labels == {"person", "dog"}


def test_bridge_on_the_ingestion_broker(small_site: Site, settings: Settings) -> None:
    env = {"ARTGUARD_FRIGATE_URL": "ingest"}
    with pytest.raises(ConfigError, match="MQTT ingestion is off"):
        frigate_bridge_from_env(settings, small_site, None, env=env)  # type: ignore[arg-type]
    with_broker = Settings(data_dir=settings.data_dir, mqtt_ingest_url="mqtt://10.0.0.5:1883")
    bridge = frigate_bridge_from_env(with_broker, small_site, None, env=env)  # type: ignore[arg-type]
    assert bridge is not None and (bridge.host, bridge.port) == ("10.0.0.5", 1883)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ARTGUARD_FRIGATE_URL": "http://broker"}, "ARTGUARD_FRIGATE_URL"),
        ({"ARTGUARD_FRIGATE_URL": "mqtt://b", "ARTGUARD_FRIGATE_CAMERAS": "x"}, "CAMERAS"),
        ({"ARTGUARD_FRIGATE_URL": "mqtt://b", "ARTGUARD_FRIGATE_CAMERAS": "x:d-vault"}, "CAMERAS"),
    ],
)
def test_bad_configuration_names_the_variable(
    small_site: Site, settings: Settings, env: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        frigate_bridge_from_env(settings, small_site, None, env=env)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# end to end: Mosquitto -> bridge -> ingestion service -> store


@pytest.fixture
def topic() -> str:
    return f"test-{uuid.uuid4().hex[:12]}/frigate/events"


@pytest.fixture
async def frigate(topic: str) -> AsyncIterator[aiomqtt.Client]:
    """Stands in for Frigate: a client publishing on the events topic."""
    host, port = require_mqtt()
    async with aiomqtt.Client(host, port) as client:
        yield client


async def start_bridge(runtime: Runtime, topic: str, **options: Any) -> FrigateBridge:
    host, port = require_mqtt()
    bridge = FrigateBridge(
        host,
        port,
        runtime.site,
        runtime.ingest,
        {"gallery": "cam-1"},
        topic=topic,
        client_id=f"test-{uuid.uuid4().hex[:12]}",
        **options,
    )
    await bridge.start()
    await bridge.wait_ready()
    return bridge


def stored_detections(runtime: Runtime) -> list[Detection]:
    with runtime.engine.connect() as conn:
        stored = [event for _, event in load_events(conn, kinds=["detection"])]
    assert all(isinstance(event, Detection) for event in stored)
    return stored  # type: ignore[return-value]


@pytest.mark.services
async def test_frigate_events_are_stored_as_detections(
    runtime: Runtime, frigate: aiomqtt.Client, topic: str, caplog: pytest.LogCaptureFixture
) -> None:
    bridge = await start_bridge(runtime, topic, hold_interval_s=None)
    caplog.set_level(logging.WARNING, "artguard.ingest.frigate")
    sent = [
        frigate_message("new", frame_time=T),
        frigate_message("update", frame_time=T + 1.5, box=[440, 300, 550, 660]),
        frigate_message("update", frame_time=T + 1.5, box=[440, 300, 550, 660]),  # redelivered
        frigate_message("update", label="car", object_id="9.9-car"),
        frigate_message("update", camera="garage", object_id="9.9-garage"),
        frigate_message("update", camera="garage", object_id="9.9-garage", frame_time=T + 1),
        frigate_message("end", frame_time=T + 4),
    ]
    for message in sent[:3]:
        await frigate.publish(topic, encode(message), qos=1)
    await frigate.publish(topic, b"not json at all", qos=1)
    for message in sent[3:]:
        await frigate.publish(topic, encode(message), qos=1)

    def handled() -> int:  # a message is counted on arrival, its outcome after ingestion
        s = bridge.stats()
        return s.detections + s.malformed + s.other_labels + s.unknown_camera + s.errors

    await wait_until(lambda: handled() == len(sent) + 1, what="all messages handled")
    await bridge.stop()
    stored = stored_detections(runtime)
    assert [d.site_time.timestamp() for d in stored] == [T, T + 1.5, T + 4]
    assert {d.device_id for d in stored} == {"cam-1"}
    assert len({d.objects[0].track_id for d in stored}) == 1
    assert stored[1].objects[0].bbox == (440.0, 300.0, 550.0, 660.0)
    stats = bridge.stats()
    assert (stats.detections, stats.malformed, stats.other_labels) == (4, 1, 1)
    assert (stats.unknown_camera, stats.unknown_cameras, stats.errors) == (2, ["garage"], 0)
    assert runtime.ingest.counters.duplicates == 1
    warnings = [r.getMessage() for r in caplog.records]
    assert sum("'garage'" in w for w in warnings) == 1  # reported once
    assert any("malformed" in w and "not JSON" in w for w in warnings)


@pytest.mark.services
async def test_a_stationary_person_keeps_being_seen_until_the_end(
    runtime: Runtime, frigate: aiomqtt.Client, topic: str
) -> None:
    bridge = await start_bridge(runtime, topic, hold_interval_s=0.1)
    await frigate.publish(topic, encode(frigate_message("new", frame_time=T)), qos=1)
    still = frigate_message("update", frame_time=T + 1, stationary=True)
    await frigate.publish(topic, encode(still), qos=1)
    await wait_until(lambda: bridge.stats().held >= 3, what="repeats of the stationary person")
    await frigate.publish(topic, encode(frigate_message("end", frame_time=T + 60)), qos=1)
    await wait_until(lambda: bridge.stats().detections == 3, what="the end message")
    await asyncio.sleep(0.3)  # a repeat that was on its way when the end came
    after_end = len(stored_detections(runtime))
    await asyncio.sleep(0.5)
    stored = stored_detections(runtime)
    await bridge.stop()
    assert len(stored) == after_end  # no repeats once Frigate said the person is gone
    times = sorted(d.site_time.timestamp() for d in stored)
    assert times[:2] == [T, T + 1] and times[-1] == T + 60
    repeats = [d for d in stored if T + 1 < d.site_time.timestamp() < T + 60]
    assert len(repeats) == len(stored) - 3 >= 3
    assert all(d.objects[0].bbox == repeats[0].objects[0].bbox for d in repeats)
    assert len({d.objects[0].track_id for d in stored}) == 1


def test_runtime_takes_the_frigate_setting_from_its_settings_not_the_process(
    tmp_path: Path, small_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTGUARD_FRIGATE_URL", "mqtt://127.0.0.1:1883")
    in_code = Runtime(Settings(data_dir=tmp_path / "a"), small_site, live_clock=False)
    assert in_code.frigate is None  # settings built in code ignore the process environment
    in_code.engine.dispose()
    from_env = Settings.from_env(
        {"ARTGUARD_DATA_DIR": str(tmp_path / "b"), "ARTGUARD_FRIGATE_URL": "mqtt://127.0.0.1:1883"}
    )
    configured = Runtime(from_env, small_site, live_clock=False)
    assert configured.frigate is not None
    configured.engine.dispose()
