"""The face in an image and its 68 landmarks (dlib HOG detector + 68-point shape predictor).

Door cameras and enrolment photos show one person close up, so the largest face is the one
that counts. Big photos are scaled down to :data:`MAX_SIDE` first (HOG time grows with the
pixel count; a door face is hundreds of pixels wide). The HOG detector finds faces of about
80 pixels and more; when it finds none in a small image, the image is searched again
upsampled once (faces down to about 40 pixels), which costs four times as much: on the
hamilton clip (640x360) 116 of 123 frames need only the first pass, 30 ms instead of 130.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from artguard.biometrics.models import face_detector, shape_predictor

MAX_SIDE = 1024
UPSAMPLE_BELOW = 700
"""Images whose longer side is below this are upsampled once before detection."""

Image = npt.NDArray[np.uint8]


class FaceImageError(ValueError):
    """An image could not be read, or holds no face; the message names the image."""


@dataclass(frozen=True)
class Face:
    """One face: box (left, top, right, bottom) and 68 landmarks (x, y) in the pixels of
    ``rgb`` (the image as analysed, possibly scaled by ``scale`` from the original)."""

    box: tuple[int, int, int, int]
    landmarks: npt.NDArray[np.float64]
    rgb: Image
    scale: float
    shape: Any  # dlib.full_object_detection, used by the descriptor

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]


def read_image(path: str | Path) -> Image:
    """A BGR image from a file; a clear error when it is missing or not an image."""
    path = Path(path)
    if not path.is_file():
        raise FaceImageError(f"{path}: no such image file")
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FaceImageError(f"{path}: not a readable image")
    return image


def _prepare(image: Image) -> tuple[Image, float]:
    if image.ndim != 3 or image.shape[2] != 3:
        raise FaceImageError(f"expected a colour image (h, w, 3), got shape {image.shape}")
    longest = max(image.shape[:2])
    scale = min(1.0, MAX_SIDE / longest)
    if scale < 1.0:
        image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(image[..., ::-1]), scale


def find_faces(image: Image) -> list[Face]:
    """All faces in a BGR image, largest first."""
    rgb, scale = _prepare(image)
    rects = face_detector()(rgb, 0)
    if not len(rects) and max(rgb.shape[:2]) < UPSAMPLE_BELOW:
        rects = face_detector()(rgb, 1)  # 4x the work: only when no face was found at 1x
    predictor = shape_predictor(68)
    faces = []
    for rect in sorted(rects, key=lambda r: r.width() * r.height(), reverse=True):
        shape = predictor(rgb, rect)
        points = np.asarray([(p.x, p.y) for p in shape.parts()], np.float64)
        box = (rect.left(), rect.top(), rect.right(), rect.bottom())
        faces.append(Face(box=box, landmarks=points, rgb=rgb, scale=scale, shape=shape))
    return faces


def largest_face(image: Image, what: str = "image") -> Face:
    """The largest face, or :class:`FaceImageError` naming ``what`` when there is none."""
    faces = find_faces(image)
    if not faces:
        raise FaceImageError(f"{what}: no face found")
    return faces[0]
