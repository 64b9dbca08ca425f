"""Paths to the real face data beside the project, and the hamilton clip's frames.

Tests using them skip with a reason when ``../shared/data`` or dlib is absent."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
FACES = SHARED / "faces" / "face_recognition_examples" / "examples"
TRAIN = FACES / "knn_examples" / "train"
CLIP = FACES / "short_hamilton_clip.mp4"
SILENT_FACE = SHARED / "models" / "silent_face"
PTH_DIR = SILENT_FACE / "resources" / "anti_spoof_models"
SAMPLES = SILENT_FACE / "images" / "sample"
CLIP_FPS = 29.97

needs_faces = pytest.mark.skipif(not FACES.is_dir(), reason=f"face data not found at {FACES}")
needs_silent_face = pytest.mark.skipif(
    not PTH_DIR.is_dir(), reason=f"MiniFASNet weights not found at {PTH_DIR}"
)

try:
    import dlib  # noqa: F401
    import face_recognition_models  # noqa: F401

    HAVE_DLIB = True
except ImportError:  # pragma: no cover - depends on the installation
    HAVE_DLIB = False

needs_dlib = pytest.mark.skipif(
    not HAVE_DLIB, reason="dlib-bin / face_recognition_models not installed (artguard[biometrics])"
)


@cache
def clip_frames() -> tuple[np.ndarray, ...]:
    """All 275 frames of the hamilton clip (640x360 BGR)."""
    capture = cv2.VideoCapture(str(CLIP))
    frames = []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames.append(frame)
    capture.release()
    return tuple(frames)


def segment(start: int, stop: int, stretch: float = 1.0) -> list[tuple[float, np.ndarray]]:
    """Frames ``start``..``stop-1`` with capture times from 0 at the clip's rate (times
    ``stretch``: > 1 plays the same movement slower)."""
    frames = clip_frames()
    return [((i - start) / CLIP_FPS * stretch, frames[i]) for i in range(start, stop)]
