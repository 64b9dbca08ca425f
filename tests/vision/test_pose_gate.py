"""Pose only where it matters: people near a barrier, on cameras with barriers, one shared
model; live cameras get it from ``start_cameras``."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from artguard.config import Settings
from artguard.events import Detection
from artguard.runtime import Runtime
from artguard.site import load_site
from artguard.site.entities import Artwork, Barrier
from artguard.vision import service
from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.pipeline import CameraPipeline
from artguard.vision.pose_gate import PoseGate, SharedPose
from artguard.vision.service import start_cameras, stop_cameras
from tests.conftest import SMALL_SITE
from tests.vision.test_pipeline import BlobDetector, FakePose, H, W, camera, frame, walker_frame
from tests.vision.test_worker import stored

# The walker's box in frame i is x 50+10i .. 80+10i, y 200..290 (see walker_frame).
BARRIER = [[300, 180], [360, 180], [360, 300], [300, 300]]


def artwork(barriers: list[list[list[int]]], camera_id: str = "cam-1") -> Artwork:
    return Artwork(
        id="aw-1",
        title="Test Painting",
        artist="Test Artist",
        value_tier=3,
        room="gallery",
        position=(15, 0.5),
        barriers=[Barrier(camera=camera_id, polygon=p) for p in barriers],
    )


def people(*boxes: tuple[float, float, float, float], class_id: int = 0) -> Detections:
    return Detections(
        xyxy=np.array(boxes, np.float32),
        confidence=np.full(len(boxes), 0.9, np.float32),
        class_id=np.full(len(boxes), class_id, np.int64),
    )


class CountingPose(FakePose):
    """FakePose that records the size of every image it was given."""

    def __init__(self) -> None:
        self.shapes: list[tuple[int, ...]] = []

    def estimate(self, image: Image) -> Detections:
        self.shapes.append(image.shape)
        return super().estimate(image)


def test_no_barrier_on_the_camera_means_no_gate() -> None:
    assert PoseGate.for_camera(camera(), []) is None
    assert PoseGate.for_camera(camera(), [artwork([BARRIER], camera_id="cam-2")]) is None
    with pytest.raises(ValueError, match="at least one barrier"):
        PoseGate([], (W, H))


def test_only_people_near_a_barrier_get_a_crop() -> None:
    gate = PoseGate.for_camera(camera(), [artwork([BARRIER])])
    assert gate is not None
    # Barrier box 300..360 x 180..300, grown by max(0.25 * 120, 24) = 30 px: 270..390.
    far = (100.0, 200.0, 130.0, 290.0)
    near = (250.0, 200.0, 280.0, 290.0)  # meets the grown box, not the barrier itself
    assert gate.regions(people(far)) == []
    (region,) = gate.regions(people(far, near))
    x1, y1, x2, y2 = region
    assert x1 <= 250 and x2 >= 280 and y1 <= 200 and y2 >= 290, "the crop holds the person"
    assert x2 - x1 == y2 - y1 == 126, "square: the box's larger side plus 20 % each side"
    assert gate.regions(people(near, class_id=2)) == [], "only people"
    assert gate.counters.as_dict() == {"frames": 3, "frames_with_pose": 1, "pose_runs": 1}


def test_crops_of_people_side_by_side_are_merged_and_stay_in_the_frame() -> None:
    gate = PoseGate([(600.0, 200.0, 640.0, 360.0)], (W, H))
    regions = gate.regions(people((560.0, 250.0, 600.0, 350.0), (590.0, 250.0, 630.0, 350.0)))
    (region,) = regions
    assert region[0] >= 0 and region[2] <= W and region[3] <= H


def test_people_apart_near_two_barriers_share_one_crop() -> None:
    gate = PoseGate([(20.0, 100.0, 80.0, 200.0), (500.0, 100.0, 560.0, 200.0)], (W, H))
    left, right = (40.0, 120.0, 70.0, 210.0), (520.0, 120.0, 550.0, 210.0)
    (region,) = gate.regions(people(left, right))
    x1, y1, x2, y2 = region
    assert x1 <= 40 and x2 >= 550 and y1 <= 120 and y2 >= 210, "both people in the one crop"
    assert x1 >= 0 and x2 <= W and y2 <= H
    two = PoseGate([(20.0, 100.0, 80.0, 200.0), (500.0, 100.0, 560.0, 200.0)], (W, H), max_crops=2)
    assert len(two.regions(people(left, right))) == 2


def test_pipeline_runs_pose_only_when_the_walker_nears_the_barrier() -> None:
    pose = CountingPose()
    cam = camera()
    pipeline = CameraPipeline(
        cam,
        BlobDetector(),
        pose=pose,
        pose_gate=PoseGate.for_camera(cam, [artwork([BARRIER])]),
    )
    with_keypoints = []
    for i in range(30):
        result = pipeline.process(frame(i, walker_frame(i)))
        assert isinstance(result.detection, Detection) or result.detection is None
        objects = result.detection.objects if result.detection else []
        with_keypoints.append(any(o.keypoints for o in objects))
        if i == 10:
            assert not pose.shapes, "far from the barrier: no pose at all"
    # The walker's box (x 50+10i .. 80+10i) meets the grown barrier (270..390) for i 19..29.
    assert with_keypoints[:19] == [False] * 19
    assert all(with_keypoints[20:]), "near the barrier every frame has keypoints"
    assert pose.shapes and all(s[0] == s[1] < H for s in pose.shapes), "square crops, not frames"
    assert pipeline.pose_gate is not None
    assert pipeline.pose_gate.counters.pose_runs == len(pose.shapes)
    assert pipeline.times.pose > 0


def test_shared_pose_serialises_calls() -> None:
    inside = 0
    most = 0
    lock = threading.Lock()

    class Slow(FakePose):
        def estimate(self, image: Image) -> Detections:
            nonlocal inside, most
            with lock:
                inside += 1
                most = max(most, inside)
            time.sleep(0.01)
            with lock:
                inside -= 1
            return super().estimate(image)

    shared = SharedPose(Slow())
    image = walker_frame(0)
    threads = [threading.Thread(target=shared.estimate, args=(image,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert most == 1 and shared.name == "pose-test"


def barrier_site(tmp_path: Path, video: Path) -> Path:
    text = SMALL_SITE.read_text(encoding="utf-8")
    text = text.replace("source: rtsp://127.0.0.1/cam1", f"source: {video}")
    text = text.replace("resolution: [1280, 720]", f"resolution: [{W}, {H}]")
    text = text.replace(
        "    barriers: []",
        f"    barriers: [{{camera: cam-1, polygon: {BARRIER}}}]",
        1,
    )
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def walker_video(tmp_path: Path) -> Path:
    import cv2

    path = tmp_path / "walker.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25, (W, H))
    for i in range(75):  # analysed at 5 fps: every 5th frame, the walker 10 px further on
        writer.write(walker_frame(12 + i // 5))
    writer.release()
    return path


async def test_live_camera_with_a_barrier_sends_keypoints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    monkeypatch.delenv("ARTGUARD_POSE", raising=False)
    loaded: list[CountingPose] = []

    def load_pose() -> CountingPose:
        loaded.append(CountingPose())
        return loaded[-1]

    monkeypatch.setattr(service, "load_pose", load_pose)
    site = load_site(barrier_site(tmp_path, walker_video(tmp_path)))
    assert site.artworks[0].barriers, "the fixture edit took"
    runtime = Runtime(Settings(data_dir=tmp_path / "var"), site, live_clock=False)
    async with runtime:
        manager = start_cameras(runtime, detector=BlobDetector())
        try:
            pipeline = manager.workers["cam-1"].pipeline
            assert isinstance(pipeline.pose, SharedPose) and pipeline.pose_gate is not None
            for _ in range(200):
                await asyncio.sleep(0.05)
                if pipeline.pose_gate.counters.pose_runs >= 3:
                    break
        finally:
            await stop_cameras(manager)
        events = await stored(runtime, ["detection"])
    assert len(loaded) == 1, "one model for the site"
    keypointed = [o for e in events for o in e.objects if o.keypoints]  # type: ignore[attr-defined]
    assert keypointed and len(keypointed[0].keypoints or []) == 17


async def test_no_barrier_or_pose_off_loads_no_pose_model(
    tmp_path: Path, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)

    def no_model() -> None:
        raise AssertionError("the pose model must not be loaded")

    monkeypatch.setattr(service, "load_pose", no_model)
    manager = start_cameras(runtime, detector=BlobDetector())  # the small site: no barriers
    assert manager.workers["cam-1"].pipeline.pose is None
    await stop_cameras(manager)

    monkeypatch.setenv("ARTGUARD_POSE", "off")
    site = load_site(barrier_site(tmp_path, walker_video(tmp_path)))
    other = Runtime(Settings(data_dir=tmp_path / "var2"), site, live_clock=False)
    async with other:
        manager = start_cameras(other, detector=BlobDetector())
        assert manager.workers["cam-1"].pipeline.pose is None
        await stop_cameras(manager)
    assert not service.pose_enabled({"ARTGUARD_POSE": "OFF"})
    assert service.pose_enabled({})
