"""Cheap motion detection that gates the expensive neural detector (as Frigate does).

A museum camera looks at an empty room most of the day and all of the night. Running a
person detector on every frame of every camera is what limits how many cameras one server can
watch; finding *where something changed* costs about a millisecond on a small grey image.
So, per frame:

1. :class:`MotionDetector` compares a downscaled, blurred grey image with a running average of
   the scene and returns boxes around the pixels that changed.
2. :class:`MotionGate` turns them into detector regions: each motion box (and each box the
   tracker is following, so a person who stands still in front of a painting is not lost) is
   grown by a margin into a square crop; overlapping crops are merged; when the crops would
   cover much of the frame, or are too many, the detector gets the whole frame instead.
   A neural detector has a fixed input size (CenterNet 512, NanoDet 416 pixels square), so a
   call on a crop costs as much as a call on the full frame: two crops cost twice one full
   frame. Hence one region at most by default (``max_regions``); when one crop suffices it is
   used, because the people in it reach the detector at a larger scale, which favours small,
   distant people.
   No motion and nothing tracked: the detector does not run at all. A full-frame run every
   ``refresh_seconds`` catches anyone who was already standing still when the camera started.
3. The counters say what was saved: frames seen, frames with motion, detector runs and the
   pixels handed to the detector.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

import cv2
import numpy as np

from artguard.vision.detections import Detections, FloatArray, box_iou
from artguard.vision.detectors.base import Image
from artguard.vision.geometry import clip_box

Box = tuple[int, int, int, int]
"""x1, y1, x2, y2 in whole pixels, x2/y2 exclusive."""


class MotionDetector:
    """Boxes around what moved since the recent past of the scene.

    ``threshold`` is the grey-level difference (0-255) that counts as change, ``alpha`` how
    fast the background average follows the scene (per analysed frame), ``min_area`` the
    smallest change worth reporting, as a fraction of the frame. A sudden change of more than
    ``recalibrate`` of the frame (lights switched on, camera moved) is reported once and the
    background restarts from the new scene instead of fading in over many frames.
    """

    def __init__(
        self,
        *,
        height: int = 180,
        threshold: int = 25,
        alpha: float = 0.05,
        blur: int = 5,
        dilate: int = 2,
        min_area: float = 0.0005,
        recalibrate: float = 0.6,
    ) -> None:
        self.height = height
        self.threshold = threshold
        self.alpha = alpha
        self.blur = blur | 1
        self.dilate = dilate
        self.min_area = min_area
        self.recalibrate = recalibrate
        self._background: np.ndarray | None = None
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.moving_fraction = 0.0
        """Share of the frame that changed in the last call."""

    def reset(self) -> None:
        self._background = None

    def detect(self, image: Image) -> FloatArray:
        """Motion boxes (n, 4) in the image's pixels; none on the first frame."""
        h, w = image.shape[:2]
        scale = min(1.0, self.height / h)
        small = cv2.resize(image, (max(1, round(w * scale)), max(1, round(h * scale))))
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        grey = cv2.GaussianBlur(grey, (self.blur, self.blur), 0).astype(np.float32)
        if self._background is None or self._background.shape != grey.shape:
            self._background = grey
            self.moving_fraction = 0.0
            return np.zeros((0, 4), np.float32)
        diff = cv2.absdiff(grey, self._background)
        cv2.accumulateWeighted(grey, self._background, self.alpha)
        mask = (diff > self.threshold).astype(np.uint8)
        if self.dilate:
            mask = cv2.dilate(mask, self._kernel, iterations=self.dilate)
        self.moving_fraction = float(mask.mean())
        if self.moving_fraction > self.recalibrate:
            self._background = grey
            return np.array([[0, 0, w, h]], np.float32)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        min_pixels = self.min_area * mask.size
        boxes = [cv2.boundingRect(c) for c in contours if cv2.contourArea(c) >= min_pixels]
        if not boxes:
            return np.zeros((0, 4), np.float32)
        rects = np.array(boxes, np.float32)
        rects[:, 2:] += rects[:, :2]  # x, y, w, h -> x1, y1, x2, y2
        return rects / scale


@dataclass
class GateCounters:
    """What the gate let through, to show what it saved."""

    frames: int = 0
    frames_with_motion: int = 0
    frames_detected: int = 0
    """Frames on which the detector ran at least once."""
    detector_runs: int = 0
    """Detector calls (one per region)."""
    full_frame_runs: int = 0
    pixels_seen: int = 0
    pixels_processed: int = 0
    """Pixels handed to the detector, over all its calls."""

    @property
    def frames_skipped_fraction(self) -> float:
        return 1.0 - self.frames_detected / self.frames if self.frames else 0.0

    @property
    def pixels_saved_fraction(self) -> float:
        return 1.0 - self.pixels_processed / self.pixels_seen if self.pixels_seen else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "frames_skipped_fraction": round(self.frames_skipped_fraction, 4),
            "pixels_saved_fraction": round(self.pixels_saved_fraction, 4),
        }


@dataclass(frozen=True)
class GatePlan:
    """Where the detector should look in one frame; no regions: nowhere."""

    regions: list[Box]
    motion: FloatArray = field(default_factory=lambda: np.zeros((0, 4), np.float32))
    full_frame: bool = False


class MotionGate:
    """Decides whether and where to run the detector on each frame; ``motion=None`` disables
    gating (every frame in full) while keeping the same counters, for comparisons."""

    def __init__(
        self,
        motion: MotionDetector | None = None,
        *,
        margin: float = 0.25,
        min_region: int = 256,
        max_regions: int = 1,
        full_frame_fraction: float = 0.5,
        refresh_seconds: float | None = 10.0,
    ) -> None:
        self.motion = motion
        self.margin = margin
        self.min_region = min_region
        self.max_regions = max_regions
        self.full_frame_fraction = full_frame_fraction
        self.refresh_seconds = refresh_seconds
        self.counters = GateCounters()
        self._last_full: datetime | None = None

    @classmethod
    def disabled(cls) -> MotionGate:
        return cls(None)

    def plan(
        self, image: Image, timestamp: datetime, tracked: FloatArray | None = None
    ) -> GatePlan:
        """Regions for this frame; ``tracked`` are the boxes the tracker currently follows."""
        h, w = image.shape[:2]
        self.counters.frames += 1
        self.counters.pixels_seen += h * w
        full = GatePlan([(0, 0, w, h)], full_frame=True)
        if self.motion is None:
            return full
        motion = self.motion.detect(image)
        if len(motion):
            self.counters.frames_with_motion += 1
        boxes = list(motion) + ([] if tracked is None else list(tracked))
        regions = _merge([self._square(b, w, h) for b in boxes])
        covered = sum((x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in regions)
        if (
            self._refresh_due(timestamp)
            or len(regions) > self.max_regions
            or covered > self.full_frame_fraction * w * h
        ):
            self._last_full = timestamp
            return GatePlan(full.regions, motion, full_frame=True)
        return GatePlan(regions, motion)

    def detect(
        self, detect: Callable[[Image], Detections], image: Image, plan: GatePlan
    ) -> Detections:
        """Run ``detect`` on the plan's regions, counting the work; boxes in frame pixels."""
        if plan.full_frame:
            self.counters.full_frame_runs += 1
        if plan.regions:
            self.counters.frames_detected += 1
            self.counters.detector_runs += len(plan.regions)
            self.counters.pixels_processed += sum(
                (x2 - x1) * (y2 - y1) for x1, y1, x2, y2 in plan.regions
            )
        return run_on_regions(detect, image, plan.regions)

    def _refresh_due(self, timestamp: datetime) -> bool:
        if self.refresh_seconds is None:
            return False
        last = self._last_full
        return last is None or (timestamp - last).total_seconds() >= self.refresh_seconds

    def _square(self, box: np.ndarray, width: int, height: int) -> Box:
        """A square around ``box`` with the margin, at least ``min_region``, inside the frame."""
        x1, y1, x2, y2 = (float(v) for v in box)
        side = max(x2 - x1, y2 - y1) * (1 + 2 * self.margin)
        side = min(max(side, self.min_region), width, height)
        cx = min(max((x1 + x2) / 2, side / 2), width - side / 2)
        cy = min(max((y1 + y2) / 2, side / 2), height - side / 2)
        return clip_box((cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), width, height)


def _merge(regions: list[Box]) -> list[Box]:
    """Replace overlapping regions by their bounding box until none overlap."""
    merged = list(regions)
    changed = True
    while changed:
        changed = False
        for i in range(len(merged)):
            for j in range(i + 1, len(merged)):
                a, b = merged[i], merged[j]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]:
                    merged[i] = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
                    del merged[j]
                    changed = True
                    break
            if changed:
                break
    return merged


def run_on_regions(
    detect: Callable[[Image], Detections], image: Image, regions: list[Box], iou: float = 0.5
) -> Detections:
    """Run ``detect`` on each crop and put the boxes back in frame coordinates.

    A person in the overlap of two crops is found twice; duplicates are removed by
    class-wise non-maximum suppression.
    """
    parts = []
    for x1, y1, x2, y2 in regions:
        crop = np.ascontiguousarray(image[y1:y2, x1:x2])
        found = detect(crop)
        if len(found):
            parts.append(_offset(found, x1, y1))
    if not parts:
        return Detections.empty()
    merged = _concat(parts)
    return nms(merged, iou) if len(parts) > 1 else merged


def nms(detections: Detections, iou: float = 0.5) -> Detections:
    """Greedy non-maximum suppression within each class."""
    keep: list[int] = []
    order = np.argsort(-detections.confidence, kind="stable")
    overlaps = box_iou(detections.xyxy, detections.xyxy)
    suppressed = np.zeros(len(detections), bool)
    for i in order:
        if suppressed[i]:
            continue
        keep.append(int(i))
        same = detections.class_id == detections.class_id[i]
        suppressed |= same & (overlaps[i] > iou)
    return detections[np.array(sorted(keep), dtype=np.int64)]


def _offset(detections: Detections, dx: int, dy: int) -> Detections:
    shift = np.array([dx, dy, dx, dy], np.float32)
    keypoints = detections.keypoints
    if keypoints is not None:
        keypoints = keypoints.copy()
        keypoints[..., 0] += dx
        keypoints[..., 1] += dy
    return Detections(
        xyxy=detections.xyxy + shift,
        confidence=detections.confidence,
        class_id=detections.class_id,
        tracker_id=detections.tracker_id,
        keypoints=keypoints,
        data=dict(detections.data),
    )


def _concat(parts: list[Detections]) -> Detections:
    keys = set.intersection(*(set(p.data) for p in parts))
    with_keypoints = all(p.keypoints is not None for p in parts)
    return Detections(
        xyxy=np.concatenate([p.xyxy for p in parts]),
        confidence=np.concatenate([p.confidence for p in parts]),
        class_id=np.concatenate([p.class_id for p in parts]),
        keypoints=np.concatenate([p.keypoints for p in parts]) if with_keypoints else None,  # type: ignore[misc]
        data={k: np.concatenate([np.asarray(p.data[k]) for p in parts]) for k in keys},
    )
