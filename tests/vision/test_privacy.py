"""Faces blurred in stored media: blurring, the fail-safe head estimate, and real photos."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from artguard.vision.detections import Detections
from artguard.vision.faces import BlazeFaceDetector
from artguard.vision.pose import KP
from artguard.vision.privacy import (
    RedactionPolicy,
    Redactor,
    blur_faces,
    default_redactor,
    grow_boxes,
    head_boxes,
    redact,
    uncovered_persons,
)
from tests.vision.test_faces import DATA, FACES, load

SHAPE = (480, 640, 3)


def people(*boxes: tuple[float, float, float, float], keypoints: np.ndarray | None = None):
    return Detections(
        xyxy=np.asarray(boxes, np.float32).reshape(-1, 4),
        confidence=np.ones(len(boxes)),
        class_id=np.zeros(len(boxes)),
        keypoints=keypoints,
    )


def sharpness(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Variance of the Laplacian over ``box``: high where there is fine detail."""
    x1, y1, x2, y2 = box
    gray = cv2.cvtColor(image[y1:y2, x1:x2], cv2.COLOR_BGR2GRAY)
    return float(cv2.Laplacian(gray, cv2.CV_64F).var())


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(BlazeFaceDetector(threads=1))


def test_grow_boxes_scales_around_the_centre_and_clips() -> None:
    grown = grow_boxes(np.array([[100, 100, 200, 150], [0, 0, 50, 50]]), 1.2, SHAPE)
    np.testing.assert_array_equal(grown, [[90, 95, 210, 155], [0, 0, 55, 55]])


@pytest.mark.parametrize("method", ["pixelate", "gaussian"])
def test_blur_changes_the_grown_box_and_nothing_else(method: str) -> None:
    rng = np.random.default_rng(1)
    image = rng.integers(0, 256, SHAPE, dtype=np.uint8)
    out = blur_faces(image, np.array([[100, 100, 200, 200]], np.float32), method=method)
    changed = np.argwhere((out != image).any(axis=2))
    assert changed[:, 0].min() >= 90 and changed[:, 0].max() < 210
    assert changed[:, 1].min() >= 90 and changed[:, 1].max() < 210
    assert len(changed) > 0.9 * 120 * 120
    assert sharpness(out, (90, 90, 210, 210)) < sharpness(image, (90, 90, 210, 210)) / 50
    # The input is not modified in place.
    np.testing.assert_array_equal(image, np.random.default_rng(1).integers(0, 256, SHAPE, np.uint8))


def test_pixelation_keeps_only_eight_by_eight_averages() -> None:
    rng = np.random.default_rng(2)
    image = rng.integers(0, 256, SHAPE, dtype=np.uint8)
    out = blur_faces(image, np.array([[0, 0, 160, 160]], np.float32), grow=1.0)
    block_centres = out[10:160:20, 10:160:20]  # the middle of each 20-pixel block
    expected = cv2.resize(image[:160, :160], (8, 8), interpolation=cv2.INTER_AREA)
    assert np.abs(block_centres.astype(int) - expected).max() <= 2


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ValueError, match="pixelate"):
        blur_faces(np.zeros(SHAPE, np.uint8), np.zeros((0, 4)), method="swirl")


def test_head_is_the_top_of_the_box_or_where_the_head_keypoints_are() -> None:
    assert head_boxes(people((100, 100, 160, 300))).tolist() == [[100, 100, 160, 136]]
    keypoints = np.zeros((1, 17, 3), np.float32)
    keypoints[0, KP["nose"]] = (300, 220, 0.9)
    keypoints[0, KP["left_eye"]] = (305, 215, 0.8)
    keypoints[0, KP["right_eye"]] = (295, 215, 0.8)
    keypoints[0, KP["left_ear"]] = (310, 218, 0.1)  # unseen: ignored
    (x1, y1, x2, y2) = head_boxes(people((250, 150, 350, 450), keypoints=keypoints))[0]
    assert x1 < 295 and x2 > 305 and y1 < 215 and y2 > 220  # around the eyes and nose
    assert 30 <= x2 - x1 <= 40  # 0.12 of a 300-pixel person
    # Keypoints all unseen: back to the top of the box.
    keypoints[..., 2] = 0.0
    assert head_boxes(people((250, 150, 350, 450), keypoints=keypoints)).tolist() == [
        [250, 150, 350, 204]
    ]


def test_a_person_is_covered_only_by_a_face_where_their_head_is() -> None:
    policy = RedactionPolicy()
    persons = people((100, 100, 160, 300), (300, 100, 360, 300), (500, 100, 510, 130))
    faces = people((115, 105, 145, 135), (315, 220, 345, 250))  # a head; a "face" on a belly
    uncovered = uncovered_persons(persons, faces, SHAPE, policy)
    # Covered; uncovered (the face is not at the head); 30 px tall: too small to matter.
    assert uncovered.tolist() == [False, True, False]
    assert uncovered_persons(persons, Detections.empty(), SHAPE, policy).tolist() == [
        True,
        True,
        False,
    ]


def test_a_person_without_a_face_found_gets_the_head_blurred(redactor: Redactor) -> None:
    """Fail safe: a person seen from behind (here: no face at all in the picture) still gets
    their head blurred; the rest of the frame stays as it was."""
    rng = np.random.default_rng(4)
    image = rng.integers(100, 140, SHAPE, dtype=np.uint8)
    areas = redactor.areas(image, people((200, 100, 260, 300)))
    assert areas.data["reason"].tolist() == ["head"]
    np.testing.assert_allclose(areas.xyxy, [[200, 100, 260, 136]])
    out = redactor.redact(image, people((200, 100, 260, 300)))
    changed = np.argwhere((out != image).any(axis=2))
    assert changed[:, 0].min() >= 96 and changed[:, 0].max() < 140
    assert changed[:, 1].min() >= 194 and changed[:, 1].max() < 266


@pytest.mark.parametrize("method", ["pixelate", "gaussian"])
@pytest.mark.parametrize("name", sorted(FACES))
def test_faces_of_real_photos_lose_their_detail(redactor: Redactor, name: str, method: str):
    image = load(name)
    out = Redactor(redactor.detector, method=method).redact(image)
    for face in FACES[name]:
        before, after = sharpness(image, face), sharpness(out, face)
        assert after < before / 20, f"{name} {face}: Laplacian variance {before:.0f} -> {after:.0f}"


def test_people_found_by_the_person_detector_lose_their_faces(redactor: Redactor) -> None:
    """The path used for snapshots: person boxes from the default detector, faces searched in
    their head crops; the faces lose their detail and the rest of the photo is untouched."""
    from artguard.vision.detectors import create_detector

    name = "examples/knn_examples/test/obama_and_biden.jpg"
    image = load(name)
    persons = create_detector(threads=1).detect(image)
    assert len(persons) >= 3
    areas = redactor.areas(image, persons)
    out = blur_faces(image, areas)
    for face in FACES[name]:
        assert sharpness(out, face) < sharpness(image, face) / 20, face
    outside = np.ones(image.shape[:2], bool)
    for x1, y1, x2, y2 in grow_boxes(areas.xyxy, 1.2, image.shape):
        outside[y1:y2, x1:x2] = False
    np.testing.assert_array_equal(out[outside], image[outside])


def test_a_photo_without_people_or_faces_is_unchanged(redactor: Redactor) -> None:
    path = DATA / "artworks" / "opencv_starry_night.jpg"
    if not path.is_file():
        pytest.skip(f"{path} not found (the shared data folder is absent)")
    image = cv2.imread(str(path))
    np.testing.assert_array_equal(redactor.redact(image), image)
    np.testing.assert_array_equal(redactor.redact(image, Detections.empty()), image)


def test_module_level_redact_uses_one_shared_redactor() -> None:
    rng = np.random.default_rng(5)
    image = rng.integers(0, 256, SHAPE, dtype=np.uint8)
    out = redact(image, people((200, 100, 260, 300)))
    assert (out[100:136, 200:260] != image[100:136, 200:260]).any(axis=2).mean() > 0.9
    np.testing.assert_array_equal(out[200:], image[200:])
    assert default_redactor() is default_redactor()
