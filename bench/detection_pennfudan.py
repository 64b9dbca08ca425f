"""Person detection on Penn-Fudan: precision, recall and AP at IoU 0.5, and CPU time per image.

Data: the Penn-Fudan pedestrian database (170 street photos, 423 labelled people, boxes in
``Annotation/*.txt``), at ``../shared/data/pennfudan`` beside the repository by default.

Each candidate (every detector back end, with the image letterboxed and stretched into its input,
and MoveNet MultiPose's person boxes) runs once per image at a low score floor; AP@0.5 is the
VOC all-point interpolated area under the precision/recall curve of that run, and precision and
recall at each reporting threshold count the detections at or above it. A detection is a true
positive when it overlaps a not yet matched ground-truth person with IoU >= 0.5 (greedy, best
score first); every other detection is a false positive. ``best F1`` is the highest F1 over all
score thresholds, and the threshold that gives it. Time per ``detect`` call (pre-processing,
inference, post-processing), after one warm-up call: wall clock, and the process's CPU time,
which other load on the machine inflates less.

    .venv/bin/python bench/detection_pennfudan.py
    .venv/bin/python bench/detection_pennfudan.py --data ../shared/data/pennfudan --only nanodet
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from artguard.vision.detections import COCO_PERSON, Detections, FloatArray, box_iou
from artguard.vision.detectors import DETECTOR_TYPES, create_detector
from artguard.vision.pose import MoveNetMultiPose

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pennfudan"
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
SCORE_FLOOR = 0.05
IOU = 0.5

_BOX = re.compile(r"Bounding box for object \d+ .*: \((\d+), (\d+)\) - \((\d+), (\d+)\)")


@dataclass(frozen=True)
class Sample:
    image: Path
    boxes: FloatArray
    """Ground-truth person boxes, xyxy in pixels (0-based, right/bottom exclusive)."""


def load_pennfudan(data: Path) -> list[Sample]:
    """Every image with its boxes; the annotation's 1-based inclusive corners become 0-based."""
    samples = []
    for note in sorted((data / "Annotation").glob("*.txt")):
        corners = [[float(v) for v in m.groups()] for m in _BOX.finditer(note.read_text())]
        boxes = np.asarray(corners, np.float32).reshape(-1, 4)
        boxes[:, :2] -= 1
        samples.append(Sample(data / "PNGImages" / f"{note.stem}.png", boxes))
    if not samples:
        raise SystemExit(f"no annotations in {data / 'Annotation'}")
    return samples


def match(detections: Detections, truth: FloatArray, iou: float = IOU) -> np.ndarray:
    """True-positive flag per detection: greedy by score, each ground-truth box used once."""
    order = np.argsort(-detections.confidence, kind="stable")
    overlaps = box_iou(detections.xyxy[order], truth)
    used = np.zeros(len(truth), bool)
    hits = np.zeros(len(detections), bool)
    for row, index in enumerate(order):
        if not len(truth):
            break
        candidates = np.where(used, -1.0, overlaps[row])
        best = int(np.argmax(candidates))
        if candidates[best] >= iou:
            used[best] = True
            hits[index] = True
    return hits


def average_precision(scores: np.ndarray, hits: np.ndarray, positives: int) -> float:
    """VOC all-point interpolated AP: area under the precision envelope over recall."""
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(hits[order])
    fp = np.cumsum(~hits[order])
    recall = np.concatenate([[0.0], tp / max(positives, 1), [1.0]])
    precision = np.concatenate([[0.0], tp / np.maximum(tp + fp, 1), [0.0]])
    precision = np.maximum.accumulate(precision[::-1])[::-1]
    steps = np.where(recall[1:] != recall[:-1])[0]
    return float(np.sum((recall[steps + 1] - recall[steps]) * precision[steps + 1]))


@dataclass(frozen=True)
class Result:
    name: str
    ap: float
    rows: list[tuple[float, float, float, int, int]]
    """(threshold, precision, recall, true positives, false positives)."""
    best_f1: tuple[float, float]
    """(F1, threshold giving it)."""
    ms_per_image: float
    cpu_ms_per_image: float


def evaluate(
    name: str,
    detect: Callable[[np.ndarray], Detections],
    samples: Sequence[Sample],
    thresholds: Sequence[float] = THRESHOLDS,
) -> Result:
    scores, hits, times, cpu = [], [], [], []
    positives = sum(len(s.boxes) for s in samples)
    detect(cv2.imread(str(samples[0].image)))  # warm-up: first call allocates
    for sample in samples:
        image = cv2.imread(str(sample.image))
        start, start_cpu = time.perf_counter(), time.process_time()
        found = detect(image)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        found = found[found.class_id == COCO_PERSON]
        scores.append(found.confidence)
        hits.append(match(found, sample.boxes))
    all_scores, all_hits = np.concatenate(scores), np.concatenate(hits)
    rows = []
    for threshold in thresholds:
        above = all_scores >= threshold
        tp, fp = int(np.sum(all_hits & above)), int(np.sum(~all_hits & above))
        rows.append((threshold, tp / max(tp + fp, 1), tp / positives, tp, fp))
    return Result(
        name=name,
        ap=average_precision(all_scores, all_hits, positives),
        rows=rows,
        best_f1=best_f1(all_scores, all_hits, positives),
        ms_per_image=1000 * float(np.mean(times)),
        cpu_ms_per_image=1000 * float(np.mean(cpu)),
    )


def best_f1(scores: np.ndarray, hits: np.ndarray, positives: int) -> tuple[float, float]:
    """The highest F1 over all thresholds, and the (score) threshold that reaches it."""
    order = np.argsort(-scores, kind="stable")
    tp = np.cumsum(hits[order])
    f1 = 2 * tp / (np.arange(1, len(order) + 1) + positives)
    if not len(f1):
        return 0.0, 1.0
    best = int(np.argmax(f1))
    return float(f1[best]), float(scores[order][best])


def candidates(only: Sequence[str] | None) -> dict[str, Callable[[np.ndarray], Detections]]:
    """Everything to compare, at a low score floor so the whole P/R curve is seen."""
    runs: dict[str, Callable[[np.ndarray], Detections]] = {}
    for kind in DETECTOR_TYPES:
        for keep_ratio in (True, False):
            label = f"{kind} ({'letterbox' if keep_ratio else 'stretch'})"
            if not only or kind in only:
                detector = create_detector(kind, score_threshold=SCORE_FLOOR, keep_ratio=keep_ratio)
                runs[label] = detector.detect
    if not only or "movenet" in only:
        for size in (256, 384):
            pose = MoveNetMultiPose(score_threshold=SCORE_FLOOR, input_size=size)
            runs[f"movenet-multipose {size} (person boxes)"] = pose.estimate
    return runs


def print_table(results: Sequence[Result], positives: int, images: int) -> None:
    print(f"Penn-Fudan: {images} images, {positives} people; IoU {IOU}; time per image")
    header = (
        f"{'model':36s} {'AP@0.5':>6s} {'best F1':>12s} {'ms':>5s} {'cpu ms':>6s}  "
        + "  ".join(f"P/R@{t:.1f}" for t in THRESHOLDS)
    )
    print(header)
    print("-" * len(header))
    for r in results:
        cells = "  ".join(f"{p:.2f}/{rc:.2f}" for _, p, rc, _, _ in r.rows)
        f1 = f"{r.best_f1[0]:.3f}@{r.best_f1[1]:.2f}"
        print(
            f"{r.name:36s} {r.ap:6.3f} {f1:>12s} {r.ms_per_image:5.0f} "
            f"{r.cpu_ms_per_image:6.0f}  {cells}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Penn-Fudan folder")
    parser.add_argument(
        "--only", nargs="*", help=f"candidates to run: {', '.join(DETECTOR_TYPES)}, movenet"
    )
    parser.add_argument("--limit", type=int, help="use only the first N images")
    args = parser.parse_args(argv)
    if not args.data.is_dir():
        print(f"Penn-Fudan not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    samples = load_pennfudan(args.data)[: args.limit]
    results = [evaluate(name, run, samples) for name, run in candidates(args.only).items()]
    print_table(results, sum(len(s.boxes) for s in samples), len(samples))
    return 0


if __name__ == "__main__":
    sys.exit(main())
