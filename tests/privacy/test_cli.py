"""``artguard privacy`` and ``artguard purge`` with the new kinds, end to end on a data dir."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import SMALL_SITE
from tests.privacy.conftest import PEOPLE, populate

runner = CliRunner()


@pytest.fixture
async def site_file(key_settings: Settings, two_people_site: Site, tmp_path: Path) -> Path:
    text = SMALL_SITE.read_text()
    start, end = text.index("people:\n"), text.index("policies:\n")
    path = tmp_path / "site.yaml"
    path.write_text(text[:start] + PEOPLE + text[end:])
    runtime = Runtime(key_settings, two_people_site, live_clock=False)
    await runtime.start()
    try:
        await populate(runtime)
    finally:
        await runtime.stop()
    return path


def _run(settings: Settings, *args: str) -> object:
    env = {**settings.environ, "ARTGUARD_DATA_DIR": str(settings.data_dir)}
    return runner.invoke(app, ["privacy", *args], env=env)


def test_export_to_zip_and_stdout(site_file: Path, key_settings: Settings, tmp_path: Path) -> None:
    out = tmp_path / "p-1.zip"
    result = _run(key_settings, "export", "p-1", "-s", str(site_file), "--out", str(out))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert "access_decisions 1" in result.output  # type: ignore[attr-defined]
    with zipfile.ZipFile(out) as archive:
        document = json.loads(archive.read("export.json"))
    assert document["face_template"]["photos"] == 2
    printed = _run(key_settings, "export", "p-2", "-s", str(site_file), "--actor", "dpo")
    assert json.loads(printed.output)["counts"]["access_decisions"] == 5  # type: ignore[attr-defined]


def test_erase_asks_then_reports(site_file: Path, key_settings: Settings) -> None:
    args = ["erase", "p-2", "-s", str(site_file), "--reason", "DSR-9", "--actor", "dpo"]
    refused = runner.invoke(
        app,
        ["privacy", *args],
        input="n\n",
        env={**key_settings.environ, "ARTGUARD_DATA_DIR": str(key_settings.data_dir)},
    )
    assert refused.exit_code == 1
    result = _run(key_settings, *args, "--yes")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    output = result.output  # type: ignore[attr-defined]
    assert "face template            erased" in output
    assert "still to do: remove people[p-2]" in output


def test_ropa_formats_and_bad_format(site_file: Path, key_settings: Settings) -> None:
    md = _run(key_settings, "ropa", "-s", str(site_file))
    assert md.exit_code == 0 and "| `biometric_templates` | 365d |" in md.output  # type: ignore[attr-defined]
    bad = _run(key_settings, "ropa", "-s", str(site_file), "--format", "pdf")
    assert bad.exit_code == 2 and "--format" in bad.output  # type: ignore[attr-defined]


def test_a_malformed_key_is_one_clear_line(site_file: Path, tmp_path: Path) -> None:
    env = {"ARTGUARD_DATA_DIR": str(tmp_path / "var"), "ARTGUARD_BIOMETRIC_KEY": "short"}
    result = runner.invoke(app, ["privacy", "export", "p-1", "-s", str(site_file)], env=env)
    assert result.exit_code == 2 and "ARTGUARD_BIOMETRIC_KEY" in result.output


def test_purge_takes_the_new_kinds(site_file: Path, key_settings: Settings) -> None:
    env = {**key_settings.environ, "ARTGUARD_DATA_DIR": str(key_settings.data_dir)}
    result = runner.invoke(
        app,
        ["purge", "-s", str(site_file), "--access", "1h", "--biometric-templates", "1h"],
        env=env,
    )
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.output.splitlines()}
    assert lines["access"].split()[1] == "0"  # stored when received: just now
    # both templates were enrolled at NOON (in the past): older than one hour
    assert lines["biometric_templates"].split()[1] == "2"
