"""Motion detection and the gate in front of the detector, on synthetic frames."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.motion import MotionDetector, MotionGate, nms, run_on_regions

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
W, H = 1280, 720


BACKGROUND = np.kron(
    np.random.default_rng(42).integers(60, 120, (H // 8, W // 8, 3), dtype=np.uint8),
    np.ones((8, 8, 1), np.uint8),
)


def scene(seed: int = 0) -> Image:
    """A textured static background with a little sensor noise per frame."""
    noise = np.random.default_rng(seed).integers(0, 7, BACKGROUND.shape, dtype=np.uint8)
    return BACKGROUND + noise  # values stay within 60..126: no overflow


def with_square(image: Image, x: int, y: int, size: int = 80) -> Image:
    out = image.copy()
    out[y : y + size, x : x + size] = (240, 240, 240)
    return out


class CountingDetector:
    """Records the crops it is given; finds the bright square, if any, in each."""

    name = "counting-test"

    def __init__(self) -> None:
        self.crops: list[tuple[int, int]] = []

    def detect(self, image: Image) -> Detections:
        self.crops.append(image.shape[:2])
        ys, xs = np.nonzero(image.min(axis=2) > 200)
        if not len(xs):
            return Detections.empty()
        box = [[xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]]
        return Detections(xyxy=np.array(box), confidence=np.array([0.9]), class_id=np.zeros(1))


def at(i: int) -> datetime:
    return T0 + timedelta(seconds=i * 0.2)


def test_static_scene_never_runs_the_detector_after_the_first_look() -> None:
    gate = MotionGate(MotionDetector(), refresh_seconds=None)
    detector = CountingDetector()
    for i in range(50):
        frame = scene(i)
        gate.detect(detector.detect, frame, gate.plan(frame, at(i)))
    assert detector.crops == []
    assert gate.counters.frames == 50
    assert gate.counters.frames_with_motion == 0
    assert gate.counters.frames_skipped_fraction == 1.0
    assert gate.counters.pixels_saved_fraction == 1.0


def test_periodic_full_frame_look_catches_someone_already_standing_still() -> None:
    gate = MotionGate(MotionDetector(), refresh_seconds=4.0)
    still = with_square(scene(), 600, 300)
    full = [gate.plan(still, at(i)).full_frame for i in range(50)]  # 10 s at 5 fps
    assert [i for i, f in enumerate(full) if f] == [0, 20, 40]


def test_moving_square_runs_the_detector_only_on_its_region() -> None:
    gate = MotionGate(MotionDetector(), refresh_seconds=None, min_region=200)
    detector = CountingDetector()
    gate.plan(scene(0), at(0))  # learn the background
    for i in range(1, 11):
        x, y = 100 + 20 * i, 400
        frame = with_square(scene(i), x, y)
        plan = gate.plan(frame, at(i))
        assert len(plan.regions) == 1 and not plan.full_frame
        rx1, ry1, rx2, ry2 = plan.regions[0]
        assert rx1 <= x and ry1 <= y and rx2 >= x + 80 and ry2 >= y + 80, plan.regions
        found = gate.detect(detector.detect, frame, plan)
        assert np.allclose(found.xyxy[0], [x, y, x + 80, y + 80])  # back in frame pixels
    counters = gate.counters
    assert counters.frames_with_motion == 10
    assert counters.detector_runs == 10
    assert counters.full_frame_runs == 0
    assert all(h * w < 0.15 * W * H for h, w in detector.crops)
    assert counters.pixels_saved_fraction > 0.85


def test_tracked_boxes_are_looked_at_even_without_motion() -> None:
    """A visitor standing still in front of a painting must stay tracked."""
    gate = MotionGate(MotionDetector(), refresh_seconds=None)
    frame = scene(0)
    gate.plan(frame, at(0))
    assert gate.plan(frame, at(1)).regions == []
    plan = gate.plan(frame, at(2), tracked=np.array([[600, 300, 680, 500]], np.float32))
    ((x1, y1, x2, y2),) = plan.regions
    assert x1 <= 600 and y1 <= 300 and x2 >= 680 and y2 >= 500
    assert (x2 - x1) == (y2 - y1) == 300  # square: the box's height plus 25 % each side


def test_large_or_scattered_motion_falls_back_to_one_full_frame_run() -> None:
    gate = MotionGate(MotionDetector(), refresh_seconds=None, max_regions=2, min_region=128)
    gate.plan(scene(0), at(0))
    scattered = scene(1)
    for x in (50, 450, 850, 1150):
        scattered = with_square(scattered, x, 50, size=60)
    assert gate.plan(scattered, at(1)).full_frame
    lights_on = np.full((H, W, 3), 250, np.uint8)
    plan = gate.plan(lights_on, at(2))
    assert plan.full_frame and plan.regions == [(0, 0, W, H)]
    assert gate.plan(lights_on, at(3)).regions == []  # background restarted from the new scene


def test_disabled_gate_runs_every_frame_in_full_and_still_counts() -> None:
    gate = MotionGate.disabled()
    detector = CountingDetector()
    for i in range(5):
        gate.detect(detector.detect, scene(i), gate.plan(scene(i), at(i)))
    assert detector.crops == [(H, W)] * 5
    assert gate.counters.frames_skipped_fraction == 0.0
    assert gate.counters.pixels_saved_fraction == 0.0


def test_overlapping_regions_are_merged_and_duplicates_suppressed() -> None:
    image = with_square(scene(0), 500, 300)
    regions = [(400, 200, 620, 420), (480, 280, 700, 500)]  # both contain the square
    found = run_on_regions(CountingDetector().detect, image, regions)
    assert len(found) == 1
    assert np.allclose(found.xyxy[0], [500, 300, 580, 380])
    two_classes = Detections(
        xyxy=np.array([[0, 0, 10, 10], [1, 1, 10, 10], [0, 0, 10, 10]]),
        confidence=np.array([0.9, 0.8, 0.7]),
        class_id=np.array([0, 0, 1]),
    )
    assert nms(two_classes).confidence.tolist() == np.float32([0.9, 0.7]).tolist()
