"""One camera's analysis of one frame: gate, detect, (pose), track, place on the floor, check.

:class:`CameraPipeline` is the whole per-frame path, the same in a live camera worker and in
``artguard analyze``. It holds the camera's state (background model, tracks), so each camera
has its own pipeline; the detector may be shared.

Further per-frame analyses (camera sabotage, artwork present/moved) plug in as
:class:`FrameCheck` objects: each sees the analysed frame and the tracked people and returns
events.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import cv2
import numpy as np
from scipy.optimize import linear_sum_assignment

from artguard.events import Detection, EventBase, TrackedObject
from artguard.site.entities import Camera
from artguard.vision.appearance import AppearanceSampler, object_column
from artguard.vision.detections import COCO_PERSON, Detections, box_iou
from artguard.vision.detectors.base import Detector, PoseEstimator
from artguard.vision.geometry import Homography, floor_positions
from artguard.vision.motion import GatePlan, MotionDetector, MotionGate, run_on_regions
from artguard.vision.pose_gate import PoseGate
from artguard.vision.sources import Frame
from artguard.vision.tracker import ByteTracker

CLASS_NAMES: Mapping[int, str] = {COCO_PERSON: "person"}
POSE_MATCH_IOU = 0.3


class FrameCheck(Protocol):
    """A further analysis of each frame, e.g. camera sabotage or an artwork's presence.

    ``frame.image`` is at the camera's configured resolution (the pixels barrier and artwork
    regions are drawn in); ``detections`` are the tracked objects, ``tracker_id`` filled.
    """

    def check(self, frame: Frame, detections: Detections) -> list[EventBase]: ...


@dataclass
class FrameResult:
    """What one frame produced."""

    tracks: Detections
    """Confirmed tracks seen in this frame (``tracker_id`` filled, boxes in camera pixels)."""
    detection: Detection | None
    """The event to send; None when the scene is empty and its emptiness was already sent."""
    check_events: list[EventBase] = field(default_factory=list)
    plan: GatePlan | None = None
    frame: Frame | None = None
    """The frame as analysed: its image at the camera's resolution (what evidence shows)."""
    people: Detections | None = None
    """Everyone the detector found in this frame, tracked or not (whose faces evidence blurs)."""

    @property
    def events(self) -> list[EventBase]:
        return ([self.detection] if self.detection else []) + self.check_events


@dataclass
class StageTimes:
    """Seconds spent per stage, summed over frames."""

    frames: int = 0
    resize: float = 0.0
    motion: float = 0.0
    detect: float = 0.0
    pose: float = 0.0
    track: float = 0.0
    checks: float = 0.0

    @property
    def total(self) -> float:
        return self.resize + self.motion + self.detect + self.pose + self.track + self.checks

    def as_dict(self) -> dict[str, Any]:
        return {
            "frames": self.frames,
            **{
                name: round(getattr(self, name), 4)
                for name in ("resize", "motion", "detect", "pose", "track", "checks", "total")
            },
        }


class CameraPipeline:
    """Turns a camera's frames into ``Detection`` events (and the checks' events)."""

    def __init__(
        self,
        camera: Camera,
        detector: Detector,
        *,
        pose: PoseEstimator | None = None,
        pose_gate: PoseGate | None = None,
        tracker: ByteTracker | None = None,
        gate: MotionGate | None = None,
        checks: Sequence[FrameCheck] = (),
        classes: Sequence[int] = (COCO_PERSON,),
        class_names: Mapping[int, str] = CLASS_NAMES,
        appearance: AppearanceSampler | None = None,
    ) -> None:
        self.camera = camera
        self.detector = detector
        self.pose = pose
        self.pose_gate = pose_gate
        """Where pose runs; None: on the detector's regions whenever someone was found."""
        self.tracker = tracker or ByteTracker(frame_interval=1.0 / camera.fps)
        self.gate = gate or MotionGate(MotionDetector())
        self.checks = list(checks)
        self.classes = np.array(list(classes), np.int64)
        self.class_names = class_names
        self.homography = Homography.of_camera(camera)
        self.appearance = appearance or AppearanceSampler()
        """Clothing colour signatures of tracks (never faces), for cross-camera hand-off."""
        self.times = StageTimes()
        self._reported_empty = False

    def process(self, frame: Frame) -> FrameResult:
        times = self.times
        times.frames += 1
        t0 = time.perf_counter()
        frame = self._at_camera_resolution(frame)
        t1 = time.perf_counter()
        plan = self.gate.plan(frame.image, frame.timestamp, self.tracker.active_boxes())
        t2 = time.perf_counter()
        found = self.gate.detect(self.detector.detect, frame.image, plan)
        found = found[np.isin(found.class_id, self.classes)]
        t3 = time.perf_counter()
        if self.pose is not None and len(found):
            regions = plan.regions if self.pose_gate is None else self.pose_gate.regions(found)
            if regions:
                found = _with_keypoints(
                    found, run_on_regions(self.pose.estimate, frame.image, regions)
                )
        t4 = time.perf_counter()
        tracks = self.tracker.update(found, frame.timestamp)
        if self.homography is not None:
            tracks.data["floor_xy"] = floor_positions(tracks, self.homography)
        if len(tracks):
            signatures = self.appearance.update(frame.image, tracks, frame.timestamp)
            tracks.data["appearance"] = object_column(signatures)
        t5 = time.perf_counter()
        check_events = [event for c in self.checks for event in c.check(frame, tracks)]
        t6 = time.perf_counter()
        times.resize += t1 - t0
        times.motion += t2 - t1
        times.detect += t3 - t2
        times.pose += t4 - t3
        times.track += t5 - t4
        times.checks += t6 - t5
        return FrameResult(
            tracks, self._event(frame, tracks), check_events, plan, frame, people=found
        )

    def _at_camera_resolution(self, frame: Frame) -> Frame:
        """Barriers, artwork regions and the homography are in the configured resolution."""
        width, height = self.camera.resolution
        h, w = frame.image.shape[:2]
        if (w, h) == (width, height):
            return frame
        interpolation = cv2.INTER_AREA if w > width else cv2.INTER_LINEAR
        image = cv2.resize(frame.image, (width, height), interpolation=interpolation)
        return replace(frame, image=image)

    def _event(self, frame: Frame, tracks: Detections) -> Detection | None:
        if not len(tracks):
            if self._reported_empty:
                return None
            self._reported_empty = True
        else:
            self._reported_empty = False
        width, height = self.camera.resolution
        return Detection(
            id=event_id("detection", self.camera.id, frame),
            device_id=self.camera.id,
            site_time=frame.timestamp,
            objects=[self._object(tracks, i) for i in range(len(tracks))],
            frame_width=width,
            frame_height=height,
        )

    def _object(self, tracks: Detections, i: int) -> TrackedObject:
        floor = tracks.data.get("floor_xy")
        floor_xy = None
        if floor is not None and np.isfinite(floor[i]).all():
            floor_xy = (round(float(floor[i][0]), 3), round(float(floor[i][1]), 3))
        keypoints = None
        if tracks.keypoints is not None and tracks.keypoints[i, :, 2].max() > 0:
            keypoints = [
                (round(float(x), 1), round(float(y), 1), round(float(s), 3))
                for x, y, s in tracks.keypoints[i]
            ]
        appearance = tracks.data.get("appearance")
        class_id = int(tracks.class_id[i])
        x1, y1, x2, y2 = (round(float(v), 1) for v in tracks.xyxy[i])
        return TrackedObject(
            track_id=int(tracks.tracker_id[i]) if tracks.tracker_id is not None else None,
            class_name=self.class_names.get(class_id, f"class-{class_id}"),
            confidence=round(float(np.clip(tracks.confidence[i], 0.0, 1.0)), 4),
            bbox=(x1, y1, x2, y2),
            floor_xy=floor_xy,
            keypoints=keypoints,
            appearance=appearance[i] if appearance is not None else None,
        )


def event_id(kind: str, camera_id: str, frame: Frame) -> str:
    """The same frame of the same camera always yields the same id, so re-analysing a
    recording (same start time) stores its events once."""
    key = f"{kind}|{camera_id}|{frame.index}|{frame.timestamp.isoformat()}"
    return "v-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def _with_keypoints(found: Detections, poses: Detections) -> Detections:
    """Give each detected person the keypoints of the pose whose box overlaps it best."""
    keypoints = np.zeros((len(found), 17, 3), np.float32)
    if len(poses) and poses.keypoints is not None:
        iou = box_iou(found.xyxy, poses.xyxy)
        rows, cols = linear_sum_assignment(-iou)
        for r, c in zip(rows, cols, strict=True):
            if iou[r, c] >= POSE_MATCH_IOU:
                keypoints[r] = poses.keypoints[c]
    return replace(found, keypoints=keypoints)
