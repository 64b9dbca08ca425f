"""Passive liveness scores from imported MiniFASNet models (see :mod:`.minifasnet`).

Each model looks at a crop around the face box (2.7 or 4 times its size, as its file name
says), resized to 80x80; the score is the mean "real" probability over the models, as
upstream averages them. It is evidence, not a decision: two models trained on one vendor's
data, measured here on a handful of images (docs/access.md). The door's decision rests on the
challenge (:mod:`.challenge`); a low passive score can only add a refusal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from artguard.biometrics.faces import Face, Image, largest_face

DEFAULT_THRESHOLD = 0.5


class PassiveModelError(RuntimeError):
    """No usable imported MiniFASNet model; the message says where it looked."""


@dataclass(frozen=True)
class PassiveScore:
    score: float
    threshold: float
    per_model: dict[str, float]

    @property
    def live(self) -> bool:
        return self.score >= self.threshold


def crop_box(
    shape: tuple[int, ...], box: tuple[float, float, float, float], scale: float
) -> tuple[int, int, int, int]:
    """Upstream's crop: the face box grown ``scale`` times about its centre (less if the
    image is too small), shifted to stay inside the image; (left, top, right, bottom)
    inclusive."""
    src_h, src_w = shape[:2]
    x0, y0, x1, y1 = box
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    scale = min((src_h - 1) / h, (src_w - 1) / w, scale)
    cx, cy = x0 + w / 2, y0 + h / 2
    left, top = cx - w * scale / 2, cy - h * scale / 2
    right, bottom = cx + w * scale / 2, cy + h * scale / 2
    if left < 0:
        right, left = right - left, 0.0
    if top < 0:
        bottom, top = bottom - top, 0.0
    if right > src_w - 1:
        left, right = left - (right - src_w + 1), src_w - 1.0
    if bottom > src_h - 1:
        top, bottom = top - (bottom - src_h + 1), src_h - 1.0
    return int(left), int(top), int(right), int(bottom)


class _Model:
    def __init__(self, onnx_path: Path) -> None:
        import onnxruntime as ort

        meta_path = onnx_path.with_suffix(".json")
        try:
            meta = json.loads(meta_path.read_text())
            self.height, self.width = (int(v) for v in meta["input"])
            self.scale = None if meta["scale"] is None else float(meta["scale"])
            self.real_class = int(meta.get("real_class", 1))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise PassiveModelError(f"{meta_path}: unreadable model description ({exc})") from exc
        self.name = onnx_path.stem
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(onnx_path), options, ["CPUExecutionProvider"])

    def score(self, image: Image, box: tuple[float, float, float, float]) -> float:
        if self.scale is None:
            crop = image
        else:
            left, top, right, bottom = crop_box(image.shape, box, self.scale)
            crop = image[top : bottom + 1, left : right + 1]
        crop = cv2.resize(crop, (self.width, self.height))
        x = crop.transpose(2, 0, 1)[None].astype(np.float32)
        probs = self.session.run(None, {"input": x})[0][0]
        return float(probs[self.real_class])


class PassiveLiveness:
    """All imported MiniFASNet models of a folder (``<data dir>/biometrics/liveness``)."""

    def __init__(self, model_dir: Path, threshold: float = DEFAULT_THRESHOLD) -> None:
        paths = sorted(Path(model_dir).glob("*.onnx"))
        if not paths:
            raise PassiveModelError(
                f"no imported liveness models in {model_dir}: run "
                "'artguard face import-liveness PTH...' with the site's MiniFASNet weights"
            )
        if not 0.0 < threshold < 1.0:
            raise ValueError(f"threshold must be in (0, 1), got {threshold}")
        self.threshold = threshold
        self.models = [_Model(p) for p in paths]

    def score_face(self, image: Image, face: Face) -> PassiveScore:
        """Score the face found in a BGR image (its box is in the analysed pixels)."""
        box = tuple(v / face.scale for v in face.box)
        per_model = {m.name: m.score(image, box) for m in self.models}  # type: ignore[arg-type]
        return PassiveScore(
            score=float(np.mean(list(per_model.values()))),
            threshold=self.threshold,
            per_model=per_model,
        )

    def score(self, image: Image, what: str = "image") -> PassiveScore:
        return self.score_face(image, largest_face(image, what))
