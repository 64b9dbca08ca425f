"""Where the pose model runs: only around people who are near an artwork's virtual barrier.

The barrier rule needs wrist and elbow keypoints to tell a visitor reaching for a work from one
standing in front of it, but only for people whose box meets a barrier; everyone else is
judged by the box alone. A MoveNet run costs about a third of a CenterNet run (52 vs 180 ms a
photo in docs/vision-models.md), so running it on every frame with people on every camera would
cost a third more detector time everywhere. :class:`PoseGate`
keeps it to the frames and crops that matter: a detected person whose box overlaps a barrier's
bounding box, grown by a margin (so keypoints are there by the time the person touches it),
gets a square crop around their box; overlapping crops are merged, and people apart get one
crop around them all; the pose model runs on that crop only (people in a crop reach the model
larger than in the full frame, which finds more of their keypoints, too).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from artguard.site.entities import Artwork, Camera
from artguard.vision.detections import COCO_PERSON, Detections
from artguard.vision.detectors.base import Image, PoseEstimator
from artguard.vision.geometry import clip_box
from artguard.vision.motion import Box, _merge
from artguard.vision.shared_model import ModelUse, TakingTurnsPool

Bounds = tuple[float, float, float, float]


class SharedPose:
    """One loaded pose model used by every camera thread, one call at a time (like
    :class:`~artguard.vision.service.SharedDetector`)."""

    def __init__(self, pose: PoseEstimator) -> None:
        self._turns = TakingTurnsPool([pose])
        self.name = pose.name

    @property
    def use(self) -> ModelUse:
        return self._turns.use

    def estimate(self, image: Image) -> Detections:
        return self._turns.run(_estimate, image)


def _estimate(pose: PoseEstimator, image: Image) -> Detections:
    return pose.estimate(image)


@dataclass
class PoseCounters:
    """How often the pose model ran, to show what the gate saved."""

    frames: int = 0
    """Frames offered to the gate (frames with at least one detection)."""
    frames_with_pose: int = 0
    pose_runs: int = 0
    """Pose model calls (one per crop)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class PoseGate:
    """Crops of a frame worth a pose estimate: people near one of the camera's barriers.

    ``barriers`` are the barriers' bounding boxes in the camera's pixels. Each is grown on
    every side by ``near`` times its larger side (at least ``min_near_px``) to make the "near"
    area; a person box meeting it gets a square crop of its larger side plus ``margin`` on
    each side (an outstretched arm may stick out of a tight box). More than ``max_crops``
    separate crops become one crop around them all: MoveNet's input is a fixed 256 px, so
    each crop costs a full model run, and it finds up to 6 people in one.
    """

    def __init__(
        self,
        barriers: Sequence[Bounds],
        frame_size: tuple[int, int],
        *,
        near: float = 0.25,
        min_near_px: float = 24.0,
        margin: float = 0.2,
        max_crops: int = 1,
        classes: Sequence[int] = (COCO_PERSON,),
    ) -> None:
        if not barriers:
            raise ValueError("a pose gate needs at least one barrier")
        self.width, self.height = frame_size
        self.margin = margin
        self.max_crops = max_crops
        self.classes = np.array(list(classes), np.int64)
        grown = []
        for x1, y1, x2, y2 in barriers:
            pad = max(near * max(x2 - x1, y2 - y1), min_near_px)
            grown.append((x1 - pad, y1 - pad, x2 + pad, y2 + pad))
        self.near_areas = np.asarray(grown, np.float32)
        self.counters = PoseCounters()

    @classmethod
    def for_camera(cls, camera: Camera, artworks: Sequence[Artwork]) -> PoseGate | None:
        """The gate of ``camera``'s barriers; None when no artwork has a barrier on it."""
        boxes: list[Bounds] = []
        for art in artworks:
            for barrier in art.barriers:
                if barrier.camera == camera.id:
                    xs = [float(p[0]) for p in barrier.polygon]
                    ys = [float(p[1]) for p in barrier.polygon]
                    boxes.append((min(xs), min(ys), max(xs), max(ys)))
        return cls(boxes, tuple(camera.resolution)) if boxes else None  # type: ignore[arg-type]

    def near(self, found: Detections) -> np.ndarray:
        """Boolean mask: which of ``found`` are people whose box meets a near area."""
        if not len(found):
            return np.zeros(0, bool)
        a = found.xyxy[:, None, :]
        b = self.near_areas[None, :, :]
        meets = (
            (a[..., 0] <= b[..., 2])
            & (b[..., 0] <= a[..., 2])
            & (a[..., 1] <= b[..., 3])
            & (b[..., 1] <= a[..., 3])
        )
        return np.isin(found.class_id, self.classes) & meets.any(axis=1)

    def regions(self, found: Detections) -> list[Box]:
        """Crops to run the pose model on (none when nobody is near a barrier); counts them."""
        self.counters.frames += 1
        near = self.near(found)
        regions = _merge([self._square(box) for box in found.xyxy[near]])
        if len(regions) > self.max_crops:  # one crop around them all: one model run
            x1, y1 = min(r[0] for r in regions), min(r[1] for r in regions)
            x2, y2 = max(r[2] for r in regions), max(r[3] for r in regions)
            regions = [(x1, y1, x2, y2)]
        if regions:
            self.counters.frames_with_pose += 1
            self.counters.pose_runs += len(regions)
        return regions

    def _square(self, box: np.ndarray) -> Box:
        x1, y1, x2, y2 = (float(v) for v in box)
        side = max(x2 - x1, y2 - y1) * (1 + 2 * self.margin)
        side = min(side, self.width, self.height)
        cx = min(max((x1 + x2) / 2, side / 2), self.width - side / 2)
        cy = min(max((y1 + y2) / 2, side / 2), self.height - side / 2)
        return clip_box(
            (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2), self.width, self.height
        )
