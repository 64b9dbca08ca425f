"""The dlib models used for faces, from the ``face_recognition_models`` package (CC0 weights)
and ``dlib-bin`` (the runtime). Loaded once per process and shared: a dlib model is a few
tens of megabytes and read-only after loading.

The packages are optional extras (``pip install artguard[biometrics]``); without them every
entry point raises :class:`BiometricModelError` saying what to install.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any


class BiometricModelError(RuntimeError):
    """A biometric model or its runtime is missing; the message says what to install."""


RECOGNITION = "dlib_face_recognition_resnet_model_v1.dat"
LANDMARKS_68 = "shape_predictor_68_face_landmarks.dat"
LANDMARKS_5 = "shape_predictor_5_face_landmarks.dat"


def dlib_module() -> Any:
    try:
        import dlib
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise BiometricModelError(
            "face biometrics need dlib: pip install 'artguard[biometrics]' (dlib-bin)"
        ) from exc
    return dlib


def model_file(name: str) -> Path:
    """Path of one of the ``face_recognition_models`` weight files."""
    try:
        import face_recognition_models
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise BiometricModelError(
            "face biometrics need the dlib weights: pip install 'artguard[biometrics]' "
            "(face_recognition_models)"
        ) from exc
    path = Path(face_recognition_models.__file__).parent / "models" / name
    if not path.is_file():
        raise BiometricModelError(f"face model {name} is missing from {path.parent}")
    return path


@cache
def face_detector() -> Any:
    """dlib's HOG + linear SVM frontal face detector (built into dlib, no weight file)."""
    return dlib_module().get_frontal_face_detector()


@cache
def shape_predictor(points: int = 68) -> Any:
    """dlib's landmark regressor: 68 points (iBUG 300-W layout) or 5 (eye corners, nose)."""
    if points not in (5, 68):
        raise ValueError(f"shape predictor points must be 5 or 68, got {points}")
    name = LANDMARKS_68 if points == 68 else LANDMARKS_5
    return dlib_module().shape_predictor(str(model_file(name)))


@cache
def face_encoder() -> Any:
    """dlib's ResNet-29 face descriptor (128-D, LFW 99.38 % as published by dlib)."""
    return dlib_module().face_recognition_model_v1(str(model_file(RECOGNITION)))
