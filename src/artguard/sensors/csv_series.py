"""Reading one numeric column (and optionally its time column) of a user's CSV log.

Errors name the file, the line and the column, so a user can fix their export. Files written
like R's ``write.csv`` output without the header's empty first name (a header one field
shorter than the rows, whose first field is a row number) are read too.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

TIME_COLUMN_NAMES = ("timestamp", "time", "datetime", "date")
"""Tried in this order (case-insensitive) when no time column is given."""


class SeriesError(ValueError):
    """A CSV file that cannot be read as a time series; the message says where and why."""


@dataclass
class Series:
    """One column of a CSV file, in file order."""

    path: Path
    column: str
    time_column: str | None
    lines: list[int]
    """The file line of each value (1 is the header)."""
    times: list[datetime | None]
    values: list[float]


def parse_time(text: str) -> datetime:
    """An ISO date-time (``2015-02-04 17:51:00``, ``...T...Z``) or Unix seconds."""
    text = text.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date-time (ISO like 2015-02-04 17:51:00, or Unix seconds)"
        ) from None
    if not math.isfinite(seconds):
        raise ValueError(f"{text!r} is not a date-time")
    return datetime.fromtimestamp(seconds, tz=UTC)


def _header(path: Path, rows: list[list[str]]) -> tuple[list[str], int]:
    if not rows:
        raise SeriesError(f"{path}: the file is empty (expected a header line)")
    header = [h.strip() for h in rows[0]]
    data = rows[1:]
    sample = [r for r in data[:50] if r]
    if sample and all(len(r) == len(header) + 1 and r[0].strip().isdigit() for r in sample):
        return ["", *header], 1  # R's write.csv: an unnamed row-number column first
    return header, 0


def _column_index(path: Path, header: list[str], name: str, what: str) -> int:
    if name in header:
        return header.index(name)
    lowered = [h.lower() for h in header]
    if name.lower() in lowered:
        return lowered.index(name.lower())
    shown = ", ".join(repr(h) for h in header if h)
    raise SeriesError(f"{path}: no {what} {name!r} in the header; columns are {shown}")


def read_series(path: Path, column: str, time_column: str | None = None) -> Series:
    """Column ``column`` of ``path`` as floats, with times from ``time_column`` if any.

    Without ``time_column`` a column named timestamp/time/datetime/date is used if present,
    else the series has no times.
    """
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise SeriesError(f"{path}: file not found") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise SeriesError(f"{path}: not a readable CSV text file ({exc})") from None
    header, _ = _header(path, rows)
    value_at = _column_index(path, header, column, "column")
    time_at: int | None = None
    if time_column is not None:
        time_at = _column_index(path, header, time_column, "time column")
    else:
        lowered = [h.lower() for h in header]
        time_at = next((lowered.index(n) for n in TIME_COLUMN_NAMES if n in lowered), None)
    series = Series(
        path, header[value_at], None if time_at is None else header[time_at], [], [], []
    )
    for line, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue  # blank line
        if len(row) != len(header):
            raise SeriesError(
                f"{path} line {line}: {len(row)} fields, the header has {len(header)}"
            )
        cell = row[value_at].strip()
        try:
            value = float(cell)
        except ValueError:
            raise SeriesError(
                f"{path} line {line}, column {series.column!r}: {cell!r} is not a number"
            ) from None
        if not math.isfinite(value):
            raise SeriesError(
                f"{path} line {line}, column {series.column!r}: {cell!r} is not a finite number"
            )
        when: datetime | None = None
        if time_at is not None:
            try:
                when = parse_time(row[time_at])
            except ValueError as exc:
                raise SeriesError(
                    f"{path} line {line}, column {series.time_column!r}: {exc}"
                ) from None
            previous = series.times[-1] if series.times else None
            if previous is not None and _naive(when) < _naive(previous):
                raise SeriesError(
                    f"{path} line {line}, column {series.time_column!r}: time {row[time_at]!r} "
                    "goes back (rows must be in time order)"
                )
        series.lines.append(line)
        series.times.append(when)
        series.values.append(value)
    if not series.values:
        raise SeriesError(f"{path}: no data rows after the header")
    return series


def _naive(at: datetime) -> datetime:
    return at.replace(tzinfo=None) if at.tzinfo is None else at.astimezone(UTC).replace(tzinfo=None)
