"""BlazeFace: anchors, and faces found on real photos, whole and at CCTV scale via person crops."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from artguard.vision.detections import Detections, box_iou
from artguard.vision.faces import BlazeFaceDetector, anchors, head_zones

DATA = Path(__file__).parents[3] / "shared" / "data"
FACES_DIR = DATA / "faces" / "face_recognition_examples"

FACES: dict[str, list[tuple[int, int, int, int]]] = {
    # Face boxes (x1, y1, x2, y2) in each distinct photo of the face folder, drawn on the photos
    # and checked by eye; the four marked "dlib" are face_recognition's own test expectations.
    "examples/knn_examples/test/alex_lacamoire1.jpg": [(610, 200, 960, 550)],
    "examples/knn_examples/test/johnsnow_test1.jpg": [(260, 190, 430, 370)],
    "examples/knn_examples/test/kit_with_rose.jpg": [(260, 100, 360, 200), (80, 130, 160, 210)],
    "examples/knn_examples/test/obama1.jpg": [(510, 220, 910, 620)],
    "examples/knn_examples/test/obama_and_biden.jpg": [
        (1150, 410, 1330, 590),
        (760, 440, 940, 620),
        (1630, 1070, 1790, 1230),  # the child at the bottom right
    ],
    "examples/knn_examples/train/alex_lacamoire/img1.jpg": [(260, 200, 620, 560)],
    "examples/knn_examples/train/biden/biden.jpg": [(420, 270, 710, 560)],
    "examples/knn_examples/train/biden/biden2.jpg": [(420, 280, 910, 770)],
    "examples/knn_examples/train/kit_harington/john1.jpeg": [(690, 110, 810, 230)],
    "examples/knn_examples/train/kit_harington/john2.jpeg": [(310, 100, 500, 280)],
    "examples/knn_examples/train/obama/obama2.jpg": [(180, 310, 500, 620)],
    "examples/knn_examples/train/rose_leslie/img1.jpg": [(620, 130, 890, 390)],
    "examples/knn_examples/train/rose_leslie/img2.jpg": [(160, 180, 440, 460)],
    "tests/test_images/32bit.png": [(180, 310, 500, 620)],
    "tests/test_images/obama.jpg": [(349, 142, 617, 409)],  # dlib
    "tests/test_images/obama3.jpg": [(630, 340, 910, 620)],
    "tests/test_images/obama_partial_face.jpg": [(0, 142, 191, 365)],  # dlib
    "tests/test_images/obama_partial_face2.jpg": [(349, 142, 551, 409)],  # dlib
}
"""The same photos' duplicates (train/obama/obama.jpg, tests/test_images/biden.jpg, ...) are
left out; 18 photos, 21 faces."""


def faces_dir() -> Path:
    if not FACES_DIR.is_dir():
        pytest.skip(f"face photos not found at {FACES_DIR} (the shared data folder is absent)")
    return FACES_DIR


def load(name: str) -> np.ndarray:
    image = cv2.imread(str(faces_dir() / name))
    assert image is not None, name
    return image


@pytest.fixture(scope="module")
def detector() -> BlazeFaceDetector:
    return BlazeFaceDetector(threads=1)


def test_anchors_follow_the_model_outputs() -> None:
    a = anchors()
    assert a.shape == (896, 2)
    np.testing.assert_array_equal(a[:3], [[8, 8], [8, 8], [24, 8]])  # stride 16, 2 per cell
    np.testing.assert_array_equal(a[512:519], [[16, 16]] * 6 + [[48, 16]])  # stride 32, 6 each
    np.testing.assert_array_equal(a[-1], [240, 240])


def test_head_zone_is_the_square_over_the_top_of_the_person() -> None:
    persons = Detections(
        xyxy=np.array([[100, 100, 160, 300], [0, 650, 300, 720]], np.float32),
        confidence=np.ones(2),
        class_id=np.zeros(2),
    )
    zones = head_zones(persons, (720, 1280, 3))
    # 60 x 200 standing person: side = 0.4 * 200 = 80, centred, starting 4 px above the box.
    np.testing.assert_array_equal(zones[0], [90, 96, 170, 176])
    # A wide box at the bottom edge: side = its width, clipped to the image.
    np.testing.assert_array_equal(zones[1], [0, 635, 300, 720])


@pytest.mark.parametrize("name", sorted(FACES))
def test_every_face_of_the_photo_is_found(detector: BlazeFaceDetector, name: str) -> None:
    image = load(name)
    faces = detector.detect(image)
    labelled = np.asarray(FACES[name], np.float32)
    iou = box_iou(labelled, faces.xyxy)
    assert iou.shape[1] >= len(labelled), f"{name}: {len(faces)} faces for {len(labelled)}"
    assert (iou.max(axis=1) >= 0.5).all(), f"{name}: best IoU per face {iou.max(axis=1)}"
    assert faces.data["landmarks"].shape == (len(faces), 6, 2)
    # The eyes are inside the face that was matched.
    for box, eyes in zip(faces.xyxy, faces.data["landmarks"][:, :2], strict=True):
        assert (eyes >= box[:2] - 1).all() and (eyes <= box[2:] + 1).all()


def test_small_faces_are_found_through_person_crops(detector: BlazeFaceDetector) -> None:
    """A 16-pixel face in a 1280x720 frame is 3 pixels once the frame is squeezed into the
    model's 256x256 input, so the whole-frame pass misses it; the head crop of the person finds
    it."""
    image = load("tests/test_images/obama.jpg")
    scale = 16 / (617 - 349)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    frame = np.full((720, 1280, 3), 110, np.uint8)
    top, left = 300, 600
    frame[top : top + small.shape[0], left : left + small.shape[1]] = small
    person = Detections(
        xyxy=np.array([[left, top, left + small.shape[1], top + small.shape[0]]], np.float32),
        confidence=np.ones(1),
        class_id=np.zeros(1),
    )
    face = np.asarray([[349, 142, 617, 409]], np.float32) * scale + [left, top, left, top]

    through_crops = detector.detect(frame, person)
    whole_frame = detector.detect(frame)

    assert box_iou(face, through_crops.xyxy).max(initial=0) >= 0.4
    assert box_iou(face, whole_frame.xyxy).max(initial=0) < 0.1


def test_nothing_is_found_where_there_is_no_face(detector: BlazeFaceDetector) -> None:
    rng = np.random.default_rng(3)
    noise = rng.integers(90, 140, (480, 640, 3), dtype=np.uint8)
    assert len(detector.detect(noise)) == 0
    assert len(detector.detect(noise, Detections.empty())) == 0


def test_threshold_is_checked() -> None:
    with pytest.raises(ValueError, match="score_threshold"):
        BlazeFaceDetector(score_threshold=1.5)
