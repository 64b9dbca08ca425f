"""The Numenta Anomaly Benchmark (NAB v1.1) scoring rules, written from its published rules.

How NAB scores a detector (Lavin & Ahmad 2015; Ahmad et al. 2017):

* Each file has labelled anomaly *windows*. The first 15 % of a file (at most 750 rows) is a
  probationary period in which nothing is scored.
* A detection is a row whose anomaly score is at or above a threshold. Inside a window only the
  earliest detection counts, rewarded by a scaled sigmoid of its position: ~+1 at the left
  edge, 0 at the right edge. A window with no detection costs ``fn_weight``.
* A detection outside every window costs ``fp_weight`` times the same sigmoid continued past the
  preceding window's right edge (a detection just after a window costs little; one far away or
  before the first window costs the full ``fp_weight``).
* One threshold is chosen for the whole corpus: the one giving the highest total.
* The total is normalised to 0 (the null detector, which detects nothing useful) .. 100 (the
  perfect detector: one detection at the start of every window).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

PROBATION_PERCENT = 0.15


@dataclass(frozen=True)
class CostProfile:
    """Weights of one NAB application profile."""

    name: str
    tp: float
    fp: float
    fn: float


PROFILES: dict[str, CostProfile] = {
    "standard": CostProfile("standard", tp=1.0, fp=0.11, fn=1.0),
    "reward_low_fp": CostProfile("reward_low_fp", tp=1.0, fp=0.22, fn=1.0),
    "reward_low_fn": CostProfile("reward_low_fn", tp=1.0, fp=0.11, fn=2.0),
}

PROBATION = -1
"""Window label of a row in the probationary period (never scored)."""


def scaled_sigmoid(position: float) -> float:
    """NAB's reward for a detection at ``position`` relative to a window's right edge.

    -1 is the window's left edge (0.987), 0 its right edge (0), positive positions are past it
    (down to -1 at 3 window-lengths and beyond).
    """
    if position >= 3.0:
        return -1.0
    return 2.0 / (1.0 + math.exp(5.0 * position)) - 1.0


def probation_length(rows: int, percent: float = PROBATION_PERCENT) -> float:
    """Number of leading rows that are never scored."""
    return min(math.floor(percent * rows), percent * 5000)


def window_indices(
    timestamps: Sequence[datetime], windows: Sequence[tuple[datetime, datetime]]
) -> list[tuple[int, int]]:
    """Row index ranges ``[first, last]`` of each labelled window (timestamps sorted)."""
    out: list[tuple[int, int]] = []
    for start, end in windows:
        first = bisect_left(timestamps, start)
        last = bisect_right(timestamps, end) - 1
        if first > last:
            raise ValueError(f"anomaly window {start} .. {end} holds no row of the file")
        out.append((first, last))
    return out


@dataclass
class LabelledFile:
    """One data file's rows as NAB sees them: a sweep weight and a window label per row."""

    name: str
    weights: list[float]
    labels: list[int | None]
    """None outside windows, the window number inside one, :data:`PROBATION` in probation."""
    window_count: int
    """All labelled windows of the file (the perfect detector's reward counts them all)."""
    fn_weight: float
    """Cost of a missed window (the profile's)."""

    @property
    def scored_windows(self) -> set[int]:
        return {label for label in self.labels if label is not None and label != PROBATION}


def label_file(
    name: str,
    rows: int,
    windows: Sequence[tuple[int, int]],
    profile: CostProfile,
    probation_percent: float = PROBATION_PERCENT,
) -> LabelledFile:
    """Sweep weights and window labels of every row of a file of ``rows`` rows."""
    max_tp = scaled_sigmoid(-1.0)
    probation = probation_length(rows, probation_percent)
    weights: list[float] = []
    labels: list[int | None] = []
    ordered = sorted(windows)
    current: int | None = None
    prev_right: int | None = None
    prev_width = 0.0
    next_window = 0
    for i in range(rows):
        if current is None and next_window < len(ordered) and i == ordered[next_window][0]:
            current = next_window
            next_window += 1
        if current is not None:
            first, last = ordered[current]
            width = float(last - first + 1)
            weight = scaled_sigmoid(-(last - i + 1) / width) * profile.tp / max_tp
        else:
            if prev_right is None:
                position = 3.0
            else:
                position = abs(prev_right - i) / max(prev_width - 1.0, 1.0)
            weight = scaled_sigmoid(position) * profile.fp
        weights.append(weight)
        labels.append(current if i >= probation else PROBATION)
        if current is not None and i == ordered[current][1]:
            prev_right = i
            prev_width = float(ordered[current][1] - ordered[current][0] + 1)
            current = None
    return LabelledFile(name, weights, labels, len(windows), profile.fn)


@dataclass
class FileResult:
    """One file scored at a threshold."""

    name: str
    score: float
    detected_windows: int
    missed_windows: int
    false_positives: int


def score_file(file: LabelledFile, scores: Sequence[float], threshold: float) -> FileResult:
    """Raw NAB score of one file's anomaly ``scores`` with detections at ``>= threshold``."""
    if len(scores) != len(file.weights):
        raise ValueError(f"{file.name}: {len(scores)} anomaly scores for {len(file.weights)} rows")
    best: dict[int, float] = {}
    fp_total = 0.0
    false_positives = 0
    for score, weight, label in zip(scores, file.weights, file.labels, strict=True):
        if label == PROBATION or score < threshold:
            continue
        if label is None:
            fp_total += weight
            false_positives += 1
        elif weight > best.get(label, -math.inf):
            best[label] = weight
    windows = file.scored_windows
    missed = len(windows - best.keys())
    total = fp_total + sum(best.values()) - missed * file.fn_weight
    return FileResult(file.name, total, len(best), missed, false_positives)


def best_threshold(
    files: Sequence[LabelledFile], scores: Sequence[Sequence[float]]
) -> tuple[float, float]:
    """The threshold with the highest corpus total, and that total (exhaustive sweep)."""
    points: list[tuple[float, float, int | None, int]] = []
    total = 0.0
    for f_index, (file, file_scores) in enumerate(zip(files, scores, strict=True)):
        if len(file_scores) != len(file.weights):
            raise ValueError(
                f"{file.name}: {len(file_scores)} anomaly scores for {len(file.weights)} rows"
            )
        total -= file.fn_weight * len(file.scored_windows)
        for score, weight, label in zip(file_scores, file.weights, file.labels, strict=True):
            if label != PROBATION:
                points.append((score, weight, label, f_index))
    points.sort(key=lambda p: p[0], reverse=True)
    window_best: dict[tuple[int, int], float] = {}
    best_total, best_at = total, math.inf
    i = 0
    while i < len(points):
        threshold = points[i][0]
        while i < len(points) and points[i][0] == threshold:
            _, weight, label, f_index = points[i]
            if label is None:
                total += weight
            else:
                key = (f_index, label)
                previous = window_best.get(key)
                if previous is None:
                    total += weight + files[f_index].fn_weight
                    window_best[key] = weight
                elif weight > previous:
                    total += weight - previous
                    window_best[key] = weight
            i += 1
        if total > best_total:
            best_total, best_at = total, threshold
    return best_at, best_total


@dataclass
class CorpusReport:
    """A detector's NAB result for one profile."""

    profile: str
    threshold: float
    score: float
    """Normalised: 0 null detector, 100 perfect."""
    raw: float
    by_category: dict[str, float] = field(default_factory=dict)
    files: list[FileResult] = field(default_factory=list)


def category_of(name: str) -> str:
    """A NAB file's category: its folder (``realKnownCause/x.csv`` -> ``realKnownCause``)."""
    return name.split("/", 1)[0] if "/" in name else "all"


def score_corpus(
    files: Sequence[LabelledFile], scores: Sequence[Sequence[float]], profile: CostProfile
) -> CorpusReport:
    """Score a detector on labelled files: one corpus threshold, normalised per category."""
    threshold, _ = best_threshold(files, scores)
    results = [score_file(f, s, threshold) for f, s in zip(files, scores, strict=True)]
    null_scores = [[0.5] * len(f.weights) for f in files]
    null_threshold, _ = best_threshold(files, null_scores)
    nulls = [score_file(f, s, null_threshold) for f, s in zip(files, null_scores, strict=True)]

    def normalise(indices: list[int]) -> float:
        raw = sum(results[i].score for i in indices)
        base = sum(nulls[i].score for i in indices)
        perfect = profile.tp * sum(files[i].window_count for i in indices)
        if perfect == base:
            return math.nan
        return 100.0 * (raw - base) / (perfect - base)

    categories: dict[str, list[int]] = {}
    for i, file in enumerate(files):
        categories.setdefault(category_of(file.name), []).append(i)
    every = list(range(len(files)))
    return CorpusReport(
        profile=profile.name,
        threshold=threshold,
        score=normalise(every),
        raw=sum(r.score for r in results),
        by_category={c: normalise(ix) for c, ix in sorted(categories.items())},
        files=results,
    )
