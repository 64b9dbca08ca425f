"""What a frame check is given: one frame and what the detector found in it.

Frame checks run in the camera worker, where the pixels are, and report what they see as
events (``camera_health``, ``artwork_view``); rules turn those events into alerts. The frame
type is the worker's; a check only needs these three fields.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Protocol

from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image

Box = tuple[float, float, float, float]


class FrameLike(Protocol):
    """A frame as the camera worker hands it over."""

    @property
    def index(self) -> int: ...

    @property
    def timestamp(self) -> datetime:
        """When the frame was taken (timezone-aware)."""

    @property
    def image(self) -> Image:
        """H x W x 3 BGR."""


def boxes_of(detections: Detections) -> list[Box]:
    """Every detected box, as plain tuples of pixels."""
    return [(float(x1), float(y1), float(x2), float(y2)) for x1, y1, x2, y2 in detections.xyxy]


def overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def frame_event_id(kind: str, camera_id: str, frame: FrameLike, subject: str = "") -> str:
    """The same frame of the same camera always yields the same id (as the pipeline's own
    detection events do), so re-analysing a recording stores each finding once."""
    key = f"{kind}|{camera_id}|{subject}|{frame.index}|{frame.timestamp.isoformat()}"
    return "v-" + hashlib.sha256(key.encode()).hexdigest()[:40]
