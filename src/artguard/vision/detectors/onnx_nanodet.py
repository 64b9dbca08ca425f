"""NanoDet (RangiLyu/nanodet, GFL head) on onnxruntime: COCO objects in a 416x416 input.

The graph ends before decoding. For each stride (8, 16, 32) it gives per-cell class scores
(sigmoid, 80 COCO classes) and, per box side, logits over 11 distance bins; the distance from the
cell centre is the softmax-weighted bin index times the stride (the GFL "integral").
"""

from __future__ import annotations

import cv2
import numpy as np

from artguard.vision.detections import FloatArray, IntArray
from artguard.vision.detectors.base import Image
from artguard.vision.detectors.onnx_session import DetectorOptions, OnnxDetector

STRIDES = (8, 16, 32)
BINS = 11


class NanoDetDetector(OnnxDetector):
    model = "nanodet"
    defaults = DetectorOptions(score_threshold=0.4, nms_iou=0.5)  # Penn-Fudan best F1: see docs
    outputs = [f"{kind}_s{stride}" for kind in ("scores", "boxes") for stride in STRIDES]

    def _input_side(self, shape: list) -> int:
        return int(shape[2])  # NCHW

    def _to_input(self, canvas: Image) -> np.ndarray:
        rgb = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        return rgb.transpose(2, 0, 1)[None]

    def _candidates(self, outputs: list[np.ndarray]) -> tuple[FloatArray, FloatArray, IntArray]:
        named = dict(zip(self.outputs or [], outputs, strict=True))
        classes = np.asarray(self.options.classes or range(80))
        boxes, scores, class_ids = [], [], []
        for stride in STRIDES:
            cls = named[f"scores_s{stride}"][0][:, classes]  # (cells, kept classes)
            cell, col = np.nonzero(cls >= self.options.score_threshold)
            if not cell.size:
                continue
            logits = named[f"boxes_s{stride}"][0][cell].reshape(-1, 4, BINS)
            distance = _integral(logits) * stride  # left, top, right, bottom
            side = self.size // stride
            cy, cx = np.divmod(cell, side)
            cx, cy = (cx + 0.5) * stride, (cy + 0.5) * stride
            boxes.append(
                np.stack(
                    [
                        cx - distance[:, 0],
                        cy - distance[:, 1],
                        cx + distance[:, 2],
                        cy + distance[:, 3],
                    ],
                    axis=1,
                )
            )
            scores.append(cls[cell, col])
            class_ids.append(classes[col])
        if not boxes:
            return np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros(0, np.int64)
        return (
            np.concatenate(boxes).astype(np.float32),
            np.concatenate(scores).astype(np.float32),
            np.concatenate(class_ids).astype(np.int64),
        )


def _integral(logits: np.ndarray) -> np.ndarray:
    """Expected bin index under the softmax over the last axis."""
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (e * np.arange(BINS)).sum(-1) / e.sum(-1)
