"""Faces in camera frames with BlazeFace, so that stored media can blur them.

:class:`BlazeFaceDetector` runs MediaPipe's BlazeFace "back camera" model (256x256 input, 896
anchors) with onnxruntime and decodes its anchors in numpy. CCTV faces are small: a person 300
pixels tall in a 1280x720 frame has a face of about 30 pixels, which shrinks to 6 pixels when
the whole frame is squeezed into 256x256. So when person boxes are given, the detector looks at
a square crop over the top of each person (head and shoulders), scaled up to the model's input,
rather than at the whole frame.

The output is a :class:`Detections` of face boxes in image pixels (``class_id`` 0) with the
model's six landmarks in ``data["landmarks"]`` (n, 6, 2): right eye, left eye, nose tip, mouth,
right ear, left ear (the person's own sides).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from artguard.vision.detections import Detections, FloatArray
from artguard.vision.detectors.base import Image
from artguard.vision.detectors.onnx_session import create_session, nms, resize_into
from artguard.vision.models import model_path, model_version

MODEL = "blazeface"
INPUT_SIZE = 256
LANDMARKS = ("right_eye", "left_eye", "nose", "mouth", "right_ear", "left_ear")
_LOGIT_CLIP = 100.0
"""MediaPipe clips the raw scores to +-100 before the sigmoid; some reach -5000."""


def anchors(input_size: int = INPUT_SIZE) -> FloatArray:
    """Anchor centres (896, 2) in input pixels, in the order of the model's outputs: a 16x16
    grid at stride 16 with 2 anchors per cell, then an 8x8 grid at stride 32 with 6 per cell
    (MediaPipe's SSD anchors with a fixed anchor size of 1, so only centres matter)."""
    centres = []
    for stride, per_cell in ((input_size // 16, 2), (input_size // 8, 6)):
        cells = input_size // stride
        y, x = np.mgrid[0:cells, 0:cells]
        grid = np.stack([x.ravel(), y.ravel()], axis=1).astype(np.float32)
        centres.append(np.repeat((grid + 0.5) * stride, per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


def head_zones(persons: Detections, shape: tuple[int, ...]) -> npt.NDArray[np.int64]:
    """For each person box, the square over its top where the head is (n, 4), whole pixels
    inside the image: as wide as the box (at least 40 % of its height, for people seen
    side-on), starting a little above it (the box may cut the hair)."""
    boxes = persons.xyxy.astype(np.float64)
    side = np.maximum(boxes[:, 2] - boxes[:, 0], 0.4 * (boxes[:, 3] - boxes[:, 1]))
    cx = (boxes[:, 0] + boxes[:, 2]) / 2
    top = boxes[:, 1] - 0.05 * side
    zones = np.round(np.stack([cx - side / 2, top, cx + side / 2, top + side], axis=1))
    height, width = shape[:2]
    zones[:, 0::2] = np.clip(zones[:, 0::2], 0, width)
    zones[:, 1::2] = np.clip(zones[:, 1::2], 0, height)
    return zones.astype(np.int64)


class BlazeFaceDetector:
    """Face boxes in an image, on the CPU via onnxruntime.

    The image (or each head zone) is letterboxed into 256x256, RGB scaled to -1..1 as
    MediaPipe feeds it (letterboxing scored every face of the face photos higher than
    stretching). ``score_threshold`` 0.5: the faces of the face photos score 0.85 or more,
    photos and paintings without a face at most 0.44, and faces in Penn-Fudan's head zones
    0.5 to 0.9 (``bench/faces.py``); for privacy a missed face costs more than an extra
    blurred patch. ``nms_iou`` 0.3 is MediaPipe's suppression threshold for this model.
    ``min_crop_px``: head zones smaller than this are not searched (a face in them would be a
    few pixels); :mod:`artguard.vision.privacy` blurs such heads whole when they matter.
    """

    def __init__(
        self,
        score_threshold: float = 0.5,
        nms_iou: float = 0.3,
        min_crop_px: int = 16,
        threads: int | None = None,
        model: Path | None = None,
    ) -> None:
        if not 0.0 <= score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be in [0, 1], got {score_threshold}")
        self.score_threshold = score_threshold
        self.nms_iou = nms_iou
        self.min_crop_px = min_crop_px
        self.name = model_version(MODEL) if model is None else f"{MODEL}@{model.name}"
        self._session = create_session(model or model_path(MODEL), threads)
        self._input = self._session.get_inputs()[0].name
        self._outputs = ["scores_s16", "scores_s32", "boxes_s16", "boxes_s32"]
        self._anchors = anchors()

    def detect(self, image: Image, persons: Detections | None = None) -> Detections:
        """Faces in ``image``; with ``persons``, only those in the head zones of those people
        (see :func:`head_zones`), each scaled up to the model's input; without, in the whole
        image."""
        h, w = image.shape[:2]
        if persons is None:
            regions = np.asarray([[0, 0, w, h]], np.int64)
        else:  # a face in a crop smaller than this would be a few pixels: too small to find
            regions = head_zones(persons, image.shape)
            sides = np.minimum(regions[:, 2] - regions[:, 0], regions[:, 3] - regions[:, 1])
            regions = regions[sides >= max(1, self.min_crop_px)]
        found = [self._detect_region(image, region) for region in regions]
        boxes = np.concatenate([f[0] for f in found]) if found else np.zeros((0, 4), np.float32)
        if not len(boxes):
            return _faces(boxes, np.zeros(0, np.float32), np.zeros((0, 6, 2), np.float32))
        scores = np.concatenate([f[1] for f in found])
        landmarks = np.concatenate([f[2] for f in found])
        keep = nms(boxes, scores, self.nms_iou)
        boxes = boxes[keep]
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, w)
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, h)
        return _faces(boxes, scores[keep], landmarks[keep])

    def _detect_region(
        self, image: Image, region: npt.NDArray[np.int64]
    ) -> tuple[FloatArray, FloatArray, FloatArray]:
        x0, y0, x1, y1 = (int(v) for v in region)
        crop = image[y0:y1, x0:x1]
        canvas, resize = resize_into(crop, INPUT_SIZE, INPUT_SIZE, keep_ratio=True)
        rgb = canvas[..., ::-1].astype(np.float32) / 127.5 - 1.0
        s16, s32, b16, b32 = self._session.run(self._outputs, {self._input: rgb[None]})
        logits = np.concatenate([s16[0, :, 0], s32[0, :, 0]])
        raw = np.concatenate([b16[0], b32[0]])
        keep = logits >= _logit(self.score_threshold)
        logits, raw, centres = logits[keep], raw[keep], self._anchors[keep]
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits, -_LOGIT_CLIP, _LOGIT_CLIP)))
        cx, cy = centres[:, 0] + raw[:, 0], centres[:, 1] + raw[:, 1]
        half_w, half_h = raw[:, 2] / 2, raw[:, 3] / 2
        boxes = np.stack([cx - half_w, cy - half_h, cx + half_w, cy + half_h], axis=1)
        points = raw[:, 4:16].reshape(-1, 6, 2) + centres[:, None, :]
        offset = np.asarray([x0, y0], np.float32)
        boxes = resize.boxes_to_image(boxes) + np.tile(offset, 2)
        points = resize.points_to_image(points) + offset
        return boxes.astype(np.float32), scores.astype(np.float32), points.astype(np.float32)


def _logit(p: float) -> float:
    if p <= 0.0:
        return -np.inf
    if p >= 1.0:
        return np.inf
    return float(np.log(p / (1.0 - p)))


def _faces(boxes: FloatArray, scores: FloatArray, landmarks: FloatArray) -> Detections:
    return Detections(
        xyxy=boxes,
        confidence=scores,
        class_id=np.zeros(len(boxes), np.int64),
        data={"landmarks": landmarks},
    )
