"""Detector back ends, chosen by a ``type`` name: ``create_detector("centernet")``.

A new back end (GPU, OpenVINO, Coral) is one module with a class that implements
:class:`~artguard.vision.detectors.base.Detector`, is built from ``(options, model)`` and has
tuned ``defaults`` (a :class:`Backend`); add it to ``DETECTOR_TYPES``. The benchmark and the
tests pick it up from there. See docs/vision-models.md.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any, Protocol

from artguard.vision.detectors.base import Detector, Image, PoseEstimator
from artguard.vision.detectors.onnx_centernet import CenterNetDetector
from artguard.vision.detectors.onnx_nanodet import NanoDetDetector
from artguard.vision.detectors.onnx_session import DetectorOptions


class Backend(Protocol):
    """What ``DETECTOR_TYPES`` holds: a detector class with its tuned options."""

    defaults: DetectorOptions

    def __call__(self, options: DetectorOptions, model: Path | None) -> Detector: ...


DETECTOR_TYPES: dict[str, Backend] = {
    "centernet": CenterNetDetector,
    "nanodet": NanoDetDetector,
}

DEFAULT_DETECTOR = "centernet"
# Chosen from bench/detection_pennfudan.py (Penn-Fudan: 170 photos, 423 people; IoU 0.5;
# 2-core CPU under other load; full table in docs/vision-models.md):
#   centernet, letterbox: AP 0.963, best F1 0.906 at 0.43; at 0.4 P 0.85 / R 0.94; 123 ms CPU
#   nanodet,   letterbox: AP 0.870, best F1 0.787 at 0.40; at 0.4 P 0.81 / R 0.76;  83 ms CPU
# CenterNet misses 6 % of people where NanoDet misses 24 % at the same threshold, for 1.5x the
# CPU. Its default threshold 0.4 is the round value next to its best F1; the "false
# positives" inspected there were real but unlabelled people (cyclists, background, cut off).

__all__ = [
    "DEFAULT_DETECTOR",
    "DETECTOR_TYPES",
    "Backend",
    "Detector",
    "DetectorOptions",
    "Image",
    "PoseEstimator",
    "create_detector",
]

_OPTIONS = sorted(
    name
    for name in inspect.signature(DetectorOptions.from_options).parameters
    if name != "defaults"
)


def create_detector(type: str = DEFAULT_DETECTOR, **options: Any) -> Detector:
    """A detector of back end ``type`` with ``options`` (``score_threshold``, ``nms_iou``,
    ``classes`` (default person only; None for all), ``input_size``, ``keep_ratio``,
    ``max_detections``, ``threads``, and ``model``: a path overriding the manifest's file).
    Unset options take the back end's tuned defaults."""
    if type not in DETECTOR_TYPES:
        raise ValueError(f"unknown detector type {type!r}; known: {', '.join(DETECTOR_TYPES)}")
    backend = DETECTOR_TYPES[type]
    model = options.pop("model", None)
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ValueError(f"unknown detector option(s) {unknown}; known: {[*_OPTIONS, 'model']}")
    settings = DetectorOptions.from_options(**options, defaults=backend.defaults)
    return backend(settings, None if model is None else Path(model))
