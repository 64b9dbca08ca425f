"""What the onnxruntime back ends share: the CPU session, resizing in and out of the model's
input, non-maximum suppression, and turning raw boxes into :class:`Detections`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

from artguard.vision.detections import COCO_PERSON, Detections, FloatArray, IntArray
from artguard.vision.detectors.base import Image
from artguard.vision.models import model_path, model_version


def create_session(path: Path, threads: int | None = None) -> ort.InferenceSession:
    """An onnxruntime session on the CPU; ``threads`` caps the intra-op threads (None: all)."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    if threads is not None:
        if threads < 1:
            raise ValueError(f"threads must be >= 1, got {threads}")
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


@dataclass(frozen=True)
class DetectorOptions:
    """What every detector back end is tuned by."""

    score_threshold: float = 0.3
    nms_iou: float = 0.5
    classes: tuple[int, ...] | None = (COCO_PERSON,)
    """COCO class ids to keep; None keeps all 80."""
    input_size: int | None = None
    """Side of the square model input; None: the model's own. Fixed-shape models accept only
    their own size."""
    keep_ratio: bool = True
    """Letterbox (keep the aspect ratio, pad) rather than stretch the image to the input."""
    max_detections: int = 100
    threads: int | None = None

    @classmethod
    def from_options(
        cls,
        *,
        score_threshold: float | None = None,
        nms_iou: float | None = None,
        classes: Iterable[int] | str | None = "person",
        input_size: int | None = None,
        keep_ratio: bool | None = None,
        max_detections: int | None = None,
        threads: int | None = None,
        defaults: DetectorOptions | None = None,
    ) -> DetectorOptions:
        """Options from keyword arguments; unset ones come from ``defaults`` (a back end's
        tuned values). ``classes="person"`` keeps people only, ``None`` keeps every class."""
        base = defaults or cls()
        kept = (COCO_PERSON,) if classes == "person" else classes
        options = cls(
            score_threshold=base.score_threshold if score_threshold is None else score_threshold,
            nms_iou=base.nms_iou if nms_iou is None else nms_iou,
            classes=None if kept is None else tuple(int(c) for c in kept),
            input_size=base.input_size if input_size is None else input_size,
            keep_ratio=base.keep_ratio if keep_ratio is None else keep_ratio,
            max_detections=base.max_detections if max_detections is None else max_detections,
            threads=base.threads if threads is None else threads,
        )
        if not 0.0 <= options.score_threshold <= 1.0:
            raise ValueError(f"score_threshold must be in [0, 1], got {options.score_threshold}")
        if not 0.0 < options.nms_iou <= 1.0:
            raise ValueError(f"nms_iou must be in (0, 1], got {options.nms_iou}")
        return options


@dataclass(frozen=True)
class Resize:
    """How an image was put into the model input: ``input = image * scale + pad``."""

    scale_x: float
    scale_y: float
    pad_x: float
    pad_y: float

    def boxes_to_image(self, xyxy: FloatArray) -> FloatArray:
        out = np.asarray(xyxy, np.float32).copy()
        out[:, 0::2] = (out[:, 0::2] - self.pad_x) / self.scale_x
        out[:, 1::2] = (out[:, 1::2] - self.pad_y) / self.scale_y
        return out

    def points_to_image(self, xy: FloatArray) -> FloatArray:
        out = np.asarray(xy, np.float32).copy()
        out[..., 0] = (out[..., 0] - self.pad_x) / self.scale_x
        out[..., 1] = (out[..., 1] - self.pad_y) / self.scale_y
        return out


def resize_into(
    image: Image, width: int, height: int, keep_ratio: bool = True, pad_value: int = 0
) -> tuple[Image, Resize]:
    """Fit ``image`` into a ``width`` x ``height`` canvas: letterboxed (centred, padded with
    ``pad_value``) when ``keep_ratio``, else stretched."""
    h, w = image.shape[:2]
    if not keep_ratio:
        resized = cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR)
        return resized, Resize(width / w, height / h, 0.0, 0.0)
    scale = min(width / w, height / h)
    new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
    canvas = np.full((height, width, image.shape[2]), pad_value, dtype=image.dtype)
    left, top = (width - new_w) // 2, (height - new_h) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas, Resize(new_w / w, new_h / h, float(left), float(top))


def nms(boxes: FloatArray, scores: FloatArray, iou_threshold: float) -> IntArray:
    """Greedy non-maximum suppression; indices of the kept boxes, best score first."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = (boxes[:, i] for i in range(4))
    areas = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        w = np.clip(np.minimum(x2[best], x2[rest]) - np.maximum(x1[best], x1[rest]), 0, None)
        h = np.clip(np.minimum(y2[best], y2[rest]) - np.maximum(y1[best], y1[rest]), 0, None)
        inter = w * h
        iou = inter / np.maximum(areas[best] + areas[rest] - inter, 1e-9)
        order = rest[iou <= iou_threshold]
    return np.asarray(keep, dtype=np.int64)


def batched_nms(
    boxes: FloatArray, scores: FloatArray, class_ids: IntArray, iou_threshold: float
) -> IntArray:
    """NMS within each class: boxes of different classes never suppress each other."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    offset = (class_ids.astype(np.float32) * (float(boxes.max()) + 1.0))[:, None]
    return nms(boxes + offset, scores, iou_threshold)


def finish(
    boxes: FloatArray,
    scores: FloatArray,
    class_ids: IntArray,
    resize: Resize,
    image_shape: tuple[int, ...],
    options: DetectorOptions,
) -> Detections:
    """Candidates in model-input pixels -> final :class:`Detections` in image pixels: keep the
    wanted classes above the threshold, suppress overlaps, map back, clip to the image."""
    keep = scores >= options.score_threshold
    if options.classes is not None:
        keep &= np.isin(class_ids, options.classes)
    boxes, scores, class_ids = boxes[keep], scores[keep], class_ids[keep]
    chosen = batched_nms(boxes, scores, class_ids, options.nms_iou)[: options.max_detections]
    if chosen.size == 0:
        return Detections.empty()
    xyxy = resize.boxes_to_image(boxes[chosen])
    h, w = image_shape[:2]
    xyxy[:, 0::2] = np.clip(xyxy[:, 0::2], 0, w)
    xyxy[:, 1::2] = np.clip(xyxy[:, 1::2], 0, h)
    return Detections(xyxy=xyxy, confidence=scores[chosen], class_id=class_ids[chosen])


class OnnxDetector(ABC):
    """A detector whose model is one ONNX file from the manifest, with a square input.

    Subclasses say how to fill the input (``_to_input``) and how to read the outputs
    (``_candidates``, in model-input pixels); this class does the rest.
    """

    model: str
    """Manifest name of the model file."""
    defaults: DetectorOptions = DetectorOptions()
    """The back end's tuned options (see docs/vision-models.md for the figures)."""
    outputs: list[str] | None = None
    """Output names to compute (None: all), in the order ``_candidates`` gets them."""

    def __init__(self, options: DetectorOptions | None = None, model: Path | None = None) -> None:
        self.options = options or self.defaults
        self._session = create_session(model or model_path(self.model), self.options.threads)
        self.name = model_version(self.model) if model is None else f"{self.model}@{model.name}"
        self._input = self._session.get_inputs()[0]
        self.size = self._input_side(self._input.shape)
        if self.options.input_size not in (None, self.size):
            raise ValueError(
                f"{self.model} has a fixed {self.size}x{self.size} input; "
                f"input_size={self.options.input_size} is not possible"
            )

    def detect(self, image: Image) -> Detections:
        canvas, resize = resize_into(image, self.size, self.size, self.options.keep_ratio)
        outputs = self._session.run(self.outputs, {self._input.name: self._to_input(canvas)})
        boxes, scores, class_ids = self._candidates(outputs)
        return finish(boxes, scores, class_ids, resize, image.shape, self.options)

    @abstractmethod
    def _input_side(self, shape: list) -> int:
        """The square input's side, read from the model's input shape."""

    @abstractmethod
    def _to_input(self, canvas: Image) -> np.ndarray:
        """The BGR canvas (already the input's size) -> the model's input tensor."""

    @abstractmethod
    def _candidates(self, outputs: list[np.ndarray]) -> tuple[FloatArray, FloatArray, IntArray]:
        """Raw outputs -> candidate boxes (xyxy, model-input pixels), scores, COCO class ids."""
