"""``artguard check`` and ``artguard init``: output and exit codes."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from artguard.cli import app

from .helpers import BASE, DEMO_SITE, edit

runner = CliRunner()


def test_check_valid_site_prints_a_summary_and_exits_0() -> None:
    result = runner.invoke(app, ["check", str(DEMO_SITE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        f"{DEMO_SITE}: OK, site 'demo-museum': 9 rooms, 13 artworks, 7 cameras, 9 doors, "
        "37 sensors, 12 people"
    )


def test_check_prints_each_problem_and_a_count_and_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "site.yaml"
    text = edit(BASE, "    to_room: store", "    to_room: stor")
    path.write_text(edit(text, "    fps: 5", "    fps: fast"), encoding="utf-8")
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 1
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{path}:") and "cameras[cam-gallery].fps" in lines[0]
    assert "doors[d-store].to_room: unknown room 'stor'" in lines[1]
    assert f"2 problems in {path}" in result.stderr


def test_check_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert "nope.yaml: does not exist" in result.stderr


def test_init_writes_a_site_that_checks_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "Harbour Museum"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    assert f"artguard check {target / 'site.yaml'}" in result.stdout
    assert "site 'harbour-museum'" in result.stdout
    assert runner.invoke(app, ["check", str(target / "site.yaml")]).exit_code == 0

    again = runner.invoke(app, ["init", str(target), "--site-id", "other"])
    assert again.exit_code == 1
    assert "refusing to overwrite" in again.stderr


def test_init_with_explicit_and_invalid_site_ids(tmp_path: Path) -> None:
    ok = runner.invoke(app, ["init", str(tmp_path / "a"), "--site-id", "city-gallery"])
    assert ok.exit_code == 0
    assert "id: city-gallery" in (tmp_path / "a" / "site.yaml").read_text(encoding="utf-8")
    bad = runner.invoke(app, ["init", str(tmp_path / "b"), "--site-id", "city gallery"])
    assert bad.exit_code == 2
    assert not (tmp_path / "b").exists()
