"""MoveNet MultiPose on real photos, and telling a reaching arm from one hanging at the side."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from artguard.vision.detections import COCO_PERSON, Detections, box_iou
from artguard.vision.pose import KP, MoveNetMultiPose, arm_reach

PENNFUDAN = Path(__file__).parents[3] / "shared" / "data" / "pennfudan"
needs_data = pytest.mark.skipif(
    not PENNFUDAN.is_dir(), reason=f"Penn-Fudan reference data not found at {PENNFUDAN}"
)
STANDING = ("FudanPed00001", "PennPed00011")
"""Upright pedestrians, two in each photo."""


def ground_truth(stem: str) -> np.ndarray:
    text = (PENNFUDAN / "Annotation" / f"{stem}.txt").read_text()
    corners = re.findall(r"\((\d+), (\d+)\) - \((\d+), (\d+)\)", text)
    boxes = np.asarray(corners, np.float32).reshape(-1, 4)
    boxes[:, :2] -= 1
    return boxes


def photo(stem: str) -> np.ndarray:
    return cv2.imread(str(PENNFUDAN / "PNGImages" / f"{stem}.png"))


@pytest.fixture(scope="module")
def pose() -> MoveNetMultiPose:
    return MoveNetMultiPose()


def matched(found: Detections, truth: np.ndarray) -> Detections:
    """The detection that best overlaps each ground-truth person (IoU > 0.5 asserted)."""
    overlaps = box_iou(truth, found.xyxy)
    assert (overlaps.max(axis=1, initial=0.0) > 0.5).all(), overlaps
    return found[overlaps.argmax(axis=1)]


def _height(people: Detections, *names: str) -> np.ndarray:
    """Mean image y of the named keypoints, per person."""
    assert people.keypoints is not None
    return people.keypoints[:, [KP[n] for n in names], 1].mean(axis=1)


@needs_data
@pytest.mark.parametrize("stem", STANDING)
def test_standing_people_found_with_keypoints_in_body_order(
    pose: MoveNetMultiPose, stem: str
) -> None:
    people = matched(pose.estimate(photo(stem)), ground_truth(stem))
    assert people.keypoints is not None and people.keypoints.shape == (len(people), 17, 3)
    assert (people.class_id == COCO_PERSON).all()
    body = people.keypoints[:, 5:]  # shoulders down: always in view here
    assert (body[..., 2] > 0.2).all(), body[..., 2]
    nose = people.keypoints[:, KP["nose"], 1]
    shoulders = _height(people, "left_shoulder", "right_shoulder")
    hips = _height(people, "left_hip", "right_hip")
    knees = _height(people, "left_knee", "right_knee")
    ankles = _height(people, "left_ankle", "right_ankle")
    assert (nose < shoulders).all() and (shoulders < hips).all()
    assert (hips < knees).all() and (knees < ankles).all()
    # Keypoints lie in the person's box (a few pixels of slack), in image pixels.
    x1, y1, x2, y2 = (people.xyxy[:, None, i] for i in range(4))
    xy = body[..., :2]
    assert ((xy[..., 0] > x1 - 10) & (xy[..., 0] < x2 + 10)).all()
    assert ((xy[..., 1] > y1 - 10) & (xy[..., 1] < y2 + 10)).all()


@needs_data
def test_walking_arms_are_not_reaching(pose: MoveNetMultiPose) -> None:
    people = pose.estimate(photo("FudanPed00001"))
    reach = arm_reach(people)
    assert not reach.reaching.any(), (reach.elevation, reach.straightness)
    assert (reach.elevation < 40).all()


@needs_data
def test_keypoints_map_back_from_a_padded_non_square_canvas(pose: MoveNetMultiPose) -> None:
    image = photo("FudanPed00001")
    h, w = image.shape[:2]
    canvas = np.zeros((h + 60, w + 200, 3), np.uint8)
    canvas[60:, 200:] = image
    plain = matched(pose.estimate(image), ground_truth("FudanPed00001"))
    moved = matched(
        pose.estimate(canvas), ground_truth("FudanPed00001") + np.float32([200, 60, 200, 60])
    )
    assert plain.keypoints is not None and moved.keypoints is not None
    shift = moved.keypoints[:, 5:, :2] - plain.keypoints[:, 5:, :2]
    person_height = (plain.xyxy[:, 3] - plain.xyxy[:, 1])[:, None]
    assert (np.abs(shift[..., 0] - 200) < 0.05 * person_height).all()
    assert (np.abs(shift[..., 1] - 60) < 0.05 * person_height).all()


def test_input_is_multiple_of_32_keeping_aspect(pose: MoveNetMultiPose) -> None:
    batch, resize, (height, width) = pose._prepare(np.zeros((480, 1000, 3), np.uint8))
    assert batch.shape == (1, 128, 256, 3) and batch.dtype == np.int32
    assert (height, width) == (128, 256)
    np.testing.assert_allclose([resize.scale_x, resize.scale_y], [0.256, 123 / 480], rtol=1e-6)
    with pytest.raises(ValueError, match="multiple of 32"):
        MoveNetMultiPose(input_size=250)


@pytest.mark.parametrize("value", [0, 255])
def test_uniform_image_has_nobody(pose: MoveNetMultiPose, value: int) -> None:
    assert len(pose.estimate(np.full((360, 640, 3), value, np.uint8))) == 0


def skeleton(left_wrist: tuple[float, float], left_elbow: tuple[float, float]) -> Detections:
    """A hand-made upright person (image y down) whose left arm is placed by the caller and
    whose right arm hangs at the side; the right ankle was not seen."""
    points = {
        "nose": (100, 40),
        "left_eye": (105, 35),
        "right_eye": (95, 35),
        "left_ear": (110, 38),
        "right_ear": (90, 38),
        "left_shoulder": (120, 70),
        "right_shoulder": (80, 70),
        "left_elbow": left_elbow,
        "right_elbow": (75, 110),
        "left_wrist": left_wrist,
        "right_wrist": (73, 150),
        "left_hip": (112, 150),
        "right_hip": (88, 150),
        "left_knee": (112, 210),
        "right_knee": (88, 210),
        "left_ankle": (112, 270),
        "right_ankle": (88, 270),
    }
    kp = np.asarray([[*points[name], 0.9] for name in KP], np.float32)
    kp[KP["right_ankle"], 2] = 0.05
    return Detections(
        xyxy=np.asarray([[60, 30, 140, 280]], np.float32),
        confidence=np.asarray([0.9], np.float32),
        class_id=np.asarray([0]),
        keypoints=kp[None],
    )


def test_outstretched_arm_is_reaching_hanging_arm_is_not() -> None:
    reach = arm_reach(skeleton(left_wrist=(200, 72), left_elbow=(160, 71)))
    assert reach.reaching.tolist() == [[True, False]]
    assert 85 < reach.elevation[0, 0] < 95 and reach.elevation[0, 1] < 10
    np.testing.assert_allclose(reach.wrist[0, 0], [200, 72])


def test_arm_raised_overhead_is_reaching() -> None:
    reach = arm_reach(skeleton(left_wrist=(125, -10), left_elbow=(123, 30)))
    assert reach.reaching[0, 0] and reach.elevation[0, 0] > 170


def test_bent_arm_is_not_reaching() -> None:
    """Elbow out to the side, hand back at the chest (holding a phone): raised but folded."""
    reach = arm_reach(skeleton(left_wrist=(110, 95), left_elbow=(150, 90)))
    assert reach.straightness[0, 0] < 0.5
    assert not reach.reaching[0, 0]


def test_unseen_arm_is_unknown_not_reaching() -> None:
    people = skeleton(left_wrist=(200, 72), left_elbow=(160, 71))
    assert people.keypoints is not None
    people.keypoints[0, KP["left_wrist"], 2] = 0.1
    reach = arm_reach(people)
    assert np.isnan(reach.elevation[0, 0]) and not reach.reaching[0, 0]
    with pytest.raises(ValueError, match="keypoints"):
        arm_reach(Detections.empty())
