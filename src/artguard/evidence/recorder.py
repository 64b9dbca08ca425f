"""The evidence recorder: a snapshot (and optionally a clip) for every camera alert.

It subscribes to ``alert`` events on the bus. For an alert from a camera (``evidence
["camera_id"]``, else the alert's device) it takes the frame the alert fired on from that
camera's :class:`~artguard.evidence.ring.FrameRing`: the frame of the alert's last source
event (the ``Detection`` that fired it), else the frame nearest the alert's time within
``tolerance_s``. The lookup happens at once, on the event loop (a dictionary scan), so the
frame cannot leave the ring while the work waits; blurring, drawing and writing then run on
the recorder's own thread, one alert at a time. A failure there is logged and counted, and
never reaches the bus or the rules.

Alerts that get no snapshot are counted by reason in :attr:`RecorderStats.skipped`:
``not_camera`` (door, sensor and access alerts), ``no_frames`` (a camera whose frames this
process does not see, e.g. Frigate's), ``frame_gone`` (the frame already left the ring: an
alert re-raised after a restart, or one that took longer than ``buffer_seconds`` to arrive),
``already_stored`` (the same alert id seen again), ``busy`` (too many snapshots in progress).
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

import cv2

from artguard.bus import Bus
from artguard.events import Alert, EventBase, utcnow
from artguard.evidence.clip import encode_clip
from artguard.evidence.people import privacy_people
from artguard.evidence.render import Rendered, caption_lines, relevant_shapes, render
from artguard.evidence.ring import BufferedFrame, FrameRing, FrameRings
from artguard.evidence.store import EvidenceStore
from artguard.site import Camera, Site
from artguard.vision.pipeline import FrameResult
from artguard.vision.privacy import Redactor, default_redactor

log = logging.getLogger(__name__)
T = TypeVar("T")

SNAPSHOT_QUALITY = 90
ORIGINAL_QUALITY = 95
CLIP_WAIT_MARGIN_S = 2.0
REPEAT_INTERVAL = timedelta(seconds=10)
"""Alerts with the same dedup key this soon after one that got a snapshot get none."""
"""After the post-roll, wait at most this long for the camera's frames to catch up."""


@dataclass
class RecorderStats:
    """Counters for ``/api/health``."""

    snapshots: int = 0
    clips: int = 0
    originals: int = 0
    failed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    last_error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "snapshots": self.snapshots,
            "clips": self.clips,
            "originals": self.originals,
            "failed": self.failed,
            "skipped": dict(self.skipped),
            "last_error": self.last_error,
        }


class EvidenceRecorder:
    """Stores a blurred, annotated snapshot of every camera alert (see the module docstring)."""

    def __init__(
        self,
        site: Site,
        bus: Bus,
        rings: FrameRings,
        store: EvidenceStore,
        *,
        redactor: Callable[[], Redactor] = default_redactor,
        tolerance_s: float = 1.0,
        max_pending: int = 32,
    ) -> None:
        self.site = site
        self.rings = rings
        self.store = store
        self.stats = RecorderStats()
        self._bus = bus
        self._cameras = {camera.id: camera for camera in site.cameras}
        self._redactor = redactor
        self._tolerance_s = tolerance_s
        self._max_pending = max_pending
        self._last_shot: dict[str, datetime] = {}
        """Dedup key -> site time of the last alert with that key that got a snapshot."""
        self._tasks: set[asyncio.Task[None]] = set()
        self._stopping = asyncio.Event()
        self._executor: ThreadPoolExecutor | None = None

    @classmethod
    def for_site(cls, site: Site, bus: Bus, store: EvidenceStore) -> EvidenceRecorder:
        """A recorder with frame rings sized from ``site.evidence``."""
        settings = site.evidence
        clip_seconds = 0.0
        if settings.clip:
            clip_seconds = (
                settings.clip_seconds_before + settings.clip_seconds_after + CLIP_WAIT_MARGIN_S
            )
        rings = FrameRings(settings.buffer_seconds, clip_seconds)
        return cls(site, bus, rings, store)

    def attach(self) -> None:
        self._bus.subscribe("evidence", self.handle, kinds={"alert"})

    def tap(self, camera: Camera, result: FrameResult) -> None:
        """A camera worker's frame tap: keep the analysed frame in the camera's ring."""
        frame = result.frame
        if frame is None:
            return
        event_id = result.detection.id if result.detection is not None else None
        people = privacy_people(result.tracks, result.people)
        self.rings.push(camera.id, frame.timestamp, frame.image, result.tracks, event_id, people)

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def handle(self, event: EventBase) -> None:
        if not isinstance(event, Alert):
            return
        camera_id = event.evidence.get("camera_id") or event.device_id
        camera = self._cameras.get(str(camera_id))
        if camera is None:
            self.stats.skipped["not_camera"] += 1
            return
        ring = self.rings.get(camera.id)
        if ring is None:
            self.stats.skipped["no_frames"] += 1
            return
        frame = ring.find(event.site_time, event.source_event_ids, self._tolerance_s)
        if frame is None:
            self.stats.skipped["frame_gone"] += 1
            return
        last = self._last_shot.get(event.dedup_key)
        if last is not None and timedelta(0) <= event.site_time - last < REPEAT_INTERVAL:
            # the same cause again within seconds (a visitor still in the zone): its first
            # snapshot shows it; an alert storm must not take a core away from the cameras
            self.stats.skipped["repeat"] += 1
            return
        self._last_shot[event.dedup_key] = event.site_time
        if len(self._last_shot) > 10_000:
            self._last_shot.clear()
        if len(self._tasks) >= self._max_pending:
            self.stats.skipped["busy"] += 1
            log.warning(
                "evidence: %d snapshots in progress; none for alert %s", self.pending, event.id
            )
            return
        task = asyncio.create_task(self._record(event, camera, frame, ring))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the snapshots and clips in progress."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def stop(self) -> None:
        """Cut clip waits short and finish what is in progress."""
        self._stopping.set()
        await self.drain()
        if self._executor is not None:
            self._executor.shutdown(wait=False)
            self._executor = None

    async def _in_thread(self, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn`` on the recorder's own thread: one snapshot at a time, so an alert storm
        takes one core, not every thread the API and the database calls need."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="evidence")
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    async def _record(
        self, alert: Alert, camera: Camera, frame: BufferedFrame, ring: FrameRing
    ) -> None:
        try:
            sidecar = await self._in_thread(self._snapshot, alert, camera, frame)
            if sidecar is None:
                return
            if self.site.evidence.clip and ring.keeps_clips:
                await self._wait_for_post_roll(alert, ring)
                clip = await self._in_thread(self._clip, alert, camera, frame, ring)
                if clip is not None:
                    sidecar.update(clip)
                    await self._in_thread(
                        self.store.write_sidecar, alert.id, frame.timestamp, sidecar
                    )
        except Exception as exc:  # evidence must never break alerting
            self.stats.failed += 1
            self.stats.last_error = f"alert {alert.id}: {type(exc).__name__}: {exc}"[:500]
            log.exception("evidence for alert %s failed", alert.id)

    # -- snapshot (in a worker thread) ------------------------------------------------------

    def _snapshot(
        self, alert: Alert, camera: Camera, frame: BufferedFrame
    ) -> dict[str, Any] | None:
        if self.store.has(alert.id):
            self.stats.skipped["already_stored"] += 1
            return None
        privacy = self.site.privacy
        redactor = self._redactor() if privacy.blur_faces else None
        shapes = relevant_shapes(self.site, camera, alert)
        caption = caption_lines(self.site, camera, alert)
        shown = render(
            frame.image,
            frame.tracks,
            alert,
            shapes,
            caption,
            redactor=redactor,
            people=frame.to_blur,
        )
        self.store.write_snapshot(alert.id, frame.timestamp, _jpeg(shown.image, SNAPSHOT_QUALITY))
        original = False
        if privacy.keep_originals:
            self.store.write_original(
                alert.id, frame.timestamp, _jpeg(frame.image, ORIGINAL_QUALITY)
            )
            self.stats.originals += 1
            original = True
        sidecar = _sidecar(alert, camera, frame, shown, original, privacy.blur_faces)
        self.store.write_sidecar(alert.id, frame.timestamp, sidecar)
        self.stats.snapshots += 1
        return sidecar

    # -- clip --------------------------------------------------------------------------------

    async def _wait_for_post_roll(self, alert: Alert, ring: FrameRing) -> None:
        after = timedelta(seconds=self.site.evidence.clip_seconds_after)
        until = alert.site_time + after
        loop = asyncio.get_running_loop()
        deadline = loop.time() + after.total_seconds() + CLIP_WAIT_MARGIN_S
        while not self._stopping.is_set() and loop.time() < deadline:
            latest = ring.latest_time()
            if latest is not None and latest >= until:
                return
            try:
                await asyncio.wait_for(self._stopping.wait(), 0.2)
            except TimeoutError:
                continue

    def _clip(
        self, alert: Alert, camera: Camera, frame: BufferedFrame, ring: FrameRing
    ) -> dict[str, Any] | None:
        settings = self.site.evidence
        start = frame.timestamp - timedelta(seconds=settings.clip_seconds_before)
        end = frame.timestamp + timedelta(seconds=settings.clip_seconds_after)
        frames = ring.clip_frames(start, end)
        if not frames:
            self.stats.skipped["clip_no_frames"] += 1
            return None
        redactor = self._redactor() if self.site.privacy.blur_faces else None
        shapes = relevant_shapes(self.site, camera, alert)
        caption = caption_lines(self.site, camera, alert)
        images = []
        for clip_frame in frames:
            offset = (clip_frame.timestamp - frame.timestamp).total_seconds()
            lines = [f"{caption[0]} | t{offset:+.1f} s", *caption[1:]]
            shown = render(
                clip_frame.image(),
                clip_frame.tracks,
                alert,
                shapes,
                lines,
                redactor=redactor,
                scale=clip_frame.scale,
                people=clip_frame.to_blur,
            )
            images.append(shown.image)
        span = (frames[-1].timestamp - frames[0].timestamp).total_seconds()
        fps = (len(frames) - 1) / span if span > 0 else camera.fps
        path = self.store.clip_path(alert.id, frame.timestamp)
        clip = encode_clip(images, min(max(fps, 1.0), 30.0), path)
        self.stats.clips += 1
        return {
            "clip": clip.path.name,
            "clip_frames": clip.frames,
            "clip_start": frames[0].timestamp.isoformat(),
            "clip_end": frames[-1].timestamp.isoformat(),
        }


def _jpeg(image: Any, quality: int) -> bytes:
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not JPEG-encode the snapshot")
    return data.tobytes()


def _sidecar(
    alert: Alert,
    camera: Camera,
    frame: BufferedFrame,
    shown: Rendered,
    original: bool,
    blurred: bool,
) -> dict[str, Any]:
    matched_by = "event_id" if frame.event_id in alert.source_event_ids else "time"
    return {
        "alert_id": alert.id,
        "rule": alert.rule,
        "severity": alert.severity.value,
        "title": alert.title,
        "reason": alert.reasons[0],
        "dedup_key": alert.dedup_key,
        "camera_id": camera.id,
        "track_id": alert.evidence.get("track_id"),
        "frame_event_id": frame.event_id,
        "alert_time": alert.site_time.isoformat(),
        "frame_time": frame.timestamp.isoformat(),
        "frame_offset_s": round((frame.timestamp - alert.site_time).total_seconds(), 3),
        "matched_by": matched_by,
        "people": shown.people,
        "faces_blurred": blurred,
        "blurred_faces": shown.faces_blurred,
        "blurred_heads": shown.heads_blurred,
        "snapshot": f"{alert.id}.jpg",
        "width": int(shown.image.shape[1]),
        "height": int(shown.image.shape[0]),
        "original_kept": original,
        "clip": None,
        "recorded_at": utcnow().isoformat(),
    }
