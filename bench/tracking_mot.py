"""Tracking benchmark: our ByteTracker scored with CLEAR-MOT / IDF1 (``motmetrics``).

Data: the two MOT sequences whose ground truth ``motmetrics`` ships (``motmetrics/data``):
TUD-Campus (71 frames) and TUD-Stadtmitte (179 frames), 640x480 at 25 fps. The package ships
the annotations and one tracker's output (``test.txt``) but **not the images**, so the detector
cannot run on them. What is scored here is the tracker alone:

1. *Simulated detector*: the ground-truth boxes passed through a detector-like noise model:
   box jitter (5 % of the size), people hidden behind nearer people (by box overlap, nearer =
   lower bottom edge) get low scores and are often missed, 5 % random misses, random false
   boxes (0.5 a frame). Scored at the full 25 fps and at 5 fps (every 5th frame, artguard's
   default analysis rate), averaged over 10 seeds. The ablation without the low-score stage
   (``low_thresh = high_thresh``) shows what ByteTrack's second association is worth.
2. *Re-tracking real boxes*: the boxes of ``test.txt`` (a real detector + tracker's output,
   ids stripped, all score 1) tracked again by ours, next to that tracker's own score.

The full pipeline on real video is measured for speed by ``bench/camera_throughput.py``.

    .venv/bin/pip install motmetrics
    .venv/bin/python bench/tracking_mot.py [--seeds 10]

motmetrics 1.4 calls ``np.asfarray`` (removed in NumPy 2) in its distance helpers, so the IoU
distances are computed here and only the accumulator and metrics come from motmetrics.
"""

from __future__ import annotations

import argparse
import io
import os
from dataclasses import dataclass

import motmetrics as mm
import numpy as np
import pandas as pd

from artguard.vision.detections import Detections
from artguard.vision.tracker import ByteTracker

SEQUENCES = ("TUD-Campus", "TUD-Stadtmitte")
SEQUENCE_FPS = 25.0
IMAGE_SIZE = (640, 480)
METRICS = ["mota", "idf1", "num_switches", "num_false_positives", "num_misses", "motp"]


def data_dir() -> str:
    return os.path.join(os.path.dirname(mm.__file__), "data")


def load_gt(sequence: str) -> dict[int, np.ndarray]:
    """Per frame: rows (id, x, y, w, h)."""
    raw = np.loadtxt(os.path.join(data_dir(), sequence, "gt.txt"), delimiter=",")
    raw = raw[raw[:, 6] != 0]  # confidence 0 rows are "ignore" in MOT15 ground truth
    return {int(f): raw[raw[:, 0] == f][:, 1:6] for f in np.unique(raw[:, 0])}


def load_hypothesis(sequence: str) -> dict[int, np.ndarray]:
    raw = np.loadtxt(os.path.join(data_dir(), sequence, "test.txt"), delimiter=",")
    return {int(f): raw[raw[:, 0] == f][:, 1:6] for f in np.unique(raw[:, 0])}


def occlusion(boxes: np.ndarray) -> np.ndarray:
    """Share of each (x, y, w, h) box covered by the nearest box in front of it."""
    n = len(boxes)
    covered = np.zeros(n)
    for i in range(n):
        xi, yi, wi, hi = boxes[i]
        for j in range(n):
            xj, yj, wj, hj = boxes[j]
            if i == j or yj + hj <= yi + hi:  # j is not nearer to the camera
                continue
            ix = max(0.0, min(xi + wi, xj + wj) - max(xi, xj))
            iy = max(0.0, min(yi + hi, yj + hj) - max(yi, yj))
            covered[i] = max(covered[i], ix * iy / (wi * hi))
    return covered


def simulate(gt: np.ndarray, rng: np.random.Generator) -> Detections:
    """A detector's output for one frame's ground truth (see the module docstring)."""
    boxes = gt[:, 1:5].astype(float)
    occ = occlusion(boxes)
    score = rng.uniform(0.55, 0.95, len(boxes)) * (1.0 - 0.85 * occ)
    found = rng.random(len(boxes)) > np.where(occ > 0.6, 0.5, 0.05)
    jitter = rng.normal(0, 0.05, boxes.shape) * boxes[:, [2, 3, 2, 3]]
    xywh = (boxes + jitter)[found]
    score = score[found]
    for _ in range(rng.poisson(0.5)):
        w = rng.uniform(30, 80)
        h = w * rng.uniform(2.0, 3.0)
        x, y = rng.uniform(0, IMAGE_SIZE[0] - w), rng.uniform(0, IMAGE_SIZE[1] - h)
        xywh = np.vstack([xywh, [x, y, w, h]])
        score = np.append(score, rng.uniform(0.1, 0.6))
    xyxy = np.column_stack([xywh[:, :2], xywh[:, :2] + np.maximum(xywh[:, 2:], 1.0)])
    return Detections(xyxy=xyxy, confidence=np.clip(score, 0, 1), class_id=np.zeros(len(xyxy)))


def exact(rows: np.ndarray) -> Detections:
    xywh = rows[:, 1:5].astype(float)
    return Detections(
        xyxy=np.column_stack([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]]),
        confidence=np.ones(len(rows)),
        class_id=np.zeros(len(rows)),
    )


def mot_lines(frame: int, tracks: Detections) -> list[str]:
    """The same MOTChallenge rows ``artguard analyze --tracks-out`` writes."""
    assert tracks.tracker_id is not None
    return [
        f"{frame},{int(i)},{x1:.2f},{y1:.2f},{x2 - x1:.2f},{y2 - y1:.2f},{c:.4f},-1,-1,-1"
        for (x1, y1, x2, y2), i, c in zip(
            tracks.xyxy, tracks.tracker_id, tracks.confidence, strict=True
        )
    ]


def iou_distance(a: np.ndarray, b: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """1 - IoU of (x, y, w, h) rows, NaN where the IoU is below ``1 - threshold``."""
    if not len(a) or not len(b):
        return np.empty((len(a), len(b)))
    a2, b2 = a[:, :2] + a[:, 2:], b[:, :2] + b[:, 2:]
    x1 = np.maximum(a[:, None, 0], b[None, :, 0])
    y1 = np.maximum(a[:, None, 1], b[None, :, 1])
    x2 = np.minimum(a2[:, None, 0], b2[None, :, 0])
    y2 = np.minimum(a2[:, None, 1], b2[None, :, 1])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    distance = 1 - inter / union
    distance[distance > threshold] = np.nan
    return distance


def score(gt: dict[int, np.ndarray], mot_text: str, frames: list[int]) -> dict[str, float]:
    """Score MOTChallenge text against the ground truth on ``frames``."""
    rows = np.loadtxt(io.StringIO(mot_text), delimiter=",", ndmin=2) if mot_text else None
    acc = mm.MOTAccumulator(auto_id=True)
    for f in frames:
        g = gt.get(f, np.zeros((0, 5)))
        h = np.zeros((0, 6)) if rows is None else rows[rows[:, 0] == f][:, 1:6]
        acc.update(g[:, 0], h[:, 0], iou_distance(g[:, 1:5], h[:, 1:5]))
    result = mm.metrics.create().compute(acc, metrics=METRICS, name="x")
    return {m: float(result[m].iloc[0]) for m in METRICS}


def run_tracker(
    frames: list[int], detections: dict[int, Detections], step: int, **options: float
) -> str:
    tracker = ByteTracker(frame_interval=step / SEQUENCE_FPS, **options)  # type: ignore[arg-type]
    lines: list[str] = []
    for f in frames:
        tracks = tracker.update(detections.get(f, Detections.empty()), f / SEQUENCE_FPS)
        lines += mot_lines(f, tracks)
    return "\n".join(lines)


@dataclass
class Row:
    sequence: str
    setup: str
    fps: float
    metrics: dict[str, float]


def simulated(sequence: str, seeds: int) -> list[Row]:
    gt = load_gt(sequence)
    rows = []
    for step in (1, 5):
        frames = sorted(gt)[::step]
        setups = {
            "ByteTrack (ours)": {},
            "without low-score stage": {"low_thresh": 0.35},
        }
        for name, options in setups.items():
            runs = []
            for seed in range(seeds):
                rng = np.random.default_rng(seed)
                dets = {f: simulate(gt[f], rng) for f in frames}
                runs.append(score(gt, run_tracker(frames, dets, step, **options), frames))
            mean = {m: float(np.mean([r[m] for r in runs])) for m in METRICS}
            rows.append(Row(sequence, f"simulated detector, {name}", SEQUENCE_FPS / step, mean))
    return rows


def retracked(sequence: str) -> list[Row]:
    gt = load_gt(sequence)
    hyp = load_hypothesis(sequence)
    frames = sorted(set(gt) | set(hyp))
    original = "\n".join(
        f"{f},{int(r[0])},{r[1]},{r[2]},{r[3]},{r[4]},1,-1,-1,-1" for f in hyp for r in hyp[f]
    )
    ours = run_tracker(frames, {f: exact(hyp[f]) for f in hyp}, 1)
    sanity = run_tracker(frames, {f: exact(gt[f]) for f in gt}, 1)
    return [
        Row(sequence, "test.txt boxes, their tracker", SEQUENCE_FPS, score(gt, original, frames)),
        Row(sequence, "test.txt boxes, re-tracked by ours", SEQUENCE_FPS, score(gt, ours, frames)),
        Row(sequence, "ground-truth boxes (sanity)", SEQUENCE_FPS, score(gt, sanity, frames)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    args = parser.parse_args()
    images = [
        name
        for seq in SEQUENCES
        for name in os.listdir(os.path.join(data_dir(), seq))
        if name.endswith((".jpg", ".png"))
    ]
    print(f"motmetrics {mm.__version__} data: {data_dir()}")
    print(f"images shipped: {len(images)} (ground truth and test.txt only: tracker-only scores)")
    rows = []
    for sequence in SEQUENCES:
        rows += retracked(sequence) + simulated(sequence, args.seeds)
    table = pd.DataFrame(
        [
            {
                "sequence": r.sequence,
                "setup": r.setup,
                "fps": r.fps,
                "MOTA %": round(100 * r.metrics["mota"], 1),
                "IDF1 %": round(100 * r.metrics["idf1"], 1),
                "ID sw": round(r.metrics["num_switches"], 1),
                "FP": round(r.metrics["num_false_positives"], 1),
                "FN": round(r.metrics["num_misses"], 1),
                "MOTP": round(r.metrics["motp"], 3),
            }
            for r in rows
        ]
    )
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(table.to_string(index=False))


if __name__ == "__main__":
    main()
