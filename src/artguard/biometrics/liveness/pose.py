"""Head pose and eye openness from the 68 dlib landmarks (iBUG 300-W layout).

Why the 68-point dlib predictor: it ships with the face descriptor (one dependency), gives
the eye contours needed for blinks (BlazeFace's six points have one point per eye) and the jaw
line and nose needed for turns, and runs in about a millisecond per face.

All three measures are ratios of landmark positions, so they do not change when a flat photo
is moved, scaled or rotated in front of the camera; only a head turning in 3-D changes them:

* ``yaw``: where the nose tip (30) projects on the line between the jaw ends (0 = the
  person's right, 16 = their left), minus 0.5. Frontal is about 0; positive when the person
  turns to their own left, negative to their right. On the hamilton clip a clear turn moves it
  by 0.2-0.4.
* ``pitch``: where the nose tip projects between the eyes' centre and the chin (8); smaller
  when the head tilts back (looking up).
* ``ear``: eye aspect ratio (Soukupová and Čech 2016), the mean over both eyes of eyelid
  opening over eye width; it drops by half or more during a blink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

RIGHT_EYE = slice(36, 42)
LEFT_EYE = slice(42, 48)


@dataclass(frozen=True)
class Pose:
    yaw: float
    pitch: float
    ear: float


def eye_aspect_ratio(eye: npt.NDArray[np.float64]) -> float:
    """(|p1-p5| + |p2-p4|) / (2 |p0-p3|) for the six points of one eye."""
    width = float(np.linalg.norm(eye[0] - eye[3]))
    if width <= 0:
        return 0.0
    opening = float(np.linalg.norm(eye[1] - eye[5]) + np.linalg.norm(eye[2] - eye[4]))
    return opening / (2.0 * width)


def pose_from_landmarks(points: npt.NDArray[np.float64]) -> Pose:
    """Yaw, pitch and eye openness of one face from its (68, 2) landmarks."""
    points = np.asarray(points, np.float64)
    if points.shape != (68, 2):
        raise ValueError(f"expected (68, 2) landmarks, got {points.shape}")
    jaw_right, jaw_left, nose, chin = points[0], points[16], points[30], points[8]
    eyes = points[36:48].mean(axis=0)
    yaw = _position(nose, jaw_right, jaw_left) - 0.5
    pitch = _position(nose, eyes, chin)
    ear = (eye_aspect_ratio(points[RIGHT_EYE]) + eye_aspect_ratio(points[LEFT_EYE])) / 2.0
    return Pose(yaw=yaw, pitch=pitch, ear=ear)


def _position(
    point: npt.NDArray[np.float64], start: npt.NDArray[np.float64], end: npt.NDArray[np.float64]
) -> float:
    """Where ``point`` projects on the segment start-end: 0 at start, 1 at end. Projecting
    (rather than comparing x or y alone) keeps the measure when the head or photo rolls."""
    axis = end - start
    length2 = float(axis @ axis)
    if length2 <= 1e-12:
        return 0.0
    return float((point - start) @ axis / length2)
