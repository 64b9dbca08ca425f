"""``artguard sensors score``: per-row scores of a user's CSV, and errors that say where."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artguard.cli import app

runner = CliRunner()


def write_log(path: Path, spike_row: int = 1500, rows: int = 2000) -> Path:
    rng = random.Random(1)
    start = datetime(2026, 1, 5)
    lines = ["when,rh,notes"]
    for i in range(rows):
        value = 30.0 if i == spike_row else rng.gauss(50, 0.5)
        lines.append(f"{(start + timedelta(minutes=5 * i)).isoformat()},{value:.3f},ok")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_scores_every_row_and_flags_the_spike(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.csv")
    result = runner.invoke(
        app, ["sensors", "score", str(log), "--column", "rh", "--time-column", "when"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0] == "line,time,value,score,flag,why"
    assert len(lines) == 2001
    flagged = [line for line in lines[1:] if line.split(",")[4] == "1"]
    assert [f.split(",")[0] for f in flagged] == ["1502"]  # file line of row 1500
    assert flagged[0].endswith(",level")
    assert "2000 rows of 'rh', 1 flagged" in result.stderr


def test_json_output(tmp_path: Path) -> None:
    log = write_log(tmp_path / "log.csv")
    result = runner.invoke(
        app, ["sensors", "score", str(log), "--column", "rh", "--time-column", "when", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["column"] == "rh" and doc["flagged"] == 1 and len(doc["rows"]) == 2000
    row = doc["rows"][1500]
    assert row["line"] == 1502 and row["flag"] is True and row["time"].startswith("2026-01-10")
    assert 0.0 <= min(r["score"] for r in doc["rows"]) <= max(r["score"] for r in doc["rows"]) < 1


def test_time_column_found_by_name_and_r_style_header(tmp_path: Path) -> None:
    log = tmp_path / "r.csv"
    log.write_text(
        '"date","Temperature"\n'
        + "".join(f'"{i}","2015-02-04 17:{i:02d}:00",{20 + i % 3}\n' for i in range(1, 40)),
        encoding="utf-8",
    )
    result = runner.invoke(app, ["sensors", "score", str(log), "--column", "temperature", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["time_column"] == "date" and doc["rows"][0]["time"] == "2015-02-04T17:01:00"


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (
            "when,rh\n2026-01-01 00:00,50\n",
            ["--column", "humidity"],
            "no column 'humidity' in the header; columns are 'when', 'rh'",
        ),
        (
            "when,rh\n2026-01-01 00:00,50\n2026-01-01 00:05,high\n",
            ["--column", "rh"],
            "line 3, column 'rh': 'high' is not a number",
        ),
        (
            "when,rh\n2026-01-01 00:00,50\nyesterday,51\n",
            ["--column", "rh"],
            "line 3, column 'when': 'yesterday' is not a date-time",
        ),
        (
            "when,rh\n2026-01-01 00:05,50\n2026-01-01 00:00,51\n",
            ["--column", "rh"],
            "line 3, column 'when': time '2026-01-01 00:00' goes back",
        ),
        (
            "when,rh\n2026-01-01 00:00,50,7\n",
            ["--column", "rh"],
            "line 2: 3 fields, the header has 2",
        ),
        ("", ["--column", "rh"], "the file is empty"),
        ("when,rh\n", ["--column", "rh"], "no data rows"),
        ("when,rh\n2026-01-01,nan\n", ["--column", "rh"], "'nan' is not a finite number"),
    ],
)
def test_bad_input_names_file_line_and_column(
    tmp_path: Path, content: str, args: list[str], message: str
) -> None:
    log = tmp_path / "bad.csv"
    log.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["sensors", "score", str(log), "--time-column", "when", *args])
    assert result.exit_code == 2
    assert f"error: {log}" in result.stderr
    assert message in result.stderr


def test_missing_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["sensors", "score", str(tmp_path / "nope.csv"), "--column", "x"])
    assert result.exit_code == 2 and "nope.csv: file not found" in result.stderr
