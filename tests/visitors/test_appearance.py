"""Colour signatures of clothing: what they contain, how they are sent, and that on real
footage the same person stays closer to themselves than to other people."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest

from artguard.site import load_site
from artguard.vision.appearance import (
    SIGNATURE_LENGTH,
    AppearanceSampler,
    distance,
    signature,
)
from artguard.vision.detections import Detections
from tests.visitors.helpers import VISITORS_SITE

VTEST = Path(__file__).resolve().parents[3] / "shared" / "data" / "video" / "vtest.avi"
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def person(shirt_bgr: tuple[int, int, int], trousers_bgr: tuple[int, int, int]) -> np.ndarray:
    """A 100x200 image: a skin-coloured head, then a shirt, then trousers, on grey."""
    image = np.full((200, 100, 3), 128, np.uint8)
    image[0:36] = (140, 170, 220)  # head
    image[36:110] = shirt_bgr
    image[110:200] = trousers_bgr
    return image


BOX = (0.0, 0.0, 100.0, 200.0)


def test_signature_is_two_normalised_halves_and_leaves_the_head_out() -> None:
    red_black = signature(person((0, 0, 200), (20, 20, 20)), BOX)
    assert red_black is not None and red_black.shape == (SIGNATURE_LENGTH,)
    assert red_black[:16].sum() == pytest.approx(0.5) and red_black[16:].sum() == pytest.approx(0.5)
    # A different face colour (the head is outside the torso band) changes nothing.
    other_head = person((0, 0, 200), (20, 20, 20))
    other_head[0:36] = (30, 60, 90)
    assert distance(red_black, signature(other_head, BOX)) == pytest.approx(0.0, abs=1e-6)


def test_different_clothes_are_far_apart_and_the_same_clothes_close() -> None:
    red_black = signature(person((0, 0, 200), (20, 20, 20)), BOX)
    blue_white = signature(person((200, 80, 0), (235, 235, 235)), BOX)
    darker_red = signature(person((10, 10, 170), (30, 30, 30)), BOX)
    assert red_black is not None and blue_white is not None and darker_red is not None
    assert distance(red_black, blue_white) > 0.9
    assert distance(red_black, darker_red) < 0.1


def test_too_small_or_outside_boxes_have_no_signature() -> None:
    image = person((0, 0, 200), (20, 20, 20))
    assert signature(image, (10, 10, 12, 14)) is None
    assert signature(image, (300, 300, 400, 500)) is None


def test_distance_rejects_signatures_of_another_length() -> None:
    with pytest.raises(ValueError, match="32 values"):
        distance([0.5] * 10, [0.5] * SIGNATURE_LENGTH)


def test_sampler_sends_the_first_signature_then_every_two_seconds() -> None:
    sampler = AppearanceSampler()
    image = np.zeros((400, 400, 3), np.uint8)
    image[:200, :100] = person((0, 0, 200), (20, 20, 20))
    tracks = Detections(
        xyxy=np.array([BOX]), confidence=np.array([0.9]), class_id=np.array([0]),
        tracker_id=np.array([3]),
    )  # fmt: skip
    sent = [
        sampler.update(image, tracks, T0 + timedelta(seconds=0.2 * i))[0] is not None
        for i in range(21)
    ]
    assert [i for i, s in enumerate(sent) if s] == [0, 10, 20]


@pytest.fixture(scope="module")
def plaza_signatures() -> dict[int, list[tuple[float, list[float]]]]:
    """Signatures the real pipeline (detector, tracker, sampler) sends for 12 s of vtest.avi."""
    if not VTEST.exists():
        pytest.skip(f"{VTEST} not present (shared reference data)")
    from artguard.vision.pipeline import CameraPipeline
    from artguard.vision.service import load_detector
    from artguard.vision.sources import Frame

    camera = load_site(VISITORS_SITE).camera("cam-1")
    pipeline = CameraPipeline(camera, load_detector(None))
    capture = cv2.VideoCapture(str(VTEST))
    found: dict[int, list[tuple[float, list[float]]]] = {}
    index = 0
    while index < 240:  # 24 s at 10 fps, analysed at 5 fps
        ok, image = capture.read()
        if not ok:
            break
        if index % 2 == 0:
            at = T0 + timedelta(seconds=index / 10)
            result = pipeline.process(Frame(index, at, image))
            if result.detection is not None:
                for obj in result.detection.objects:
                    if obj.appearance is not None and obj.track_id is not None:
                        found.setdefault(obj.track_id, []).append((index / 10, obj.appearance))
        index += 1
    capture.release()
    return found


@pytest.mark.slow
def test_on_real_footage_a_person_is_closer_to_themselves_than_to_others(
    plaza_signatures: dict[int, list[tuple[float, list[float]]]],
) -> None:
    tracks = {t: s for t, s in plaza_signatures.items() if len(s) >= 3}
    assert len(tracks) >= 5
    same = [
        distance(a, b)
        for sigs in tracks.values()
        for i, (ta, a) in enumerate(sigs)
        for tb, b in sigs[i + 1 :]
        if tb - ta >= 2
    ]
    different = [
        distance(a, b)
        for x in tracks
        for y in tracks
        if x < y
        for ta, a in tracks[x]
        for tb, b in tracks[y]
        if abs(ta - tb) < 2.5  # seen at the same time: certainly two people
    ]
    assert same and different
    assert np.median(same) < np.median(different) - 0.1
    # Most same-person pairs pass the hand-off threshold; many different pairs do not.
    from artguard.visitors.handoff import MAX_APPEARANCE

    assert np.mean(np.array(same) <= MAX_APPEARANCE) > 0.8
    assert np.mean(np.array(different) > MAX_APPEARANCE) > 0.4
