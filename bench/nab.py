"""NAB (Numenta Anomaly Benchmark) score of artguard's streaming sensor detector.

Runs a detector over every NAB series (one fresh detector per file, values fed in time order,
as in service) and scores it with NAB's rules (``artguard.sensors.nab_score``): one threshold
for the whole corpus, normalised 0 (null detector) .. 100 (perfect). Prints the standard
profile per category and overall, plus the reward-low-FP and reward-low-FN totals.

Scoreboard to beat (standard profile): ARTime 74.9, Numenta HTM 70.5, Random Cut Forest 51.7,
Windowed Gaussian 39.6.

    .venv/bin/python bench/nab.py                              # artguard's detector
    .venv/bin/python bench/nab.py --detector all               # every variant (~1 min)
    .venv/bin/python bench/nab.py --detector windowed_gaussian # scorer check vs NAB's 39.6
    .venv/bin/python bench/nab.py --results /tmp/nab-results   # + per-file NAB results CSVs
    .venv/bin/python bench/nab.py --only realKnownCause        # a subset of files
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Protocol

from artguard.sensors.detector import DetectorConfig, StreamingDetector
from artguard.sensors.nab_corpus import NabFile, load_corpus
from artguard.sensors.nab_score import PROFILES, CorpusReport, label_file, score_corpus

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "nab"


class Detector(Protocol):
    def update(self, t: datetime, value: float) -> float: ...


class WindowedGaussian:
    """NAB's reference 'windowedGaussian' detector, re-implemented to check our scorer.

    Score = 1 - the normal tail probability of the value under the mean and standard deviation
    of the last 6400 values, the window moving in steps of 100.
    """

    SIZE, STEP = 6400, 100

    def __init__(self) -> None:
        self.window: list[float] = []
        self.buffer: list[float] = []
        self.mean, self.std = 0.0, 1.0
        self._sum = self._sq = 0.0

    def update(self, t: datetime, value: float) -> float:
        score = 0.0
        if self.window:
            z = abs(value - self.mean) / self.std
            score = 1.0 - 0.5 * math.erfc(z / math.sqrt(2.0))
        if len(self.window) < self.SIZE:
            self.window.append(value)
            self._sum += value
            self._sq += value * value
            n = len(self.window)
            self._set(self._sum / n, self._sq / n)
        else:
            self.buffer.append(value)
            if len(self.buffer) == self.STEP:
                self.window = self.window[self.STEP :] + self.buffer
                self.buffer = []
                n = len(self.window)
                mean = math.fsum(self.window) / n
                self._set(mean, math.fsum(v * v for v in self.window) / n)
        return score

    def _set(self, mean: float, mean_sq: float) -> None:
        self.mean = mean
        self.std = math.sqrt(max(mean_sq - mean * mean, 0.0)) or 0.000001


class Null:
    """NAB's null detector: the same score everywhere (the 0 of the scale)."""

    def update(self, t: datetime, value: float) -> float:
        return 0.5


def _variant(**overrides: float) -> Callable[[], Detector]:
    return lambda: StreamingDetector(DetectorConfig(**overrides))  # type: ignore[arg-type]


DETECTORS: dict[str, Callable[[], Detector]] = {
    "artguard": _variant(),
    "level_only": _variant(volatility_weight=0.0, hour_weight=0.0, suppress_for=0),
    "level_suppressed": _variant(volatility_weight=0.0, hour_weight=0.0),
    "level_volatility": _variant(hour_weight=0.0),
    "no_suppression": _variant(suppress_for=0),
    "hour_weight_0.7": _variant(hour_weight=0.7),
    "suppress_150": _variant(suppress_for=150),
    "windowed_gaussian": WindowedGaussian,
    "null": Null,
}


def run(make: Callable[[], Detector], files: list[NabFile]) -> tuple[list[list[float]], float]:
    started = time.perf_counter()
    scores = []
    for f in files:
        detector = make()
        scores.append([detector.update(t, v) for t, v in zip(f.timestamps, f.values, strict=True)])
    return scores, time.perf_counter() - started


def report(name: str, files: list[NabFile], scores: list[list[float]], seconds: float) -> None:
    rows = sum(len(f.values) for f in files)
    results: dict[str, CorpusReport] = {}
    for profile in PROFILES.values():
        labelled = [label_file(f.name, len(f.values), f.windows, profile) for f in files]
        results[profile.name] = score_corpus(labelled, scores, profile)
    std = results["standard"]
    print(f"\n== {name}: {len(files)} files, {rows} rows, {rows / seconds:,.0f} rows/s")
    print(f"  threshold (standard, corpus-optimal): {std.threshold:.4f}")
    for category, value in std.by_category.items():
        shown = "n/a (no windows)" if math.isnan(value) else f"{value:6.1f}"
        print(f"  {category:24s} {shown}")
    detected = sum(r.detected_windows for r in std.files)
    missed = sum(r.missed_windows for r in std.files)
    fps = sum(r.false_positives for r in std.files)
    print(f"  windows detected {detected}, missed {missed}, false-positive rows {fps}")
    print(
        f"  NAB score: standard {std.score:.1f}, reward_low_fp "
        f"{results['reward_low_fp'].score:.1f}, reward_low_fn {results['reward_low_fn'].score:.1f}"
    )


def write_results(
    directory: Path, name: str, files: list[NabFile], scores: list[list[float]]
) -> None:
    """Per-file results in NAB's format: <dir>/<detector>/<category>/<detector>_<file>.csv."""
    for f, file_scores in zip(files, scores, strict=True):
        category, base = f.name.split("/", 1)
        out = directory / name / category / f"{name}_{base}"
        out.parent.mkdir(parents=True, exist_ok=True)
        inside = [False] * len(f.values)
        for first, last in f.windows:
            for i in range(first, last + 1):
                inside[i] = True
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["timestamp", "value", "anomaly_score", "label"])
            for t, v, s, label in zip(f.timestamps, f.values, file_scores, inside, strict=True):
                writer.writerow([f"{t:%Y-%m-%d %H:%M:%S}", v, f"{s:.6f}", int(label)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="NAB checkout")
    parser.add_argument(
        "--detector", default="artguard", choices=[*DETECTORS, "all"], help="what to score"
    )
    parser.add_argument("--only", nargs="*", help="score only files whose path contains these")
    parser.add_argument("--results", type=Path, help="also write NAB results CSVs here")
    args = parser.parse_args(argv)
    if not (args.data / "labels").is_dir():
        print(f"NAB data not found at {args.data} (use --data)", file=sys.stderr)
        return 2
    files = load_corpus(args.data, args.only)
    names = [n for n in DETECTORS if n != "null"] if args.detector == "all" else [args.detector]
    for name in names:
        scores, seconds = run(DETECTORS[name], files)
        report(name, files, scores, seconds)
        if args.results:
            write_results(args.results, name, files, scores)
            print(f"  results written under {args.results / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
