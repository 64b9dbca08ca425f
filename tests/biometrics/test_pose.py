"""Pose measures from landmarks: unchanged when a flat face is moved, signed by direction."""

from __future__ import annotations

import numpy as np
import pytest

from artguard.biometrics.faces import largest_face, read_image
from artguard.biometrics.liveness.pose import eye_aspect_ratio, pose_from_landmarks
from tests.biometrics.data import TRAIN, clip_frames, needs_dlib, needs_faces


@pytest.fixture(scope="module")
def landmarks() -> np.ndarray:
    return largest_face(read_image(TRAIN / "obama/obama.jpg")).landmarks


@needs_dlib
@needs_faces
def test_moving_scaling_rotating_a_flat_face_keeps_the_pose(landmarks) -> None:
    base = pose_from_landmarks(landmarks)
    assert abs(base.yaw) < 0.1 and 0.2 < base.pitch < 0.5 and 0.15 < base.ear < 0.5
    for angle, scale, shift in ((0.0, 1.5, (40, -10)), (0.15, 0.7, (-30, 25))):
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        moved = landmarks @ rot.T * scale + shift
        pose = pose_from_landmarks(moved)
        assert pose.ear == pytest.approx(base.ear, rel=1e-6)
        assert pose.yaw == pytest.approx(base.yaw, abs=0.03)
        assert pose.pitch == pytest.approx(base.pitch, abs=0.03)


@needs_dlib
@needs_faces
def test_yaw_sign_follows_the_persons_own_side() -> None:
    # Frame 130 of the hamilton clip: profile toward the image's left = his own right.
    right = pose_from_landmarks(largest_face(clip_frames()[130]).landmarks)
    # Frame 160: turned toward the image's right = his own left.
    left = pose_from_landmarks(largest_face(clip_frames()[160]).landmarks)
    assert right.yaw < -0.25 and left.yaw > 0.12


def test_eye_aspect_ratio_and_bad_shapes() -> None:
    open_eye = np.array([[0, 0], [1, -1], [2, -1], [3, 0], [2, 1], [1, 1]], float)
    closed = open_eye * [1, 0.1]
    assert eye_aspect_ratio(open_eye) == pytest.approx(2 / 3)
    assert eye_aspect_ratio(closed) == pytest.approx(0.2 / 3)
    with pytest.raises(ValueError, match=r"\(68, 2\)"):
        pose_from_landmarks(np.zeros((5, 2)))
