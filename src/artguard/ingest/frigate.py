"""Frigate interoperability: an existing Frigate NVR's tracked objects as artguard detections.

Frigate publishes on ``frigate/events`` (its ``topic_prefix`` + ``/events``) one JSON message
per change of a tracked object: ``{"type": "new" | "update" | "end", "before": {...}, "after":
{...}}``, ``after`` holding the object's ``id``, ``camera``, ``label``, ``score``/``top_score``,
``box`` (x1, y1, x2, y2 in Frigate's detect resolution), ``frame_time`` (epoch seconds),
``stationary``, ``false_positive``, zones, ... (docs.frigate.video/integrations/mqtt).

:class:`FrigateBridge` subscribes to that topic and turns each message about a wanted label
(``person`` by default) into one ``detection`` event with one tracked object, submitted through
the ingestion service like any device event, so artguard's rules, fusion and dashboard work
on top of Frigate:

* Frigate camera names map to site camera ids (``camera_map``; unmapped names are used as they
  are). Messages from a camera the site does not know are dropped and reported once per camera.
* Frigate object ids become small integer track ids, stable per camera: a hash of the id (the
  same after a restart), moved to the next free number on the rare clash.
* The event id is derived from the Frigate id and ``frame_time``, so a redelivered message is
  stored once.
* Frigate publishes a tracked object only when something about it changes (a better snapshot,
  at most every 5 s; a zone or stationary change) and at least once a minute. A person standing
  still would therefore drop out of the rules' dwell clocks between messages; while Frigate
  reports an object as ``stationary`` (its box is not moving) the bridge repeats its last box
  every ``hold_interval_s`` until Frigate's next message about it, for at most ``HOLD_MAX_S``.
  Moving objects are only reported when Frigate reports them: the bridge never guesses where
  someone went.
* A malformed message is counted and logged with the reason, and acknowledged (a resend would
  be just as malformed); it never stops the bridge. A message whose events could not be stored
  is not acknowledged, and the bridge reconnects (with backoff) to have it delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import math
import os
import time
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol
from urllib.parse import unquote, urlparse

import aiomqtt

from artguard.bus import topics
from artguard.bus.mqtt_client import (
    LinkState,
    ack,
    cancel_and_wait,
    keep_connected,
    new_client,
    subscribe_qos1,
)
from artguard.config import ConfigError, Settings
from artguard.ingest.service import IngestResult
from artguard.site import Site

log = logging.getLogger(__name__)

DEFAULT_TOPIC = "frigate/events"
DEFAULT_LABELS = frozenset({"person"})
SOURCE = "frigate"
HOLD_INTERVAL_S = 1.0
HOLD_MAX_S = 70.0
"""Frigate publishes every tracked object at least once a minute; past this, it is gone."""
SESSION_EXPIRY_S = 86_400
TRACK_ID_SPACE = 1_000_000
MAX_TRACKED = 10_000
"""Objects remembered at once (an object whose ``end`` message was lost is forgotten last)."""

EventType = Literal["new", "update", "end"]
Box = tuple[float, float, float, float]


class Ingest(Protocol):
    async def submit(
        self, items: list[Any], *, token: str | None, source: str, trusted: bool = False
    ) -> IngestResult: ...


class FrigateMessageError(ValueError):
    """A message on the events topic that is not a Frigate event; the text says why."""


@dataclass(frozen=True)
class FrigateObject:
    """What artguard reads of a Frigate event's ``after`` object."""

    id: str
    camera: str
    label: str
    score: float
    box: Box
    frame_time: float
    stationary: bool = False
    false_positive: bool = False


@dataclass(frozen=True)
class FrigateEvent:
    type: EventType
    after: FrigateObject


def parse_frigate_event(payload: bytes) -> FrigateEvent:
    """The type and ``after`` object of one ``frigate/events`` message, or
    :class:`FrigateMessageError` saying what is wrong with it."""
    try:
        data = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FrigateMessageError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FrigateMessageError("expected a JSON object with 'type' and 'after'")
    kind = data.get("type")
    if kind not in ("new", "update", "end"):
        raise FrigateMessageError(f"'type' must be new, update or end, got {kind!r}")
    after = data.get("after")
    if not isinstance(after, dict):
        raise FrigateMessageError("'after' must be an object")
    return FrigateEvent(kind, _frigate_object(after))


def _frigate_object(after: dict[str, Any]) -> FrigateObject:
    for key in ("id", "camera", "label"):
        if not isinstance(after.get(key), str) or not after[key]:
            raise FrigateMessageError(f"'after.{key}' must be a non-empty string")
    score = after.get("score", after.get("top_score"))
    if not _number(score) or not 0.0 <= score <= 1.0:
        raise FrigateMessageError(f"'after.score' must be a number in [0, 1], got {score!r}")
    box = after.get("box")
    if not isinstance(box, list) or len(box) != 4 or not all(_number(v) for v in box):
        raise FrigateMessageError(f"'after.box' must be [x1, y1, x2, y2], got {box!r}")
    if box[2] < box[0] or box[3] < box[1]:
        raise FrigateMessageError(f"'after.box' corners are not ordered: {box!r}")
    frame_time = after.get("frame_time")
    if not _number(frame_time) or frame_time <= 0:
        raise FrigateMessageError(f"'after.frame_time' must be epoch seconds, got {frame_time!r}")
    return FrigateObject(
        id=after["id"],
        camera=after["camera"],
        label=after["label"],
        score=float(score),
        box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
        frame_time=float(frame_time),
        stationary=after.get("stationary") is True,
        false_positive=after.get("false_positive") is True,
    )


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


class TrackIds:
    """Frigate object ids -> integer track ids, per camera, stable while the object lives and
    across restarts of the bridge (the number is a hash of the id; a clash with another live
    object of the same camera takes the next free number)."""

    def __init__(self, space: int = TRACK_ID_SPACE, remember: int = MAX_TRACKED) -> None:
        self._space = space
        self._remember = remember
        self._ids: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._used: dict[str, set[int]] = {}

    def get(self, camera: str, object_id: str) -> int:
        key = (camera, object_id)
        if key in self._ids:
            self._ids.move_to_end(key)
            return self._ids[key]
        used = self._used.setdefault(camera, set())
        digest = hashlib.sha256(f"{camera}/{object_id}".encode()).digest()
        number = int.from_bytes(digest[:8], "big") % self._space
        while number in used:
            number = (number + 1) % self._space
        used.add(number)
        self._ids[key] = number
        if len(self._ids) > self._remember:
            (old_camera, old_id), _ = next(iter(self._ids.items()))
            self.release(old_camera, old_id)
        return number

    def release(self, camera: str, object_id: str) -> None:
        number = self._ids.pop((camera, object_id), None)
        if number is not None:
            self._used[camera].discard(number)


Outcome = Literal["detection", "other_label", "false_positive", "unknown_camera"]


class FrigateMapper:
    """Frigate events -> ``detection`` items for :meth:`IngestService.submit`."""

    def __init__(
        self,
        site: Site,
        camera_map: Mapping[str, str] | None = None,
        labels: Iterable[str] = DEFAULT_LABELS,
    ) -> None:
        self.camera_map = dict(camera_map or {})
        not_cameras = sorted(
            {v for v in self.camera_map.values() if site.device_kind(v) != "camera"}
        )
        if not_cameras:
            raise ValueError(f"camera_map names no camera of site {site.id!r}: {not_cameras}")
        self._site = site
        self.labels = frozenset(labels)
        self.tracks = TrackIds()

    def camera_id(self, frigate_camera: str) -> str | None:
        """The site camera a Frigate camera is, or None when the site has no such camera."""
        camera = self.camera_map.get(frigate_camera, frigate_camera)
        return camera if self._site.device_kind(camera) == "camera" else None

    def map(self, event: FrigateEvent) -> tuple[Outcome, dict[str, Any] | None]:
        obj = event.after
        if obj.label not in self.labels:
            return "other_label", None
        if obj.false_positive:
            return "false_positive", None
        camera = self.camera_id(obj.camera)
        if camera is None:
            return "unknown_camera", None
        track = self.tracks.get(obj.camera, obj.id)
        if event.type == "end":
            self.tracks.release(obj.camera, obj.id)
        return "detection", detection_item(obj, camera, track, obj.frame_time)


def detection_item(obj: FrigateObject, camera: str, track: int, at: float) -> dict[str, Any]:
    """One ``detection`` event with ``obj`` seen at ``at`` (epoch seconds); its id is derived
    from the Frigate id and the time, so the same observation always gets the same id."""
    digest = hashlib.sha256(f"{obj.camera}/{obj.id}/{at!r}".encode()).hexdigest()[:32]
    return {
        "id": f"frigate-{digest}",
        "kind": "detection",
        "device_id": camera,
        "site_time": datetime.fromtimestamp(at, UTC).isoformat(),
        "objects": [
            {
                "track_id": track,
                "class_name": obj.label,
                "confidence": obj.score,
                "bbox": list(obj.box),
            }
        ],
    }


@dataclass
class _Held:
    obj: FrigateObject
    camera: str
    track: int
    received: float
    """``time.monotonic()`` when Frigate's message came."""
    sent: float


class StationaryHold:
    """The last box of each object Frigate calls stationary, repeated until Frigate's next
    message about it (at most ``max_s`` after the last one); see the module docstring."""

    def __init__(self, interval_s: float = HOLD_INTERVAL_S, max_s: float = HOLD_MAX_S) -> None:
        self.interval_s = interval_s
        self.max_s = max_s
        self._held: dict[tuple[str, str], _Held] = {}

    def update(self, event: FrigateEvent, item: dict[str, Any], now: float) -> None:
        """Follow Frigate's latest message (``item``: what it was mapped to)."""
        obj = event.after
        key = (obj.camera, obj.id)
        if event.type == "end" or not obj.stationary:
            self._held.pop(key, None)
            return
        track = item["objects"][0]["track_id"]
        self._held[key] = _Held(obj, item["device_id"], track, received=now, sent=now)

    def due(self, now: float) -> list[dict[str, Any]]:
        """Repeats due at ``now`` (monotonic seconds); objects not heard of for ``max_s`` are
        dropped."""
        items = []
        for key, held in list(self._held.items()):
            if now - held.received > self.max_s:
                del self._held[key]
            elif now - held.sent >= self.interval_s:
                held.sent = now
                at = held.obj.frame_time + round(now - held.received, 3)
                items.append(detection_item(held.obj, held.camera, held.track, at))
        return items

    def clear(self) -> None:
        self._held.clear()

    def __len__(self) -> int:
        return len(self._held)


@dataclass
class FrigateBridgeStats:
    connected: bool = False
    connects: int = 0
    connection_failures: int = 0
    last_error: str | None = None
    messages: int = 0
    detections: int = 0
    """Detection events submitted from Frigate's messages (repeats not included)."""
    held: int = 0
    """Repeats of stationary objects submitted."""
    other_labels: int = 0
    false_positives: int = 0
    unknown_camera: int = 0
    malformed: int = 0
    rejected: int = 0
    errors: int = 0
    unknown_cameras: list[str] = field(default_factory=list)


class FrigateBridge:
    """Ingests Frigate's ``frigate/events`` as detections; see the module docstring."""

    def __init__(
        self,
        host: str,
        port: int,
        site: Site,
        ingest: Ingest,
        camera_map: Mapping[str, str] | None = None,
        *,
        topic: str = DEFAULT_TOPIC,
        labels: Iterable[str] = DEFAULT_LABELS,
        hold_interval_s: float | None = HOLD_INTERVAL_S,
        client_id: str | None = None,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.username = username
        self._password = password
        self._ingest = ingest
        self.topic = topic
        self.mapper = FrigateMapper(site, camera_map, labels)
        self.hold = StationaryHold(hold_interval_s or HOLD_INTERVAL_S)
        self._holding = hold_interval_s is not None and hold_interval_s > 0
        self._client_id = client_id or f"artguard-frigate-{topics.check_level(site.id, 'site')}"
        self._link = LinkState()
        self._counts = FrigateBridgeStats()
        self._ready = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        if self._tasks:
            return
        self._tasks.append(
            asyncio.create_task(
                keep_connected(self._new_client, self._session, self._link, name=self._client_id),
                name=f"frigate:{self._client_id}",
            )
        )
        if self._holding:
            self._tasks.append(asyncio.create_task(self._repeat_held(), name="frigate-hold"))

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks.clear()
        self._ready.clear()
        self.hold.clear()

    async def wait_ready(self) -> None:
        """Until connected and subscribed."""
        await self._ready.wait()

    def stats(self) -> FrigateBridgeStats:
        counts = self._counts
        counts.connected = self._link.connected
        counts.connects = self._link.connects
        counts.connection_failures = self._link.failures
        counts.last_error = self._link.last_error
        return FrigateBridgeStats(**{**vars(counts), "unknown_cameras": [*counts.unknown_cameras]})

    def _new_client(self, first: bool) -> aiomqtt.Client:
        return new_client(
            self.host,
            self.port,
            self._client_id,
            clean_start=False,
            session_expiry_s=SESSION_EXPIRY_S,
            username=self.username,
            password=self._password,
        )

    async def _session(self, client: aiomqtt.Client) -> None:
        await subscribe_qos1(client, [self.topic])
        self._ready.set()
        try:
            async for message in client.messages:
                await self._handle(message.payload if isinstance(message.payload, bytes) else b"")
                ack(client, message)
        finally:
            self._ready.clear()
            self.hold.clear()  # no repeats while we cannot hear Frigate say the object is gone

    async def _handle(self, payload: bytes) -> None:
        counts = self._counts
        counts.messages += 1
        try:
            event = parse_frigate_event(payload)
        except FrigateMessageError as exc:
            counts.malformed += 1
            log.warning("frigate: malformed message on %s: %s", self.topic, exc)
            return
        outcome, item = self.mapper.map(event)
        if item is None:
            self._count(outcome, event.after.camera)
            return
        await self._submit([item])
        counts.detections += 1
        if self._holding:
            self.hold.update(event, item, time.monotonic())

    def _count(self, outcome: Outcome, camera: str) -> None:
        counts = self._counts
        if outcome == "other_label":
            counts.other_labels += 1
        elif outcome == "false_positive":
            counts.false_positives += 1
        elif outcome == "unknown_camera":
            counts.unknown_camera += 1
            if camera not in counts.unknown_cameras:
                counts.unknown_cameras.append(camera)
                log.warning(
                    "frigate: camera %r is not a camera of the site; map it with "
                    "ARTGUARD_FRIGATE_CAMERAS=%s:<site camera id> (its events are dropped)",
                    camera,
                    camera,
                )

    async def _submit(self, items: list[dict[str, Any]]) -> None:
        try:
            result = await self._ingest.submit(items, token=None, source=SOURCE, trusted=True)
        except Exception:
            self._counts.errors += 1
            log.exception("frigate: could not store detections; will retry")
            raise
        for rejection in result.rejected:
            self._counts.rejected += 1
            log.warning("frigate: detection rejected: %s: %s", rejection.field, rejection.message)

    async def _repeat_held(self) -> None:
        while True:
            await asyncio.sleep(self.hold.interval_s / 2)
            items = self.hold.due(time.monotonic())
            if not items:
                continue
            with contextlib.suppress(Exception):  # counted and logged by _submit
                await self._submit(items)
                self._counts.held += len(items)


def parse_camera_map(text: str) -> dict[str, str]:
    """``frigate_name:site_camera,...`` -> mapping; ``ValueError`` naming the bad entry."""
    mapping: dict[str, str] = {}
    for entry in filter(None, (part.strip() for part in text.split(","))):
        frigate_name, sep, camera = (part.strip() for part in entry.partition(":"))
        if not sep or not frigate_name or not camera:
            raise ValueError(f"{entry!r} is not frigate_name:site_camera")
        if frigate_name in mapping:
            raise ValueError(f"Frigate camera {frigate_name!r} is mapped twice")
        mapping[frigate_name] = camera
    return mapping


def frigate_bridge_from_env(
    settings: Settings, site: Site, ingest: Ingest, env: Mapping[str, str] | None = None
) -> FrigateBridge | None:
    """The bridge configured by the environment, or None when ``ARTGUARD_FRIGATE_URL`` is unset.

    * ``ARTGUARD_FRIGATE_URL``: ``mqtt://[user:password@]host[:port]`` of the broker Frigate
      publishes to, or ``ingest`` for the broker of MQTT ingestion; unset or ``off``: no bridge.
    * ``ARTGUARD_FRIGATE_CAMERAS``: ``frigate_name:site_camera,...`` (default: same names).
    * ``ARTGUARD_FRIGATE_TOPIC``: default ``frigate/events`` (Frigate's ``topic_prefix``).
    * ``ARTGUARD_FRIGATE_LABELS``: Frigate labels to ingest, default ``person``.
    """
    env = os.environ if env is None else env
    url = env.get("ARTGUARD_FRIGATE_URL", "").strip()
    if url in ("", "off"):
        return None
    if url == "ingest":
        resolved = settings.resolved_mqtt_ingest_url
        if resolved is None:
            raise ConfigError("ARTGUARD_FRIGATE_URL=ingest, but MQTT ingestion is off")
        url = resolved
    parsed = urlparse(url)
    if parsed.scheme != "mqtt" or not parsed.hostname:
        raise ConfigError(
            f"ARTGUARD_FRIGATE_URL={url!r}: expected mqtt://[user:password@]host[:port], "
            "ingest or off"
        )
    try:
        cameras = parse_camera_map(env.get("ARTGUARD_FRIGATE_CAMERAS", ""))
        labels = [s.strip() for s in env.get("ARTGUARD_FRIGATE_LABELS", "person").split(",")]
        return FrigateBridge(
            parsed.hostname,
            parsed.port or 1883,
            site,
            ingest,
            cameras,
            topic=env.get("ARTGUARD_FRIGATE_TOPIC", "").strip() or DEFAULT_TOPIC,
            labels=[label for label in labels if label] or DEFAULT_LABELS,
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
        )
    except ValueError as exc:
        raise ConfigError(f"ARTGUARD_FRIGATE_CAMERAS: {exc}") from None
