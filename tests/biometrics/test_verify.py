"""Face verification with dlib's ResNet descriptor on the real photos of five people."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from artguard.biometrics.faces import FaceImageError, largest_face, read_image
from artguard.biometrics.verify import (
    DEFAULT_THRESHOLD,
    compare,
    describe,
    distance,
    verify_images,
)
from tests.biometrics.data import TRAIN, needs_dlib, needs_faces

pytestmark = [needs_dlib, needs_faces]


@pytest.fixture(scope="module")
def descriptors() -> dict[tuple[str, str], np.ndarray]:
    return {
        (path.parent.name, path.name): describe(read_image(path), str(path))
        for path in sorted(TRAIN.glob("*/*"))
    }


def test_same_person_matches_and_different_people_do_not(descriptors) -> None:
    genuine, impostor = [], []
    for (a, da), (b, db) in itertools.combinations(descriptors.items(), 2):
        (genuine if a[0] == b[0] else impostor).append(distance(da, db))
    assert len(genuine) == 4 and len(impostor) == 32
    assert max(genuine) <= DEFAULT_THRESHOLD
    assert min(impostor) > DEFAULT_THRESHOLD
    # A margin on both sides, so the threshold is not balanced on one photo.
    assert max(genuine) < DEFAULT_THRESHOLD - 0.05 < DEFAULT_THRESHOLD + 0.1 < min(impostor)


def test_verify_images_gives_distance_threshold_and_verdict() -> None:
    obama, obama2 = read_image(TRAIN / "obama/obama.jpg"), read_image(TRAIN / "obama/obama2.jpg")
    biden = read_image(TRAIN / "biden/biden.jpg")
    same = verify_images(obama, obama2)
    other = verify_images(obama, biden)
    assert same.match and not other.match
    assert same.as_dict() == {"distance": round(same.distance, 4), "threshold": 0.55, "match": True}
    assert compare(describe(obama), describe(obama), 0.1).distance == pytest.approx(0, abs=1e-6)


def test_landmarks_are_on_the_face() -> None:
    face = largest_face(read_image(TRAIN / "obama/obama.jpg"))
    left, top, right, bottom = face.box
    inside = (
        (face.landmarks[:, 0] >= left - 0.2 * face.width)
        & (face.landmarks[:, 0] <= right + 0.2 * face.width)
        & (face.landmarks[:, 1] >= top - 0.2 * face.width)
        & (face.landmarks[:, 1] <= bottom + 0.2 * face.width)
    )
    assert face.landmarks.shape == (68, 2) and inside.all()
    # The eyes (36-47) are above the nose tip (30), which is above the chin (8).
    assert face.landmarks[36:48, 1].mean() < face.landmarks[30, 1] < face.landmarks[8, 1]


def test_image_without_a_face_is_named_in_the_error() -> None:
    blank = np.full((300, 300, 3), 127, np.uint8)
    with pytest.raises(FaceImageError, match="door frame: no face found"):
        describe(blank, "door frame")


def test_bad_inputs_are_rejected(tmp_path) -> None:
    with pytest.raises(FaceImageError, match="no such image file"):
        read_image(tmp_path / "missing.jpg")
    (tmp_path / "not.jpg").write_text("not an image")
    with pytest.raises(FaceImageError, match="not a readable image"):
        read_image(tmp_path / "not.jpg")
    with pytest.raises(ValueError, match="128-D"):
        distance(np.zeros(128), np.zeros(64))
    with pytest.raises(ValueError, match="threshold"):
        compare(np.zeros(128), np.zeros(128), threshold=0)
