"""Image -> floor mapping with a camera's homography."""

from __future__ import annotations

import numpy as np
import pytest

from artguard.site.entities import Camera
from artguard.vision.detections import Detections
from artguard.vision.geometry import Homography, clip_box, floor_positions

# A camera looking down at a floor: the image trapezoid of a 4 m x 6 m rectangle on the floor.
IMAGE_CORNERS = [[200, 700], [1080, 700], [880, 300], [400, 300]]
FLOOR_CORNERS = [[10, 0], [14, 0], [14, 6], [10, 6]]


def camera(**extra: object) -> Camera:
    return Camera(
        id="cam-1",
        name="Gallery camera",
        source="rtsp://127.0.0.1/cam1",
        rooms=["gallery"],
        resolution=(1280, 720),
        **extra,
    )


def test_fitted_homography_maps_the_reference_points_and_back() -> None:
    h = Homography.from_points(IMAGE_CORNERS, FLOOR_CORNERS)
    assert np.allclose(h.apply(IMAGE_CORNERS), FLOOR_CORNERS, atol=1e-6)
    assert np.allclose(h.inverse().apply(FLOOR_CORNERS), IMAGE_CORNERS, atol=1e-4)
    # Perspective: the image midpoint of the near and far edges is not the floor midpoint;
    # the floor's centre line stays the centre line (the trapezoid is symmetric).
    middle = h.apply([[640, 500]])[0]
    assert middle[0] == pytest.approx(12.0)
    assert 0 < middle[1] < 3.0  # nearer rows cover less floor: the image middle is < half way


def test_camera_homography_from_the_site_places_foot_points() -> None:
    fitted = Homography.from_points(IMAGE_CORNERS, FLOOR_CORNERS)
    cam = camera(homography=tuple(tuple(row) for row in fitted.matrix.tolist()))
    h = Homography.of_camera(cam)
    assert h is not None
    people = Detections(
        xyxy=np.array([[180, 400, 220, 700], [1060, 200, 1100, 700], [600, 100, 680, 300]]),
        confidence=np.ones(3),
        class_id=np.zeros(3),
    )
    floor = floor_positions(people, h)
    assert np.allclose(floor, [[10, 0], [14, 0], [12, 6]], atol=1e-6)
    assert Homography.of_camera(camera()) is None


def test_points_beyond_the_horizon_are_unknown_not_wrong() -> None:
    h = Homography.from_points(IMAGE_CORNERS, FLOOR_CORNERS)
    # The far edge converges towards a horizon above the image; far above it, w changes sign.
    result = h.apply([[640, -5000], [640, 500]])
    assert np.isnan(result[0]).all()
    assert np.isfinite(result[1]).all()


def test_bad_matrices_and_points_are_refused() -> None:
    with pytest.raises(ValueError, match="3x3"):
        Homography([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="singular"):
        Homography([[1, 2, 3], [2, 4, 6], [0, 0, 1]])
    with pytest.raises(ValueError, match=">= 4"):
        Homography.from_points(IMAGE_CORNERS[:3], FLOOR_CORNERS[:3])


def test_clip_box_rounds_outwards_and_stays_in_the_image() -> None:
    assert clip_box((-5.5, 10.2, 100.1, 719.9), 1280, 720) == (0, 10, 101, 720)
    assert clip_box((1200.0, 0.0, 1400.0, 50.5), 1280, 720) == (1200, 0, 1280, 51)
