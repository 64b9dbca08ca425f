"""The playbook ``record`` action: keep a blurred clip of cameras for the next N seconds.

Frames come from the evidence recorder's clip rings, which hold the frames of the cameras
analysed in this process. A camera whose frames this process does not see (Frigate's, or one
whose worker is not running), or a site with clips turned off (``evidence.clip``), cannot be
recorded; the action's detail says so per camera instead of pretending. A recording is a
collection task: it copies new ring frames every second until the time is up, then encodes
them (faces blurred like every stored picture) to ``<snapshots>/alerts/<day>/<recording
id>.webm`` (``.avi`` where OpenCV cannot write VP8: see :mod:`artguard.evidence.clip`).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from artguard.events import new_id, utcnow
from artguard.evidence.clip import encode_clip
from artguard.evidence.recorder import EvidenceRecorder
from artguard.evidence.render import blur_people
from artguard.evidence.ring import ClipFrame
from artguard.vision.privacy import default_redactor

log = logging.getLogger(__name__)

POLL_S = 1.0


class ClipRecording:
    """``record(camera_ids, seconds, reason)`` for playbooks, backed by the frame rings."""

    def __init__(self, recorder: EvidenceRecorder | None) -> None:
        self._recorder = recorder
        self._tasks: set[asyncio.Task[None]] = set()
        self.finished: list[str] = []
        """Paths of the recordings written so far (for health pages and tests)."""

    async def record(self, camera_ids: list[str], seconds: int, reason: str) -> str:
        """Start recording each camera that can be recorded; returns what happened, per
        camera, in one line."""
        if not camera_ids:
            return "no cameras cover the incident's rooms"
        parts = []
        for camera_id in camera_ids:
            ring = self._recorder.rings.get(camera_id) if self._recorder else None
            if self._recorder is None or ring is None:
                parts.append(f"{camera_id}: no frames in this process (camera not analysed here)")
            elif not ring.keeps_clips:
                parts.append(f"{camera_id}: clips are off (evidence.clip in the site file)")
            else:
                recording_id = f"rec-{camera_id}-{new_id()[:12]}"
                task = asyncio.create_task(self._collect(camera_id, recording_id, seconds))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                parts.append(f"{camera_id}: recording {seconds} s as {recording_id}")
        log.info("record (%s): %s", reason, "; ".join(parts))
        return "; ".join(parts)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _collect(self, camera_id: str, recording_id: str, seconds: int) -> None:
        assert self._recorder is not None
        ring = self._recorder.rings.get(camera_id)
        start = utcnow()
        end = start + timedelta(seconds=seconds)
        frames: dict[datetime, ClipFrame] = {}
        try:
            while True:
                if ring is not None:
                    for frame in ring.clip_frames(start, end):
                        frames.setdefault(frame.timestamp, frame)
                if utcnow() >= end:
                    break
                await asyncio.sleep(POLL_S)
            if not frames:
                log.warning("recording %s: no frames from %s", recording_id, camera_id)
                return
            path = await asyncio.to_thread(self._encode, recording_id, start, frames)
            self.finished.append(str(path))
        except Exception:
            log.exception("recording %s of %s failed", recording_id, camera_id)

    def _encode(self, recording_id: str, start: datetime, frames: dict[datetime, ClipFrame]) -> str:
        assert self._recorder is not None
        ordered = [frames[t] for t in sorted(frames)]
        blur = self._recorder.site.privacy.blur_faces
        redactor = default_redactor() if blur else None
        images = []
        for frame in ordered:
            image = frame.image()
            if redactor is not None:
                image = blur_people(image, frame.to_blur, redactor)[0]
            images.append(image)
        span = (ordered[-1].timestamp - ordered[0].timestamp).total_seconds()
        fps = (len(ordered) - 1) / span if span > 0 else 5.0
        path = self._recorder.store.clip_path(recording_id, start)
        return str(encode_clip(images, min(max(fps, 1.0), 30.0), path).path)
