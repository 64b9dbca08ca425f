"""Is this artwork still where its reference crop shows it? Feature matching on one region.

The reference crop's local features (SIFT by default, ORB as the fast alternative) are matched
in a search window a little larger than the artwork's region, with Lowe's ratio test, and a
homography is fitted with RANSAC. Its inliers say how much of the artwork is still seen
(*similarity*: the share of the reference's features found again, in place), and where it maps
the reference region's centre says how far the artwork has moved.

Some works have almost no local features (a Rothko colour field, a monochrome canvas); for
those, normalised cross-correlation of the whole crop in the search window stands in, which
is indifferent to brightness and contrast changes of the lighting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np

from artguard.vision.detectors.base import Image

RATIO = 0.75
RANSAC_PX = 5.0
MIN_FEATURES = 40
"""A reference with fewer features than this is matched by cross-correlation instead."""

Method = Literal["sift", "orb"]


@dataclass(frozen=True)
class MatchResult:
    similarity: float
    """0..1: share of reference features found in place (or the correlation score)."""
    shift_px: float | None
    """Where the reference region's centre is now, in pixels from where it was; None when
    the artwork was not found."""
    inliers: int
    method: str


def _detector(method: Method) -> cv2.Feature2D:
    return cv2.SIFT_create(nfeatures=2000) if method == "sift" else cv2.ORB_create(nfeatures=2000)


def _grey(image: Image) -> np.ndarray:
    return image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)


class ArtworkReference:
    """Features of one artwork's reference crop, and the matching of later search windows.

    ``offset`` is the reference crop's top-left corner inside the search window, so "not
    moved" is a shift of 0.
    """

    def __init__(self, crop: Image, offset: tuple[int, int], method: Method = "sift") -> None:
        self.crop = crop
        self.offset = offset
        self.method = method
        self._detector = _detector(method)
        self._grey = _grey(crop)
        self.keypoints, self.descriptors = self._detector.detectAndCompute(self._grey, None)
        norm = cv2.NORM_L2 if method == "sift" else cv2.NORM_HAMMING
        self._matcher = cv2.BFMatcher(norm)

    @property
    def feature_count(self) -> int:
        return 0 if self.descriptors is None else len(self.descriptors)

    def match(self, window: Image) -> MatchResult:
        if self.feature_count < MIN_FEATURES:
            return self._correlate(window)
        return self._features(window)

    def _features(self, window: Image) -> MatchResult:
        keypoints, descriptors = self._detector.detectAndCompute(_grey(window), None)
        if descriptors is None or len(descriptors) < 2:
            return MatchResult(0.0, None, 0, self.method)
        pairs = self._matcher.knnMatch(self.descriptors, descriptors, k=2)
        good = [p[0] for p in pairs if len(p) == 2 and p[0].distance < RATIO * p[1].distance]
        if len(good) < 4:
            return MatchResult(0.0, None, 0, self.method)
        src = np.float32([self.keypoints[m.queryIdx].pt for m in good]).reshape(-1, 1, 2)
        dst = np.float32([keypoints[m.trainIdx].pt for m in good]).reshape(-1, 1, 2)
        homography, mask = cv2.findHomography(src, dst, cv2.RANSAC, RANSAC_PX)
        if homography is None:
            return MatchResult(0.0, None, 0, self.method)
        inliers = int(mask.sum())
        similarity = min(1.0, inliers / self.feature_count)
        h, w = self._grey.shape[:2]
        centre = cv2.perspectiveTransform(np.float32([[[w / 2, h / 2]]]), homography)[0, 0]
        expected = (self.offset[0] + w / 2, self.offset[1] + h / 2)
        shift = float(np.hypot(centre[0] - expected[0], centre[1] - expected[1]))
        if not np.isfinite(shift):
            return MatchResult(similarity, None, inliers, self.method)
        return MatchResult(similarity, shift, inliers, self.method)

    def _correlate(self, window: Image) -> MatchResult:
        template = self._grey
        search = _grey(window)
        if search.shape[0] < template.shape[0] or search.shape[1] < template.shape[1]:
            return MatchResult(0.0, None, 0, "correlation")
        if float(search.std()) < 1.0 or float(template.std()) < 1.0:
            # A flat picture correlates with nothing; identical flat ones are present.
            same = abs(float(search.mean()) - float(template.mean())) < 8.0
            return MatchResult(1.0 if same else 0.0, 0.0 if same else None, 0, "correlation")
        scores = cv2.matchTemplate(search, template, cv2.TM_CCOEFF_NORMED)
        _, best, _, (x, y) = cv2.minMaxLoc(scores)
        shift = float(np.hypot(x - self.offset[0], y - self.offset[1]))
        return MatchResult(max(0.0, float(best)), shift, 0, "correlation")
