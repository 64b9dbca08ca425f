"""From image pixels to the floor plan: a camera's homography and where people stand.

A camera's ``homography`` in the site file is the 3x3 matrix that maps a point on the floor as
seen in the (analysed) image, in pixels, to the same point on the floor plan, in metres. Only
points on the floor plane map correctly, which is why a person is placed by the *foot point*
of their box (bottom centre), not its centre.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
import numpy.typing as npt

from artguard.site.entities import Camera
from artguard.vision.detections import Detections

Matrix = npt.NDArray[np.float64]
Points = npt.NDArray[np.float64]


class Homography:
    """A plane-to-plane projective map, image pixels -> floor metres."""

    def __init__(self, matrix: Sequence[Sequence[float]] | Matrix) -> None:
        m = np.asarray(matrix, dtype=np.float64)
        if m.shape != (3, 3):
            raise ValueError(f"a homography is a 3x3 matrix (got shape {m.shape})")
        if abs(np.linalg.det(m)) < 1e-12:
            raise ValueError("the homography is singular (determinant 0)")
        self.matrix: Matrix = m

    @classmethod
    def of_camera(cls, camera: Camera) -> Homography | None:
        """The camera's homography from the site file, or None when it has none."""
        return None if camera.homography is None else cls(camera.homography)

    @classmethod
    def from_points(
        cls, image_points: Sequence[Sequence[float]], floor_points: Sequence[Sequence[float]]
    ) -> Homography:
        """Fit the map from four or more floor points seen in the image and measured on the
        plan (e.g. the corners of a floor tile or of a rug); least squares above four."""
        src = np.asarray(image_points, dtype=np.float64).reshape(-1, 2)
        dst = np.asarray(floor_points, dtype=np.float64).reshape(-1, 2)
        if len(src) != len(dst) or len(src) < 4:
            raise ValueError("need the same number (>= 4) of image and floor points")
        matrix, _ = cv2.findHomography(src, dst, 0)
        if matrix is None:
            raise ValueError("the points do not determine a homography (three on one line?)")
        return cls(matrix)

    def apply(self, points: npt.ArrayLike) -> Points:
        """Map (n, 2) points; a point on or beyond the horizon line maps to NaN.

        Beyond the horizon the projective divisor changes sign, so the point would land on the
        wrong side of the plan; reporting "unknown" is safer than reporting a wrong room.
        """
        pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        homogeneous = np.hstack([pts, np.ones((len(pts), 1))]) @ self.matrix.T
        w = homogeneous[:, 2:3]
        with np.errstate(divide="ignore", invalid="ignore"):
            mapped = homogeneous[:, :2] / w
        mapped[(w[:, 0] <= 1e-12) | ~np.isfinite(mapped).all(axis=1)] = np.nan
        return mapped

    def inverse(self) -> Homography:
        """Floor metres -> image pixels (e.g. to draw a floor zone on the image)."""
        return Homography(np.linalg.inv(self.matrix))


def floor_positions(detections: Detections, homography: Homography) -> Points:
    """Foot point of each box on the floor plan, (n, 2) metres (NaN where it cannot map)."""
    return homography.apply(detections.foot_points)


def clip_box(box: Sequence[float], width: int, height: int) -> tuple[int, int, int, int]:
    """A box rounded outwards to whole pixels and clipped to a ``width`` x ``height`` image."""
    x1, y1, x2, y2 = box
    return (
        max(0, int(np.floor(x1))),
        max(0, int(np.floor(y1))),
        min(width, int(np.ceil(x2))),
        min(height, int(np.ceil(y2))),
    )
