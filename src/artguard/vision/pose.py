"""Body keypoints with MoveNet MultiPose, and what they tell: is an arm reaching out?

A person standing near an artwork and a person reaching for it have the same box; only the arm
tells them apart. :class:`MoveNetMultiPose` finds up to 6 people with the 17 COCO keypoints;
:func:`arm_reach` measures each arm (how straight, how far raised from the torso) so a rule can
check whether the wrist of an outstretched arm is inside an artwork's zone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt

from artguard.vision.detections import COCO_PERSON, Detections, FloatArray
from artguard.vision.detectors.base import Image
from artguard.vision.detectors.onnx_session import Resize, create_session, nms
from artguard.vision.models import model_path, model_version

KEYPOINTS = (
    "nose",
    "left_eye",
    "right_eye",
    "left_ear",
    "right_ear",
    "left_shoulder",
    "right_shoulder",
    "left_elbow",
    "right_elbow",
    "left_wrist",
    "right_wrist",
    "left_hip",
    "right_hip",
    "left_knee",
    "right_knee",
    "left_ankle",
    "right_ankle",
)
"""COCO-17 keypoint order (the person's own left and right)."""
KP = {name: i for i, name in enumerate(KEYPOINTS)}

MODEL = "movenet-multipose"
_STRIDE = 32
"""MoveNet's input sides must be multiples of this."""


class MoveNetMultiPose:
    """Up to 6 people per image with 17 keypoints each, on the CPU via onnxruntime.

    The image is scaled so that its longer side is ``input_size`` (a multiple of 32; 256 is
    the size MoveNet Lightning was trained for) and the shorter side is padded up to a multiple
    of 32, keeping the aspect ratio; boxes and keypoints are mapped back to image pixels.
    The default ``score_threshold`` 0.2 is next to the best F1 of its person boxes on Penn-Fudan
    (0.916 at 0.18; P 0.91 / R 0.91 at 0.2); 384 px inputs were no better (AP 0.936 vs 0.943).
    """

    def __init__(
        self,
        score_threshold: float = 0.2,
        input_size: int = 256,
        nms_iou: float = 0.5,
        threads: int | None = None,
        model: Path | None = None,
    ) -> None:
        if input_size < _STRIDE or input_size % _STRIDE:
            raise ValueError(f"input_size must be a positive multiple of {_STRIDE}: {input_size}")
        self.score_threshold = score_threshold
        self.input_size = input_size
        self.nms_iou = nms_iou
        self.name = model_version(MODEL) if model is None else f"{MODEL}@{model.name}"
        self._session = create_session(model or model_path(MODEL), threads)
        self._input = self._session.get_inputs()[0].name

    def estimate(self, image: Image) -> Detections:
        batch, resize, (height, width) = self._prepare(image)
        poses = self._session.run(None, {self._input: batch})[0][0]  # (6, 56)
        poses = poses[poses[:, 55] >= self.score_threshold]
        if not len(poses):
            return Detections.empty()
        scale = np.asarray([height, width, height, width], np.float32)
        ymin, xmin, ymax, xmax = (poses[:, 51:55] * scale).T
        boxes = resize.boxes_to_image(np.stack([xmin, ymin, xmax, ymax], axis=1))
        kp = poses[:, :51].reshape(-1, 17, 3)
        xy = resize.points_to_image(np.stack([kp[..., 1] * width, kp[..., 0] * height], -1))
        keep = nms(boxes, poses[:, 55], self.nms_iou)
        h, w = image.shape[:2]
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, w)
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, h)
        keypoints = np.concatenate([xy, kp[..., 2:3]], axis=-1).astype(np.float32)
        return Detections(
            xyxy=boxes[keep],
            confidence=poses[keep, 55],
            class_id=np.full(len(keep), COCO_PERSON, np.int64),
            keypoints=keypoints[keep],
        )

    def _prepare(self, image: Image) -> tuple[np.ndarray, Resize, tuple[int, int]]:
        """Longer side -> ``input_size``, shorter side padded (bottom/right) to a multiple of
        32, BGR -> RGB int32 as the model takes it."""
        h, w = image.shape[:2]
        scale = self.input_size / max(h, w)
        new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
        width = math.ceil(new_w / _STRIDE) * _STRIDE
        height = math.ceil(new_h / _STRIDE) * _STRIDE
        canvas = np.zeros((height, width, 3), np.uint8)
        canvas[:new_h, :new_w] = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_AREA)
        rgb = cv2.cvtColor(canvas, cv2.COLOR_BGR2RGB)
        return rgb.astype(np.int32)[None], Resize(new_w / w, new_h / h, 0.0, 0.0), (height, width)


@dataclass(frozen=True)
class ArmReach:
    """Per person and arm (index 0 = left, 1 = right): where the wrist is and whether the arm
    reaches out. Values are NaN (and ``reaching`` False) where a keypoint was not seen."""

    wrist: FloatArray
    """(n, 2, 2) wrist x, y in image pixels."""
    straightness: FloatArray
    """(n, 2) shoulder-to-wrist distance over the arm's length via the elbow: 1 = straight."""
    elevation: FloatArray
    """(n, 2) angle in degrees between the arm (shoulder to wrist) and the torso's downward
    axis (shoulder midpoint to hip midpoint): 0 hanging, 90 held out level, 180 straight up."""
    reaching: npt.NDArray[np.bool_]
    """(n, 2) the arm is nearly straight and raised away from the body."""


def arm_reach(
    detections: Detections,
    min_score: float = 0.3,
    min_straightness: float = 0.8,
    min_elevation: float = 60.0,
) -> ArmReach:
    """Measure each arm of each person in ``detections`` (which must carry ``keypoints``).

    Default limits from MoveNet on Penn-Fudan's walking pedestrians (538 arms seen): the
    elevation's median is 12 degrees and its 95th percentile 57 (a forward arm swing, a hand on
    bicycle handlebars), and 0.6 % of those arms count as reaching; an arm held out towards a
    wall-hung work is 60 degrees or more. A bent arm (phone, crossed arms) is not reaching. An
    arm pointing at the camera is foreshortened in the image and is not seen as reaching: check
    wrists against the artwork's zone too.
    """
    if detections.keypoints is None:
        raise ValueError("arm_reach needs detections with keypoints (a pose estimator's output)")
    kp = detections.keypoints.astype(np.float64)
    xy = np.where(kp[..., 2:3] >= min_score, kp[..., :2], np.nan)
    shoulders = xy[:, [KP["left_shoulder"], KP["right_shoulder"]]]
    elbows = xy[:, [KP["left_elbow"], KP["right_elbow"]]]
    wrists = xy[:, [KP["left_wrist"], KP["right_wrist"]]]
    hips = xy[:, [KP["left_hip"], KP["right_hip"]]]

    with np.errstate(invalid="ignore", divide="ignore"):
        length = _norm(elbows - shoulders) + _norm(wrists - elbows)
        straightness = _norm(wrists - shoulders) / length
        # The torso's downward axis; with no hip in view, the image's vertical.
        axis = _midpoint(hips) - _midpoint(shoulders)
        axis = np.where(np.isnan(axis), [0.0, 1.0], axis)
        axis /= _norm(axis)[:, None]
        arm = wrists - shoulders
        cosine = (arm * axis[:, None, :]).sum(-1) / _norm(arm)
        elevation = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
        reaching = (straightness >= min_straightness) & (elevation >= min_elevation)
    return ArmReach(
        wrist=wrists.astype(np.float32),
        straightness=straightness.astype(np.float32),
        elevation=elevation.astype(np.float32),
        reaching=reaching,
    )


def _midpoint(pair: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Midpoint of a left/right pair (n, 2, 2); the one seen when only one is; else NaN."""
    left, right = pair[:, 0], pair[:, 1]
    return np.where(np.isnan(left), right, np.where(np.isnan(right), left, (left + right) / 2))


def _norm(v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return np.sqrt((v**2).sum(-1))
