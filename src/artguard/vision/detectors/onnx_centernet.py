"""MobileNetV3-CenterNet (610265158/mobilenetv3_centernet) on onnxruntime: COCO objects in a
512x512 input.

The graph decodes itself: the class heat map's 3x3 peaks, the 100 best, each with its box from
the size head, as rows ``x1, y1, x2, y2, score, class`` in input pixels (class 0-based COCO).
"""

from __future__ import annotations

import cv2
import numpy as np

from artguard.vision.detections import FloatArray, IntArray
from artguard.vision.detectors.base import Image
from artguard.vision.detectors.onnx_session import DetectorOptions, OnnxDetector


class CenterNetDetector(OnnxDetector):
    model = "centernet"
    defaults = DetectorOptions(score_threshold=0.4, nms_iou=0.5)  # Penn-Fudan best F1: see docs
    outputs = ["detections"]  # (1, 100, 6)

    def _input_side(self, shape: list) -> int:
        return int(shape[1])  # NHWC

    def _to_input(self, canvas: Image) -> np.ndarray:
        return cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB).astype(np.float32)[None]

    def _candidates(self, outputs: list[np.ndarray]) -> tuple[FloatArray, FloatArray, IntArray]:
        rows = outputs[0][0]
        return (
            rows[:, :4].astype(np.float32),
            rows[:, 4].astype(np.float32),
            rows[:, 5].astype(np.int64),
        )
