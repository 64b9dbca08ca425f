"""Has the camera's view moved? The current picture against a reference view of the scene.

ORB corners of the static scene (walls, frames, door edges) are matched between the reference
and the current picture, with Lowe's ratio test, and a rotation + scale + shift is fitted to
the matches with RANSAC. A camera nudged or turned shows as a shift or rotation of the whole
scene; one pointed somewhere else altogether leaves too few matches to fit. People move and so
do not belong to the scene: their boxes are masked out of the current picture.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from artguard.vision.checks.picture import grey
from artguard.vision.detectors.base import Image

SCENE_WIDTH = 640
RATIO = 0.75
"""Lowe's ratio test: keep a match only if clearly better than the second best."""


@dataclass(frozen=True)
class SceneMatch:
    matches: int
    """Matches that passed the ratio test."""
    inliers: int
    """Matches consistent with the fitted motion."""
    shift_fraction: float
    """Shift of the image centre, as a fraction of the image width."""
    rotation_deg: float


class SceneReference:
    """ORB features of a reference view, matched against later pictures."""

    def __init__(self, reference: Image, features: int = 500) -> None:
        self._orb = cv2.ORB_create(nfeatures=features)
        self._grey = grey(reference, SCENE_WIDTH)
        self.keypoints, self.descriptors = self._orb.detectAndCompute(self._grey, None)
        self._matcher = cv2.BFMatcher(cv2.NORM_HAMMING)

    @property
    def feature_count(self) -> int:
        return 0 if self.descriptors is None else len(self.descriptors)

    def compare(
        self, image: Image, ignore: Sequence[tuple[float, float, float, float]] = ()
    ) -> SceneMatch:
        """Match ``image`` against the reference; ``ignore`` boxes (pixels of ``image``) are
        left out, e.g. the people in it."""
        current = grey(image, SCENE_WIDTH)
        scale = current.shape[1] / image.shape[1]
        mask = np.full(current.shape, 255, np.uint8)
        for x1, y1, x2, y2 in ignore:
            cv2.rectangle(
                mask,
                (int(x1 * scale), int(y1 * scale)),
                (math.ceil(x2 * scale), math.ceil(y2 * scale)),
                0,
                thickness=-1,
            )
        keypoints, descriptors = self._orb.detectAndCompute(current, mask)
        if self.descriptors is None or descriptors is None or len(descriptors) < 2:
            return SceneMatch(0, 0, 1.0, 0.0)
        pairs = self._matcher.knnMatch(self.descriptors, descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
        if len(good) < 3:
            return SceneMatch(len(good), 0, 1.0, 0.0)
        src = np.float32([self.keypoints[m.queryIdx].pt for m in good])
        dst = np.float32([keypoints[m.trainIdx].pt for m in good])
        motion, inlier_mask = cv2.estimateAffinePartial2D(
            src, dst, method=cv2.RANSAC, ransacReprojThreshold=4.0
        )
        if motion is None:
            return SceneMatch(len(good), 0, 1.0, 0.0)
        h, w = self._grey.shape[:2]
        centre = np.array([w / 2, h / 2, 1.0])
        moved_to = motion @ centre
        shift = float(np.hypot(moved_to[0] - w / 2, moved_to[1] - h / 2)) / w
        rotation = math.degrees(math.atan2(motion[1, 0], motion[0, 0]))
        return SceneMatch(len(good), int(inlier_mask.sum()), shift, rotation)
