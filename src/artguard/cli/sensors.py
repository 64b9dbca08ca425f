"""``artguard sensors score``: run the streaming sensor anomaly detector over a CSV log."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from artguard.sensors.csv_series import SeriesError, read_series
from artguard.sensors.detector import DEFAULT_THRESHOLD, DetectorConfig, StreamingDetector

sensors_app = typer.Typer(
    name="sensors",
    help="Sensor analytics: score a time series with the streaming anomaly detector.",
    no_args_is_help=True,
)

NO_TIME = datetime(2000, 1, 1)
"""Stand-in time for series without a time column (the time-of-day view is then off)."""


@sensors_app.command("score")
def score(
    file: Annotated[Path, typer.Argument(help="CSV file with a header line.")],
    column: Annotated[str, typer.Option("--column", help="Column of values to score.")],
    time_column: Annotated[
        str | None,
        typer.Option(
            "--time-column",
            help="Column of times (ISO or Unix seconds); default: a column named "
            "timestamp, time, datetime or date, if any.",
        ),
    ] = None,
    threshold: Annotated[
        float,
        typer.Option("--threshold", min=0.0, max=1.0, help="Flag rows scoring at least this."),
    ] = DEFAULT_THRESHOLD,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document on stdout.")] = False,
) -> None:
    """Score every row of a column in file order, as the live detector would: prints
    line, time, value, anomaly score (0..1) and flag (score >= threshold)."""
    try:
        series = read_series(file, column, time_column)
    except SeriesError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    timed = series.time_column is not None
    detector = StreamingDetector(DetectorConfig() if timed else DetectorConfig(hour_weight=0.0))
    rows = []
    for line, when, value in zip(series.lines, series.times, series.values, strict=True):
        s = detector.update(when or NO_TIME, value)
        evidence = detector.last
        rows.append(
            {
                "line": line,
                "time": when.isoformat() if when else None,
                "value": value,
                "score": round(s, 6),
                "flag": s >= threshold,
                "why": evidence.strongest() if evidence and s >= threshold else None,
            }
        )
    flagged = sum(1 for r in rows if r["flag"])
    if as_json:
        doc = {
            "file": str(file),
            "column": series.column,
            "time_column": series.time_column,
            "threshold": threshold,
            "rows": rows,
            "flagged": flagged,
        }
        typer.echo(json.dumps(doc))
        return
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["line", "time", "value", "score", "flag", "why"])
    for r in rows:
        writer.writerow(
            [
                r["line"],
                r["time"] or "",
                r["value"],
                f"{r['score']:.6f}",
                int(r["flag"]),
                r["why"] or "",
            ]
        )
    note = "" if timed else " (no time column: time-of-day view off)"
    typer.echo(
        f"{file}: {len(rows)} rows of {series.column!r}, {flagged} flagged at score >= "
        f"{threshold:g}{note}",
        err=True,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(sensors_app)
