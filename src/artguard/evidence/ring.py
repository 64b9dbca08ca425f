"""The last few seconds of each camera, in memory, so an alert can be shown as it was seen.

A camera worker pushes every analysed frame (image at the camera's resolution, its time, the
tracks of that frame, the id of the ``Detection`` event sent for it) into its camera's
:class:`FrameRing`. The evidence recorder later looks up the frame an alert fired on.

Memory, two tiers:

* **full frames** for ``buffer_seconds`` (default 2 s): references to the analysed images, not
  copies (the pipeline never draws on a frame), so pushing costs no CPU. 2 s at 5 fps of
  768x576 BGR is 11 frames (both ends of the window) x 1.33 MB = 14.6 MB per camera, 292 MB
  for 20 cameras; at 1280x720, 30 MB per camera.
* **clip frames**, only when clips are on: JPEG-compressed (quality 80), scaled down to at
  most ``CLIP_MAX_WIDTH`` pixels wide, for before + after + ``CLIP_MARGIN_S`` seconds. A
  640x480 JPEG is about 50 kB, so 9 s at 5 fps is 2-3 MB per camera; scaling and
  compressing cost about 2 ms a frame in the camera's thread (``bench/evidence.py``).

Times are the frames' own (``Frame.timestamp``). A source that starts over (a file played
in a loop) jumps back in time: the ring then forgets what it had.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import cv2
import numpy as np

from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image

CLIP_MAX_WIDTH = 640
CLIP_JPEG_QUALITY = 80
CLIP_MARGIN_S = 3.0
"""Clip frames are kept this much longer than the clip needs: the alert reaches the recorder a
moment after its frame was pushed."""


@dataclass(frozen=True, eq=False)
class BufferedFrame:
    """One analysed frame as the camera saw it."""

    timestamp: datetime
    image: Image
    """BGR at the camera's configured resolution; shared with the pipeline: never modify."""
    tracks: Detections
    event_id: str | None = None
    """Id of the ``Detection`` event sent for this frame (None when none was sent)."""
    people: Detections | None = None
    """Everyone to blur: the tracks plus people the detector saw but the tracker has not
    confirmed (None: the tracks alone)."""

    @property
    def to_blur(self) -> Detections:
        return self.people if self.people is not None else self.tracks


@dataclass(frozen=True, eq=False)
class ClipFrame:
    """A frame kept for clips: JPEG bytes at ``scale`` of the camera resolution."""

    timestamp: datetime
    jpeg: bytes
    scale: float
    tracks: Detections
    """Boxes and keypoints already scaled to the clip frame."""
    people: Detections | None = None
    """Everyone to blur, scaled likewise (None: the tracks alone)."""

    @property
    def to_blur(self) -> Detections:
        return self.people if self.people is not None else self.tracks

    def image(self) -> Image:
        decoded = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)
        if decoded is None:
            raise ValueError(f"clip frame at {self.timestamp.isoformat()} cannot be decoded")
        return decoded


def scale_tracks(tracks: Detections, scale: float) -> Detections:
    """``tracks`` with boxes and keypoint positions multiplied by ``scale``."""
    if scale == 1.0:
        return tracks
    keypoints = None
    if tracks.keypoints is not None:
        keypoints = tracks.keypoints.copy()
        keypoints[..., :2] *= scale
    return replace(tracks, xyxy=tracks.xyxy * scale, keypoints=keypoints)


class FrameRing:
    """One camera's recent frames; safe to push from the camera thread and read from others."""

    def __init__(self, buffer_seconds: float = 2.0, clip_seconds: float = 0.0) -> None:
        if buffer_seconds <= 0:
            raise ValueError(f"buffer_seconds must be positive, got {buffer_seconds}")
        if clip_seconds < 0:
            raise ValueError(f"clip_seconds must not be negative, got {clip_seconds}")
        self.buffer = timedelta(seconds=buffer_seconds)
        self.clip_window = timedelta(seconds=clip_seconds)
        self._frames: deque[BufferedFrame] = deque()
        self._clip: deque[ClipFrame] = deque()
        self._lock = threading.Lock()
        self.pushed = 0

    @property
    def keeps_clips(self) -> bool:
        return self.clip_window > timedelta(0)

    def push(
        self,
        timestamp: datetime,
        image: Image,
        tracks: Detections,
        event_id: str | None = None,
        people: Detections | None = None,
    ) -> None:
        """Add the newest frame and forget the ones older than the windows."""
        if timestamp.tzinfo is None:
            raise ValueError("frame timestamp must be timezone-aware")
        clip = _clip_frame(timestamp, image, tracks, people) if self.keeps_clips else None
        with self._lock:
            latest = self._frames[-1].timestamp if self._frames else None
            if latest is not None and timestamp < latest:
                self._frames.clear()  # the source started over: older frames are another take
                self._clip.clear()
            self._frames.append(BufferedFrame(timestamp, image, tracks, event_id, people))
            _evict(self._frames, timestamp - self.buffer)
            if clip is not None:
                self._clip.append(clip)
                _evict(self._clip, timestamp - self.clip_window)
            self.pushed += 1

    def find(
        self, at: datetime, event_ids: Sequence[str] = (), tolerance_s: float = 1.0
    ) -> BufferedFrame | None:
        """The frame of one of ``event_ids`` (the last given wins), else the frame nearest to
        ``at`` within ``tolerance_s``; None when neither is held."""
        with self._lock:
            frames = list(self._frames)
        by_id = {f.event_id: f for f in frames if f.event_id is not None}
        for event_id in reversed(event_ids):
            if event_id in by_id:
                return by_id[event_id]
        if not frames:
            return None
        nearest = min(frames, key=lambda f: abs((f.timestamp - at).total_seconds()))
        if abs((nearest.timestamp - at).total_seconds()) > tolerance_s:
            return None
        return nearest

    def clip_frames(self, start: datetime, end: datetime) -> list[ClipFrame]:
        """The clip frames taken from ``start`` to ``end`` (inclusive), oldest first."""
        with self._lock:
            return [f for f in self._clip if start <= f.timestamp <= end]

    def latest_time(self) -> datetime | None:
        with self._lock:
            return self._frames[-1].timestamp if self._frames else None

    def memory_bytes(self) -> int:
        """Bytes held by the images (full frames and clip JPEGs)."""
        with self._lock:
            full = sum(f.image.nbytes for f in self._frames)
            return full + sum(len(f.jpeg) for f in self._clip)

    def __len__(self) -> int:
        with self._lock:
            return len(self._frames)


def _evict(frames: deque[BufferedFrame] | deque[ClipFrame], cutoff: datetime) -> None:
    while frames and frames[0].timestamp < cutoff:
        frames.popleft()


def _clip_frame(
    timestamp: datetime, image: Image, tracks: Detections, people: Detections | None = None
) -> ClipFrame:
    height, width = image.shape[:2]
    scale = min(1.0, CLIP_MAX_WIDTH / width)
    small = image
    if scale < 1.0:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        # Linear is 7x faster than area averaging for a mild shrink (768 -> 640 wide) and
        # looks the same; a strong shrink (1080p) needs the averaging against aliasing.
        interpolation = cv2.INTER_LINEAR if scale >= 0.5 else cv2.INTER_AREA
        small = cv2.resize(image, size, interpolation=interpolation)
    ok, jpeg = cv2.imencode(".jpg", small, [cv2.IMWRITE_JPEG_QUALITY, CLIP_JPEG_QUALITY])
    if not ok:
        raise ValueError("could not JPEG-encode a clip frame")
    scaled_people = scale_tracks(people, scale) if people is not None else None
    return ClipFrame(timestamp, jpeg.tobytes(), scale, scale_tracks(tracks, scale), scaled_people)


class FrameRings:
    """The rings of every camera, created on first push, sized from the site's settings."""

    def __init__(self, buffer_seconds: float = 2.0, clip_seconds: float = 0.0) -> None:
        self.buffer_seconds = buffer_seconds
        self.clip_seconds = clip_seconds
        self._rings: dict[str, FrameRing] = {}
        self._lock = threading.Lock()

    def ring(self, camera_id: str) -> FrameRing:
        with self._lock:
            ring = self._rings.get(camera_id)
            if ring is None:
                ring = self._rings[camera_id] = FrameRing(self.buffer_seconds, self.clip_seconds)
            return ring

    def get(self, camera_id: str) -> FrameRing | None:
        with self._lock:
            return self._rings.get(camera_id)

    def push(
        self,
        camera_id: str,
        timestamp: datetime,
        image: Image,
        tracks: Detections,
        event_id: str | None = None,
        people: Detections | None = None,
    ) -> None:
        self.ring(camera_id).push(timestamp, image, tracks, event_id, people)

    def memory_bytes(self) -> int:
        with self._lock:
            rings = list(self._rings.values())
        return sum(ring.memory_bytes() for ring in rings)

    def stats(self) -> dict[str, object]:
        with self._lock:
            rings = dict(self._rings)
        return {
            "cameras": len(rings),
            "frames": sum(len(r) for r in rings.values()),
            "memory_mb": round(sum(r.memory_bytes() for r in rings.values()) / 1e6, 1),
        }
