"""``artguard report weekly``: writes the PDF, explains bad options."""

from __future__ import annotations

from pathlib import Path

from pypdf import PdfReader
from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.store.db import open_database
from tests.conftest import SMALL_SITE
from tests.reports.data import fill

runner = CliRunner()


def filled_data_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "var"
    engine = open_database(Settings(data_dir=data_dir))
    fill(engine)
    engine.dispose()
    return data_dir


def weekly(*args: str) -> list[str]:
    return ["report", "weekly", "--site", str(SMALL_SITE), *args]


def test_writes_the_pdf(tmp_path: Path) -> None:
    data_dir = filled_data_dir(tmp_path)
    out = tmp_path / "week.pdf"
    result = runner.invoke(
        app, weekly("--end", "2026-11-29", "--out", str(out), "--data-dir", str(data_dir))
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {out}" in result.output
    assert "Small Museum, 2026-11-23 to 2026-11-29, 5 incident(s)" in result.output
    reader = PdfReader(out)
    assert out.read_bytes().startswith(b"%PDF-") and len(reader.pages) >= 2
    assert "Small Museum" in reader.pages[0].extract_text()


def test_bad_options_are_named(tmp_path: Path) -> None:
    data_dir = str(filled_data_dir(tmp_path))
    out = str(tmp_path / "week.pdf")
    bad_end = runner.invoke(
        app, weekly("--end", "29/11/2026", "--out", out, "--data-dir", data_dir)
    )
    assert bad_end.exit_code == 2 and "--end" in bad_end.output
    assert "expected a date like 2026-11-29" in bad_end.output
    future = runner.invoke(app, weekly("--end", "2999-01-01", "--out", out, "--data-dir", data_dir))
    assert future.exit_code == 2 and "end: 2999-01-01 is after today" in future.output
    nowhere = str(tmp_path / "missing" / "week.pdf")
    no_dir = runner.invoke(app, weekly("--out", nowhere, "--data-dir", data_dir))
    assert no_dir.exit_code == 2 and "does not exist" in no_dir.output
    font = runner.invoke(
        app, weekly("--out", out, "--data-dir", data_dir, "--font", str(tmp_path / "x.ttf"))
    )
    assert font.exit_code == 2 and "x.ttf: no such font file" in font.output
    assert not Path(out).exists()
