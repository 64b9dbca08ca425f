"""The per-camera frame ring: windows, lookups by event id and by time, clip frames, threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import cv2
import numpy as np
import pytest

from artguard.evidence.ring import CLIP_MAX_WIDTH, FrameRing, FrameRings, scale_tracks
from artguard.vision.detections import Detections

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def tracks(*boxes: tuple[float, float, float, float]) -> Detections:
    return Detections(
        xyxy=np.asarray(boxes, np.float32).reshape(-1, 4),
        confidence=np.ones(len(boxes)),
        class_id=np.zeros(len(boxes)),
        tracker_id=np.arange(1, len(boxes) + 1),
    )


def image(value: int, width: int = 320, height: int = 240) -> np.ndarray:
    return np.full((height, width, 3), value, np.uint8)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def fill(ring: FrameRing, frames: int, fps: float = 5.0) -> None:
    for i in range(frames):
        ring.push(at(i / fps), image(i), tracks((10, 10, 50, 100)), f"ev-{i}")


def test_only_the_last_buffer_seconds_are_kept() -> None:
    ring = FrameRing(buffer_seconds=1.0)
    fill(ring, 20)  # 4 s at 5 fps
    assert len(ring) == 6  # 3.0 .. 3.8 s, and 2.8 s exactly one second before the newest
    assert ring.latest_time() == at(3.8)
    assert ring.find(at(0.0)) is None
    assert ring.memory_bytes() == 6 * 320 * 240 * 3


def test_find_prefers_the_triggering_event_then_the_nearest_time() -> None:
    ring = FrameRing(buffer_seconds=2.0)
    fill(ring, 10)
    by_id = ring.find(at(9.0), ["ev-3", "ev-7"])  # the last source event is the firing frame
    assert by_id is not None and by_id.event_id == "ev-7" and int(by_id.image[0, 0, 0]) == 7
    by_time = ring.find(at(1.05), ["gone"], tolerance_s=0.5)
    assert by_time is not None and by_time.event_id == "ev-5"
    assert ring.find(at(5.0), tolerance_s=0.5) is None  # nothing within half a second


def test_a_source_that_starts_over_empties_the_ring() -> None:
    ring = FrameRing(buffer_seconds=5.0)
    fill(ring, 5)
    ring.push(at(0.1), image(99), tracks(), "again")
    assert len(ring) == 1 and ring.find(at(0.1)).event_id == "again"  # type: ignore[union-attr]


def test_clip_frames_are_scaled_jpegs_with_scaled_tracks() -> None:
    ring = FrameRing(buffer_seconds=0.5, clip_seconds=3.0)
    big = np.zeros((720, 1280, 3), np.uint8)
    cv2.rectangle(big, (100, 100), (300, 500), (255, 255, 255), -1)
    for i in range(20):
        ring.push(at(i * 0.2), big, tracks((100, 100, 300, 500)))
    frames = ring.clip_frames(at(2.0), at(3.0))
    assert [f.timestamp for f in frames] == [at(2.0 + 0.2 * k) for k in range(6)]
    clip = frames[0]
    assert clip.scale == pytest.approx(CLIP_MAX_WIDTH / 1280)
    decoded = clip.image()
    assert decoded.shape == (360, 640, 3)
    np.testing.assert_allclose(clip.tracks.xyxy, [[50, 50, 150, 250]])
    assert decoded[150, 100].min() > 200 and decoded[300, 400].max() < 50
    assert len(ring) == 3  # full frames: only the last half second
    assert ring.memory_bytes() < 3 * big.nbytes + 20 * 50_000


def test_scale_tracks_scales_keypoints_but_not_their_scores() -> None:
    t = tracks((10, 20, 30, 40))
    t.keypoints = np.array([[[10.0, 20.0, 0.9]] * 17], np.float32)
    half = scale_tracks(t, 0.5)
    np.testing.assert_allclose(half.xyxy, [[5, 10, 15, 20]])
    np.testing.assert_allclose(half.keypoints[0, 0], [5, 10, 0.9])  # type: ignore[index]
    np.testing.assert_allclose(t.keypoints[0, 0], [10, 20, 0.9])  # the original is untouched


def test_bad_settings_and_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="buffer_seconds"):
        FrameRing(buffer_seconds=0)
    with pytest.raises(ValueError, match="clip_seconds"):
        FrameRing(clip_seconds=-1)
    with pytest.raises(ValueError, match="timezone"):
        FrameRing().push(datetime(2026, 1, 1), image(0), tracks())


def test_pushing_from_a_camera_thread_while_reading_is_safe() -> None:
    rings = FrameRings(buffer_seconds=1.0, clip_seconds=1.0)
    stop = threading.Event()
    errors: list[BaseException] = []

    def camera() -> None:
        i = 0
        while not stop.is_set() and i < 2000:
            rings.push("cam-1", at(i * 0.01), image(i % 255, 64, 48), tracks((1, 1, 5, 5)))
            i += 1

    thread = threading.Thread(target=camera)
    thread.start()
    try:
        for _ in range(300):
            ring = rings.get("cam-1")
            if ring is not None:
                latest = ring.latest_time()
                if latest is not None:
                    ring.find(latest, tolerance_s=0.1)
                    ring.clip_frames(latest - timedelta(seconds=1), latest)
                    rings.stats()
    except BaseException as exc:  # pragma: no cover - only on failure
        errors.append(exc)
    finally:
        stop.set()
        thread.join()
    assert not errors
    ring = rings.get("cam-1")
    assert ring is not None and len(ring) <= 101
    assert rings.stats()["cameras"] == 1
