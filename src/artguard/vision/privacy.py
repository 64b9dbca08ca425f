"""Faces blurred in stored media: what is blurred, and how.

Policy (the default for every snapshot artguard stores; unblurred originals only where the
site enables them):

1. Every face BlazeFace finds is blurred: in the head-and-shoulders crop of each detected
   person (CCTV faces are too small for a whole-frame pass), or in the whole image when no
   person boxes are given.
2. **Fail safe: blur rather than leak.** A person the face detector found no face for (turned
   away, looking down, too small or too blurred for the model) still gets their head blurred
   when they are tall enough for a face to be recognisable (``min_person_px``): the head is
   placed from the pose keypoints (nose, eyes, ears) when a pose model ran, else it is the top
   18 % of the person's box, across its whole width. A face that does not sit where that
   person's head is (a false detection on a shirt, say) does not count as their face.
3. Each blurred area is the face (or head) box grown by 20 % around its centre, so hair, ears
   and the jaw line go too. ``pixelate`` (the default) averages it into 8 x 8 blocks (their
   edges softened); ``gaussian`` blurs it with a sigma of an eighth of its longer side. Both
   remove the detail a face is recognised by: the variance of the Laplacian over each face of
   the face photos falls by a factor of 60 or more (``tests/vision/test_privacy.py``).

Limits: with person boxes, the face of a person the person detector missed is not searched
(``persons=None`` searches the whole frame instead, which also blurs the faces of portraits
hanging in view); a head far from the top of its box
(someone bending down) is covered by the keypoints only when a pose model ran; blurring hides
faces from people looking at the image, it is no guarantee against every re-identification
(clothes, gait and context stay visible).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import cv2
import numpy as np
import numpy.typing as npt

from artguard.vision.detections import Detections, FloatArray
from artguard.vision.detectors.base import Image
from artguard.vision.faces import BlazeFaceDetector, head_zones
from artguard.vision.pose import KP

Method = Literal["pixelate", "gaussian"]
HEAD_KEYPOINTS = (KP["nose"], KP["left_eye"], KP["right_eye"], KP["left_ear"], KP["right_ear"])
GROW = 1.2
"""Blurred areas are the face box grown by this factor around its centre."""
BLOCKS = 8
"""Pixelation: the blurred area becomes at most this many blocks along each side."""


def grow_boxes(xyxy: FloatArray, factor: float, shape: tuple[int, ...]) -> npt.NDArray[np.int64]:
    """Boxes scaled by ``factor`` around their centres, as whole pixels inside the image."""
    boxes = np.asarray(xyxy, np.float64).reshape(-1, 4)
    centre = (boxes[:, :2] + boxes[:, 2:]) / 2
    half = (boxes[:, 2:] - boxes[:, :2]) / 2 * factor
    grown = np.concatenate([np.floor(centre - half), np.ceil(centre + half)], axis=1)
    height, width = shape[:2]
    grown[:, 0::2] = np.clip(grown[:, 0::2], 0, width)
    grown[:, 1::2] = np.clip(grown[:, 1::2], 0, height)
    return grown.astype(np.int64)


def blur_faces(
    image: Image,
    faces: Detections | FloatArray,
    *,
    method: Method = "pixelate",
    grow: float = GROW,
    blocks: int = BLOCKS,
) -> Image:
    """A copy of ``image`` with every box of ``faces`` (grown by ``grow``) made unrecognisable.

    ``pixelate`` averages each area into at most ``blocks`` x ``blocks`` cells; ``gaussian``
    blurs it with sigma = its longer side / ``blocks``.
    """
    if method not in ("pixelate", "gaussian"):
        raise ValueError(f"method must be 'pixelate' or 'gaussian', got {method!r}")
    xyxy = faces.xyxy if isinstance(faces, Detections) else np.asarray(faces, np.float32)
    out = image.copy()
    for x1, y1, x2, y2 in grow_boxes(xyxy, grow, image.shape):
        if x2 <= x1 or y2 <= y1:
            continue
        area = out[y1:y2, x1:x2]
        if method == "pixelate":
            area[:] = _pixelate(area, blocks)
        else:
            area[:] = _gaussian(area, blocks)
    return out


def _pixelate(area: Image, blocks: int) -> Image:
    h, w = area.shape[:2]
    small = cv2.resize(area, (min(blocks, w), min(blocks, h)), interpolation=cv2.INTER_AREA)
    mosaic = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    # Soften the block edges (still visibly blocks): the sharp steps between blocks are detail
    # the face never had, and they add nothing to the 8 x 8 averages that are left of it.
    sigma = max(w / small.shape[1], h / small.shape[0]) / 4
    if sigma < 0.5:
        return mosaic
    size = 2 * int(3 * sigma) + 1
    return cv2.GaussianBlur(mosaic, (size, size), sigma, borderType=cv2.BORDER_REPLICATE)


def _gaussian(area: Image, blocks: int) -> Image:
    h, w = area.shape[:2]
    sigma = max(1.0, max(h, w) / blocks)
    # A wide kernel is slow (sigma 60 for a 480-pixel face): blur a copy shrunk so that sigma
    # is 4 pixels, then scale it back; the result is as smooth.
    shrink = min(1.0, 4.0 / sigma)
    small = cv2.resize(
        area,
        (max(1, round(w * shrink)), max(1, round(h * shrink))),
        interpolation=cv2.INTER_AREA,
    )
    size = 2 * int(3 * sigma * shrink) + 1
    blurred = cv2.GaussianBlur(small, (size, size), sigma * shrink, borderType=cv2.BORDER_REPLICATE)
    return cv2.resize(blurred, (w, h), interpolation=cv2.INTER_LINEAR)


@dataclass(frozen=True)
class RedactionPolicy:
    """When a person without a detected face still gets their head blurred, and where."""

    min_person_px: float = 40.0
    """Persons shorter than this (pixels) have faces of a few pixels: nothing to recognise."""
    head_fraction: float = 0.18
    """Without keypoints, the head is this top fraction of the person's box."""
    keypoint_score: float = 0.3
    """Pose keypoints under this confidence are treated as unseen (as in ``arm_reach``)."""


def head_boxes(persons: Detections, policy: RedactionPolicy = RedactionPolicy()) -> FloatArray:
    """Where each person's head is estimated to be: from the visible head keypoints when the
    detections carry them, else the top ``head_fraction`` of the box."""
    boxes = np.zeros((len(persons), 4), np.float32)
    for i, (x1, y1, x2, y2) in enumerate(persons.xyxy.astype(np.float64)):
        from_pose = None
        if persons.keypoints is not None:
            from_pose = _head_from_keypoints(persons.keypoints[i], y2 - y1, policy.keypoint_score)
        if from_pose is not None:
            boxes[i] = from_pose
        else:
            boxes[i] = (x1, y1, x2, y1 + policy.head_fraction * (y2 - y1))
    return boxes


def _head_from_keypoints(
    keypoints: FloatArray, person_height: float, min_score: float
) -> tuple[float, float, float, float] | None:
    head = keypoints[list(HEAD_KEYPOINTS)]
    seen = head[head[:, 2] >= min_score, :2].astype(np.float64)
    if not len(seen):
        return None
    cx, cy = seen.mean(axis=0)
    spread = float(np.ptp(seen, axis=0).max()) if len(seen) > 1 else 0.0
    # Eyes to ears span about half a head; a head is about an eighth of a standing person.
    side = max(2.0 * spread, 0.12 * person_height)
    cy -= 0.1 * side  # the eyes and nose sit a little below the middle of the head
    return (cx - side / 2, cy - side / 2, cx + side / 2, cy + side / 2)


def uncovered_persons(
    persons: Detections, faces: Detections, image_shape: tuple[int, ...], policy: RedactionPolicy
) -> npt.NDArray[np.bool_]:
    """Persons tall enough to show a face for whom no detected face has its centre where their
    head is: the head estimated from keypoints (grown by ``GROW``) when the person has visible
    head keypoints, else the head zone the face detector searched."""
    tall = (persons.xyxy[:, 3] - persons.xyxy[:, 1]) >= policy.min_person_px
    if not len(faces):
        return tall
    centres = (faces.xyxy[:, :2] + faces.xyxy[:, 2:]) / 2
    zones = head_zones(persons, image_shape)
    if persons.keypoints is not None:
        from_pose = grow_boxes(head_boxes(persons, policy), GROW, image_shape)
        seen = persons.keypoints[:, list(HEAD_KEYPOINTS), 2] >= policy.keypoint_score
        zones = np.where(seen.any(axis=1)[:, None], from_pose, zones)
    covered = np.zeros(len(persons), bool)
    for i, zone in enumerate(zones):
        inside = (
            (centres[:, 0] >= zone[0])
            & (centres[:, 0] <= zone[2])
            & (centres[:, 1] >= zone[1])
            & (centres[:, 1] <= zone[3])
        )
        covered[i] = bool(inside.any())
    return tall & ~covered


class Redactor:
    """Finds what to blur in a frame (faces, and the heads of people without one) and
    blurs it; see the module docstring for the policy."""

    def __init__(
        self,
        detector: BlazeFaceDetector | None = None,
        policy: RedactionPolicy = RedactionPolicy(),
        method: Method = "pixelate",
    ) -> None:
        self.detector = detector or BlazeFaceDetector()
        self.policy = policy
        self.method: Method = method

    def areas(self, image: Image, persons: Detections | None = None) -> Detections:
        """Boxes to blur, with ``data["reason"]``: ``face`` (detected; ``confidence`` is its
        score) or ``head`` (a person without a detected face: head from keypoints or the top
        of the box; ``confidence`` 0)."""
        faces = self.detector.detect(image, persons)
        reasons = ["face"] * len(faces)
        boxes = [faces.xyxy]
        if persons is not None and len(persons):
            missing = uncovered_persons(persons, faces, image.shape, self.policy)
            heads = head_boxes(persons[missing], self.policy)
            boxes.append(heads)
            reasons += ["head"] * len(heads)
        xyxy = np.concatenate(boxes).astype(np.float32)
        return Detections(
            xyxy=xyxy,
            confidence=np.concatenate([faces.confidence, np.zeros(len(xyxy) - len(faces))]),
            class_id=np.zeros(len(xyxy), np.int64),
            data={"reason": np.asarray(reasons, dtype=object)},
        )

    def redact(self, image: Image, persons: Detections | None = None) -> Image:
        """A copy of ``image`` with faces and unidentified heads blurred."""
        areas = self.areas(image, persons)
        if not len(areas):
            return image.copy()
        return blur_faces(image, areas, method=self.method)


@functools.cache
def default_redactor() -> Redactor:
    """One shared redactor (its model session is loaded once per process)."""
    return Redactor()


def redact(
    image: Image, persons: Detections | None = None, *, redactor: Redactor | None = None
) -> Image:
    """``image`` with faces blurred, by :func:`default_redactor` unless one is given.

    ``persons``: the person boxes of the frame (and keypoints, if a pose model ran); faces are
    searched in their head crops, and every person tall enough without a face found gets the
    estimated head blurred. None searches the whole image for faces.
    """
    return (redactor or default_redactor()).redact(image, persons)
