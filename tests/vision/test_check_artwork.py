"""Artwork presence on synthetic gallery frames, and on real artwork photos when the shared data
is there: removed, shifted, swapped, occluded, and unchanged under lighting and noise."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from artguard.events import ArtworkView
from artguard.site import Artwork, Barrier, Camera
from artguard.vision.checks.artwork import ArtworkPresenceCheck, ArtworkThresholds
from artguard.vision.detections import Detections

T0 = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
W, H = 960, 540
X, Y, AW, AH = 300, 150, 240, 176  # where the painting hangs
SHARED_ARTWORKS = Path(__file__).resolve().parents[3] / "shared" / "data" / "artworks"
CAMERA = Camera(
    id="cam-test", name="Test camera", source="rtsp://10.0.0.1/s", rooms=["gallery"],
    resolution=(W, H), fps=5,
)  # fmt: skip
FRAME_POLYGON = [(X, Y), (X + AW, Y), (X + AW, Y + AH), (X, Y + AH)]
ARTWORK = Artwork(
    id="aw-test", title="Test painting", artist="Test", value_tier=4, room="gallery",
    position=(1, 1),
    barriers=[Barrier(camera="cam-test", polygon=FRAME_POLYGON)],
)  # fmt: skip
FAST = ArtworkThresholds(interval_seconds=1.0)


@dataclass(frozen=True)
class Frame:
    index: int
    timestamp: datetime
    image: np.ndarray


def painting(seed: int, flat: bool = False) -> np.ndarray:
    """A textured 'painting' (random strokes), or a near-flat colour field."""
    rng = np.random.default_rng(seed)
    art = np.zeros((AH, AW, 3), np.uint8)
    art[:] = rng.integers(40, 200, 3)
    if flat:  # two soft colour fields, a Rothko-like work with hardly any corners
        art[AH // 2 :] = rng.integers(40, 200, 3)
        return cv2.GaussianBlur(art, (0, 0), 12)
    for _ in range(70):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        cx, cy = int(rng.integers(0, AW)), int(rng.integers(0, AH))
        if rng.random() < 0.5:
            cv2.circle(art, (cx, cy), int(rng.integers(3, 40)), colour, -1)
        else:
            end = (int(rng.integers(0, AW)), int(rng.integers(0, AH)))
            cv2.line(art, (cx, cy), end, colour, int(rng.integers(1, 6)))
    return cv2.GaussianBlur(art, (3, 3), 0)


def wall() -> np.ndarray:
    shade = np.linspace(165, 200, H, dtype=np.float32)[:, None]
    img = np.repeat(np.repeat(shade, W, axis=1)[:, :, None], 3, axis=2)
    img[int(H * 0.78) :] *= 0.55
    texture = np.random.default_rng(99).normal(0, 3, (H, W, 1))
    return np.clip(img + texture, 0, 255).astype(np.uint8)


WALL = wall()


def hang(art: np.ndarray | None, dx: int = 0, dy: int = 0) -> np.ndarray:
    scene = WALL.copy()
    if art is not None:
        scene[Y + dy : Y + dy + AH, X + dx : X + dx + AW] = art
    return scene


NOISE = [np.random.default_rng(n).normal(0, 2.0, (H, W, 3)).astype(np.float32) for n in range(5)]


def shot(scene: np.ndarray, i: int, gain: float = 1.0) -> np.ndarray:
    """The camera's picture: lighting gain, sensor noise, JPEG compression."""
    img = np.clip(scene.astype(np.float32) * gain + NOISE[i % len(NOISE)], 0, 255).astype(np.uint8)
    _, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    return cv2.imdecode(data, cv2.IMREAD_COLOR)


NOBODY = Detections.empty()


def in_front() -> Detections:
    """A visitor standing in front of the painting."""
    return Detections(
        xyxy=np.array([[X + 100, Y + 50, X + 200, H - 20]]), confidence=[0.9], class_id=[0]
    )


def run(
    check: ArtworkPresenceCheck,
    scene: Callable[[int], np.ndarray],
    seconds: float,
    start_s: float,
    detections: Detections = NOBODY,
) -> list[ArtworkView]:
    events = []
    for i in range(round(seconds)):
        t = start_s + i
        frame = Frame(int(t), T0 + timedelta(seconds=t), scene(int(t)))
        found = check.check(frame, detections)
        assert all(isinstance(e, ArtworkView) for e in found)
        events.extend(found)  # type: ignore[arg-type]
    return events


def watched(tmp_path: Path, art: np.ndarray, warmup: int = 6, **kw: object) -> ArtworkPresenceCheck:
    check = ArtworkPresenceCheck(CAMERA, [ARTWORK], tmp_path, thresholds=FAST, **kw)  # type: ignore[arg-type]
    assert run(check, lambda i: shot(hang(art), i), warmup, 0.0) == []  # reference, then present
    return check


def test_an_unchanged_artwork_raises_nothing_under_noise_and_lighting(tmp_path: Path) -> None:
    art = painting(1)
    check = watched(tmp_path, art)
    assert run(check, lambda i: shot(hang(art), i, gain=0.7), 20, 10.0) == []
    assert run(check, lambda i: shot(hang(art, dx=3, dy=2), i), 20, 30.0) == []  # jitter


def test_a_removed_artwork_is_missing_with_before_and_after_crops(tmp_path: Path) -> None:
    art = painting(2)
    check = watched(tmp_path, art)
    events = run(check, lambda i: shot(hang(None), i), 10, 10.0)
    assert len(events) == 1
    event = events[0]
    assert (event.status, event.artwork_id, event.device_id) == ("missing", "aw-test", "cam-test")
    assert event.site_time == T0 + timedelta(seconds=12)  # three checks in a row agree
    assert event.similarity < 0.05 and event.shift_px is None
    assert event.before_image and event.after_image
    assert event.before_image.startswith("snapshots/artworks/cam-test_aw-test_")
    before = cv2.imread(str(tmp_path / event.before_image))
    after = cv2.imread(str(tmp_path / event.after_image))
    assert before.shape[:2] == (AH, AW)  # the reference crop
    assert after.shape[:2] == (AH + 2 * 44, AW + 2 * 60)  # the search window
    assert abs(float(before.mean()) - float(art.mean())) < 5
    # Back in place: reported present again, with no crops.
    back = run(check, lambda i: shot(hang(art), i), 10, 20.0)
    assert [(e.status, e.before_image) for e in back] == [("present", None)]


def test_a_shifted_artwork_is_moved_with_its_displacement(tmp_path: Path) -> None:
    art = painting(3)
    check = watched(tmp_path, art)
    events = run(check, lambda i: shot(hang(art, dx=40, dy=-15), i), 10, 10.0)
    assert [e.status for e in events] == ["moved"]
    assert events[0].shift_px == pytest.approx(42.7, abs=2.0)  # hypot(40, 15)
    assert events[0].similarity > 0.3


def test_a_swapped_artwork_is_missing(tmp_path: Path) -> None:
    check = watched(tmp_path, painting(4))
    assert [e.status for e in run(check, lambda i: shot(hang(painting(5)), i), 10, 10.0)] == [
        "missing"
    ]


def test_nothing_is_judged_while_someone_stands_in_front(tmp_path: Path) -> None:
    check = watched(tmp_path, painting(6))
    # The painting is gone, but a visitor's box overlaps the region: no check, no crop.
    assert run(check, lambda i: shot(hang(None), i), 30, 10.0, in_front()) == []
    assert not (tmp_path / "snapshots").exists()


def test_one_odd_check_does_not_report(tmp_path: Path) -> None:
    art = painting(7)
    check = watched(tmp_path, art)
    flicker = {12, 15}  # two isolated checks see an empty wall (a reflection, a glitch)
    assert run(check, lambda i: shot(hang(None if i in flicker else art), i), 10, 10.0) == []


def test_a_covered_camera_is_not_a_missing_artwork(tmp_path: Path) -> None:
    check = watched(tmp_path, painting(8))
    assert run(check, lambda i: np.full((H, W, 3), 10, np.uint8), 10, 10.0) == []


def test_feature_poor_works_fall_back_to_correlation(tmp_path: Path) -> None:
    art = painting(9, flat=True)
    check = watched(tmp_path, art)
    assert run(check, lambda i: shot(hang(art), i, gain=0.8), 10, 10.0) == []
    moved = run(check, lambda i: shot(hang(art, dx=-50), i), 10, 20.0)
    assert [e.status for e in moved] == ["moved"]
    gone = run(check, lambda i: shot(hang(None), i), 10, 30.0)
    assert [e.status for e in gone] == ["missing"]


def test_the_reference_survives_a_restart(tmp_path: Path) -> None:
    art = painting(10)
    watched(tmp_path, art)
    assert (tmp_path / "references" / "artworks" / "cam-test" / "aw-test.png").is_file()
    # Restarted after a theft: the stored reference still shows the painting.
    again = ArtworkPresenceCheck(CAMERA, [ARTWORK], tmp_path, thresholds=FAST)
    assert [e.status for e in run(again, lambda i: shot(hang(None), i), 10, 100.0)] == ["missing"]


def test_orb_works_too(tmp_path: Path) -> None:
    art = painting(11)
    check = watched(tmp_path, art, method="orb")
    assert [e.status for e in run(check, lambda i: shot(hang(None), i), 10, 10.0)] == ["missing"]


def real_artworks() -> list[Path]:
    return sorted(
        p for p in SHARED_ARTWORKS.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
    )


@pytest.mark.slow
@pytest.mark.skipif(not SHARED_ARTWORKS.is_dir(), reason=f"shared data absent: {SHARED_ARTWORKS}")
def test_real_artwork_photos(tmp_path: Path) -> None:
    """Every photo in the shared artworks folder hung on the synthetic wall: the same work
    under dimmer light, removed, swapped for the next photo, and shifted by 30 px."""
    photos = real_artworks()
    assert len(photos) >= 10
    arts = [cv2.resize(cv2.imread(str(p)), (AW, AH), interpolation=cv2.INTER_AREA) for p in photos]
    right = total = 0
    for k, art in enumerate(arts):
        cases: list[tuple[np.ndarray | None, int, float, str | None]] = [
            (art, 0, 0.75, None),  # unchanged, dimmer: nothing to report
            (None, 0, 1.0, "missing"),
            (arts[(k + 1) % len(arts)], 0, 1.0, "missing"),
            (art, 30, 1.0, "moved"),
        ]
        for j, (shown, dx, gain, expected) in enumerate(cases):
            folder = tmp_path / f"{k}-{j}"
            check = watched(folder, art, warmup=2)
            events = run(check, lambda i, s=shown, d=dx, g=gain: shot(hang(s, dx=d), i, g), 4, 10.0)
            got = events[-1].status if events else None
            total += 1
            right += got == expected
    assert right == total, f"{right} of {total} cases right"
