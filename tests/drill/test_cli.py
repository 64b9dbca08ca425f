"""``artguard drill`` as a user runs it: clear errors for bad input (exit 2), a short run on
the demo site printing the table, JSON, the stored result and the HTML report."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.store.db import open_database

DEMO_SITE = "src/artguard/demo/site.yaml"
runner = CliRunner()


@pytest.mark.parametrize(
    "args, named",
    [
        (["--scenarios", "theft_attempt,no_such_attack"], "no_such_attack"),
        (["--scenarios", " , "], "--scenarios"),
        (["--days", "0"], "--days must be more than 0 (got 0)"),
        (["--days", "-1.5"], "(got -1.5)"),
        (["--repeat", "0"], "--repeat must be at least 1 (got 0)"),
        (["--workers", "0"], "--workers must be at least 1 (got 0)"),
        (["--operator", "0"], "--operator must be more than 0 minutes (got 0)"),
        (["--start", "next tuesday"], "'next tuesday'"),
        (["--report", "/no/such/dir/out.html"], "/no/such/dir"),
    ],
)
def test_bad_input_names_the_value_and_exits_2(args: list[str], named: str) -> None:
    result = runner.invoke(app, ["drill", "--site", DEMO_SITE, "--no-store", *args])
    assert result.exit_code == 2, result.output
    assert named in result.output


def test_missing_or_broken_site_exits_2(tmp_path: Path) -> None:
    missing = runner.invoke(app, ["drill", "--site", str(tmp_path / "nope.yaml"), "--no-store"])
    assert missing.exit_code == 2 and "nope.yaml does not exist" in missing.output
    broken = tmp_path / "broken.yaml"
    broken.write_text("site: {id: x}\nrooms: 3\n", encoding="utf-8")
    bad = runner.invoke(app, ["drill", "--site", str(broken), "--no-store"])
    assert bad.exit_code == 2 and "problem(s) in" in bad.output and "broken.yaml" in bad.output


def test_short_run_prints_the_table_and_stores_the_result(tmp_path: Path) -> None:
    data_dir = tmp_path / "var"
    report = tmp_path / "drill.html"
    args = ["drill", "--site", DEMO_SITE, "--days", "0.2", "--scenarios", "all", "--seed", "2"]
    result = runner.invoke(app, [*args, "--data-dir", str(data_dir), "--report", str(report)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "drill of site demo-museum: 0.2 day(s)" in out
    assert "scenario" in out and "detected" in out and "pattern" in out
    for label in ("detection rate", "false incidents/day", "time to detect", "events fed"):
        assert label in out
    assert "wall time" in out and "real time" in out
    assert "gate" in out

    store = pytest.importorskip("artguard.drill.store")
    engine = open_database(Settings(data_dir=data_dir))
    try:
        saved = store.latest(engine)
    finally:
        engine.dispose()
    assert saved is not None and saved.site_id == "demo-museum" and saved.days == 0.2
    if Path(report).exists():
        assert "demo-museum" in report.read_text(encoding="utf-8")


def test_json_is_the_whole_result_with_the_gate() -> None:
    result = runner.invoke(
        app, ["drill", "--site", DEMO_SITE, "--days", "0.05", "--json", "--no-store"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["site_id"] == "demo-museum" and data["days"] == 0.05
    assert {"detection_rate", "false_per_day", "scenarios", "false_incidents", "events"} <= set(
        data
    )
    assert set(data["gate"]) == {"passed", "checks"}
    assert data["start"].startswith("2026-06-02T00:00:00")
