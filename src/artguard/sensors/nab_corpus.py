"""Reading the NAB corpus (``data/<category>/<file>.csv`` and ``labels/combined_windows.json``)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from artguard.sensors.nab_score import window_indices


@dataclass
class NabFile:
    """One NAB series with its labelled anomaly windows as row index ranges."""

    name: str
    """Relative path, e.g. ``realKnownCause/machine_temperature_system_failure.csv``."""
    timestamps: list[datetime]
    values: list[float]
    windows: list[tuple[int, int]]


def _parse_time(text: str, where: str) -> datetime:
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"{where}: timestamp {text!r} is not an ISO date-time") from None


def read_series(path: Path, name: str) -> tuple[list[datetime], list[float]]:
    """A NAB data file's timestamps and values (header ``timestamp,value``)."""
    times: list[datetime] = []
    values: list[float] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:2]] != ["timestamp", "value"]:
            raise ValueError(f"{name}: expected the header 'timestamp,value', got {header}")
        for line, row in enumerate(reader, start=2):
            if len(row) < 2:
                raise ValueError(f"{name} line {line}: expected 2 fields, got {len(row)}")
            times.append(_parse_time(row[0], f"{name} line {line}"))
            try:
                values.append(float(row[1]))
            except ValueError:
                raise ValueError(f"{name} line {line}: value {row[1]!r} is not a number") from None
    return times, values


def load_corpus(root: Path, only: list[str] | None = None) -> list[NabFile]:
    """The NAB files under ``root`` (all, or those whose name contains one of ``only``)."""
    labels_path = root / "labels" / "combined_windows.json"
    if not labels_path.is_file():
        raise FileNotFoundError(f"{labels_path} not found: is {root} a NAB checkout?")
    labels: dict[str, list[list[str]]] = json.loads(labels_path.read_text(encoding="utf-8"))
    files: list[NabFile] = []
    for name in sorted(labels):
        if only and not any(part in name for part in only):
            continue
        times, values = read_series(root / "data" / name, name)
        windows = [
            (_parse_time(a, f"{name} window"), _parse_time(b, f"{name} window"))
            for a, b in labels[name]
        ]
        files.append(NabFile(name, times, values, window_indices(times, windows)))
    if not files:
        raise ValueError(f"no NAB file under {root} matches {only}")
    return files
