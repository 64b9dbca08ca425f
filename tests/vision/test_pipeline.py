"""CameraPipeline on synthetic frames, with a stand-in detector that finds bright blobs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cv2
import numpy as np

from artguard.events import ArtworkView, EventBase
from artguard.site.entities import Camera
from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.geometry import Homography
from artguard.vision.motion import MotionDetector, MotionGate
from artguard.vision.pipeline import CameraPipeline, FrameCheck, event_id
from artguard.vision.sources import Frame

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
W, H = 640, 360


class BlobDetector:
    """Stand-in for the neural detector: every bright blob is a 'person' (score 0.9)."""

    name = "blob-test"

    def __init__(self, extra_class: int | None = None) -> None:
        self.calls = 0
        self.extra_class = extra_class

    def detect(self, image: Image) -> Detections:
        self.calls += 1
        mask = (image.min(axis=2) > 200).astype(np.uint8)
        count, _, stats, _ = cv2.connectedComponentsWithStats(mask)
        boxes = [[x, y, x + w, y + h] for x, y, w, h, area in stats[1:count] if area >= 20]
        n = len(boxes)
        if not n:
            return Detections.empty()
        class_id = np.zeros(n, np.int64)
        if self.extra_class is not None:  # report each blob twice: as a person and as another
            boxes = boxes + boxes
            class_id = np.concatenate([class_id, np.full(n, self.extra_class)])
        return Detections(
            xyxy=np.array(boxes, np.float32), confidence=np.full(len(boxes), 0.9), class_id=class_id
        )


def blank(width: int = W, height: int = H) -> Image:
    return np.full((height, width, 3), 60, np.uint8)


def walker_frame(i: int, width: int = W, height: int = H) -> Image:
    """A 'person' (bright 30 x 90 box, scaled to the frame) walking right."""
    image = blank(width, height)
    sx, sy = width / W, height / H
    x = 50 + 10 * i
    image[int(200 * sy) : int(290 * sy), int(x * sx) : int((x + 30) * sx)] = 255
    return image


def camera(**extra: object) -> Camera:
    return Camera(
        id="cam-1",
        name="Gallery camera",
        source="rtsp://127.0.0.1/cam1",
        rooms=["gallery"],
        resolution=(W, H),
        **extra,
    )


def frame(i: int, image: Image) -> Frame:
    return Frame(i, T0 + timedelta(seconds=i * 0.2), image)


def test_walker_gets_one_stable_track_with_floor_position() -> None:
    floor = Homography.from_points(
        [[0, 360], [640, 360], [640, 0], [0, 0]], [[10, 0], [20, 0], [20, 10], [10, 10]]
    )
    cam = camera(homography=tuple(tuple(r) for r in floor.matrix.tolist()))
    pipeline = CameraPipeline(cam, BlobDetector())
    events = []
    for i in range(20):
        result = pipeline.process(frame(i, walker_frame(i)))
        events.extend(result.events)
    detections = [e for e in events if e.kind == "detection"]
    assert detections[-1].objects, "the walker is reported"
    ids = {o.track_id for e in detections for o in e.objects}
    assert ids == {1}
    last = detections[-1].objects[0]
    x = 50 + 10 * 19
    assert last.bbox == (x, 200, x + 30, 290)
    assert last.class_name == "person" and last.confidence == 0.9
    foot_x, foot_y = (x + 15) / 640 * 10 + 10, (360 - 290) / 360 * 10
    assert last.floor_xy == (round(foot_x, 3), round(foot_y, 3))
    assert detections[-1].device_id == "cam-1"
    assert detections[-1].site_time == T0 + timedelta(seconds=19 * 0.2)
    assert (detections[-1].frame_width, detections[-1].frame_height) == (W, H)


def test_empty_scene_is_reported_once_then_silence() -> None:
    pipeline = CameraPipeline(camera(), BlobDetector())
    results = [pipeline.process(frame(i, walker_frame(i))) for i in range(5)]
    results += [pipeline.process(frame(i, blank())) for i in range(5, 12)]
    results += [pipeline.process(frame(12, walker_frame(12)))]
    reported = [
        (r.detection is not None, bool(r.detection and r.detection.objects)) for r in results
    ]
    # frame 0: first sighting, not yet confirmed -> the (initially) empty scene is reported
    assert reported[0] == (True, False)
    assert all(r == (True, True) for r in reported[1:5])
    assert reported[5] == (True, False)  # the walker left: said once
    assert all(r == (False, False) for r in reported[6:12])
    # back where the tracker expected it within the lost-track buffer: same id at once
    again = results[12].detection
    assert again is not None and [o.track_id for o in again.objects] == [1]


def test_motion_gate_skips_the_detector_on_a_static_scene() -> None:
    detector = BlobDetector()
    gate = MotionGate(MotionDetector(), refresh_seconds=None)
    pipeline = CameraPipeline(camera(), detector, gate=gate)
    for i in range(20):
        pipeline.process(frame(i, blank()))
    assert detector.calls == 0
    for i in range(20, 25):
        pipeline.process(frame(i, walker_frame(i)))
    assert detector.calls >= 4
    ungated = BlobDetector()
    plain = CameraPipeline(camera(), ungated, gate=MotionGate.disabled())
    for i in range(20):
        plain.process(frame(i, blank()))
    assert ungated.calls == 20


def test_frames_are_analysed_at_the_camera_resolution() -> None:
    """Barriers and the homography are drawn at the configured resolution; a 2x stream is
    scaled down before analysis."""
    pipeline = CameraPipeline(camera(), BlobDetector())
    for i in range(5):
        result = pipeline.process(frame(i, walker_frame(i, 2 * W, 2 * H)))
    x1, y1, _x2, y2 = result.tracks.xyxy[0]
    assert abs(x1 - (50 + 40)) <= 1 and abs(y1 - 200) <= 1 and abs(y2 - 290) <= 1


def test_other_classes_are_left_out() -> None:
    pipeline = CameraPipeline(camera(), BlobDetector(extra_class=56))  # 56: chair
    for i in range(4):
        result = pipeline.process(frame(i, walker_frame(i)))
    assert result.detection is not None
    assert [o.class_name for o in result.detection.objects] == ["person"]


class RecordingCheck:
    """A frame check that sees what checks see and reports an artwork each frame."""

    def __init__(self) -> None:
        self.seen: list[tuple[tuple[int, ...], list[int]]] = []

    def check(self, frame: Frame, detections: Detections) -> list[EventBase]:
        ids = [] if detections.tracker_id is None else detections.tracker_id.tolist()
        self.seen.append((frame.image.shape, ids))
        return [
            ArtworkView(
                device_id="cam-1",
                site_time=frame.timestamp,
                artwork_id="aw-1",
                status="present",
                similarity=0.97,
            )
        ]


def test_frame_checks_plug_in_and_their_events_follow_the_detection() -> None:
    check: FrameCheck = RecordingCheck()
    pipeline = CameraPipeline(camera(), BlobDetector(), checks=[check])
    for i in range(3):
        result = pipeline.process(frame(i, walker_frame(i, 2 * W, 2 * H)))
    assert [e.kind for e in result.events] == ["detection", "artwork_view"]
    assert isinstance(check, RecordingCheck)
    assert check.seen == [((H, W, 3), []), ((H, W, 3), [1]), ((H, W, 3), [1])]


class FakePose:
    name = "pose-test"

    def estimate(self, image: Image) -> Detections:
        found = BlobDetector().detect(image)
        keypoints = np.zeros((len(found), 17, 3), np.float32)
        for k, (x1, y1, x2, y2) in enumerate(found.xyxy):
            keypoints[k, :, 0] = (x1 + x2) / 2
            keypoints[k, :, 1] = np.linspace(y1, y2, 17)
            keypoints[k, :, 2] = 0.8
        return Detections(found.xyxy, found.confidence, found.class_id, keypoints=keypoints)


def test_pose_keypoints_reach_the_tracked_objects_in_frame_pixels() -> None:
    pipeline = CameraPipeline(camera(), BlobDetector(), pose=FakePose())
    for i in range(3):
        result = pipeline.process(frame(i, walker_frame(i)))
    (obj,) = result.detection.objects  # type: ignore[union-attr]
    assert obj.keypoints is not None and len(obj.keypoints) == 17
    x = 50 + 10 * 2
    assert obj.keypoints[0] == (x + 15, 200.0, 0.8)
    assert obj.keypoints[-1] == (x + 15, 290.0, 0.8)


def test_event_ids_are_stable_for_the_same_frame() -> None:
    a = frame(3, blank())
    assert event_id("detection", "cam-1", a) == event_id("detection", "cam-1", frame(3, blank()))
    assert event_id("detection", "cam-1", a) != event_id("detection", "cam-2", a)
    assert event_id("detection", "cam-1", a) != event_id("detection", "cam-1", frame(4, blank()))
