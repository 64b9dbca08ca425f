"""What every detector back end provides. A new accelerator (GPU, OpenVINO, Coral) is one
module implementing :class:`Detector`, registered by its ``type`` name."""

from __future__ import annotations

from typing import Protocol

import numpy as np
import numpy.typing as npt

from artguard.vision.detections import Detections

Image = npt.NDArray[np.uint8]
"""An H x W x 3 BGR image (OpenCV's layout)."""


class Detector(Protocol):
    """Finds objects in one image."""

    name: str
    """Model name and version, recorded with every automated decision."""

    def detect(self, image: Image) -> Detections:
        """Boxes in the image's own pixel coordinates, class ids in COCO numbering."""


class PoseEstimator(Protocol):
    """Finds people and their body keypoints in one image."""

    name: str

    def estimate(self, image: Image) -> Detections:
        """Person boxes with ``keypoints`` (n, 17, 3) filled, COCO-17 keypoint order."""
