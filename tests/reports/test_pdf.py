"""The weekly report as PDF: a valid file with the title block, every section and chart."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import Engine

from artguard.reports import pdf as report_pdf
from artguard.reports.weekly import ReportError, WeeklyReport, build_weekly
from artguard.site import Site
from tests.reports.data import LAST_DAY, NOW

NAME = "Muzeum \u015al\u0105skie \u2013 Katowice"  # Polish letters and an en dash
UNICODE_FONT = report_pdf.find_font({})
needs_unicode_font = pytest.mark.skipif(
    UNICODE_FONT is None, reason="no DejaVu Sans on this machine (see FONT_CANDIDATES)"
)


def renamed(site: Site, name: str) -> Site:
    return site.model_copy(update={"info": site.info.model_copy(update={"name": name})})


def report_for(engine: Engine, site: Site) -> WeeklyReport:
    with engine.connect() as conn:
        return build_weekly(conn, site, LAST_DAY, now=NOW)


def text_of(data: bytes) -> tuple[PdfReader, str]:
    """The document and its text, whitespace (line wraps) collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(data))
    return reader, " ".join(" ".join(page.extract_text().split()) for page in reader.pages)


def figure_alts(reader: PdfReader) -> list[str]:
    """The alt text of every figure in the document's structure tree (one per chart)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        node = node.get_object()
        if not isinstance(node, dict):
            return
        if node.get("/S") == "/Figure":
            found.append(str(node.get("/Alt", "")))
        kids = node.get("/K")
        for kid in kids if isinstance(kids, list) else [kids] if kids is not None else []:
            walk(kid)

    walk(reader.trailer["/Root"]["/StructTreeRoot"])
    return found


@needs_unicode_font
def test_pdf_has_title_block_sections_and_every_chart(
    sqlite_week: Engine, small_site: Site
) -> None:
    site = renamed(small_site, NAME)
    data = report_pdf.write_pdf(report_for(sqlite_week, site), UNICODE_FONT)
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    reader, text = text_of(data)
    assert len(reader.pages) >= 2
    assert reader.metadata is not None and reader.metadata.title == (
        f"Weekly security report - {NAME}"
    )
    for expected in (
        "Weekly security report",
        NAME,  # Unicode kept with a Unicode font
        "Monday 23 November 2026 to Sunday 29 November 2026 (Europe/London)",
        "2026-11-30 08:00 (Europe/London)",  # generated at, on the site's clock
        "Key figures",
        "66.7%",
        "Top incidents",
        "Theft in progress",
        "real (resolved)",
    ):
        assert expected in text, expected
    for title in ("False-positive rate", "Incidents by room", "Incidents per day", "Device uptime"):
        assert title in text, title  # chart text is drawn as text, not pixels
    alts = figure_alts(reader)
    assert len(alts) == 6  # every chart, each with its text alternative
    assert alts[0] == "False-positive rate: False alarms 66.7% (2 of 3 closed)."
    assert alts[3] == "Incidents by room: Vault 2; Gallery 1; Hall 1; No room 1."
    assert re.search(r"page 1 of \d", text)


def test_core_font_fallback_writes_latin1(sqlite_week: Engine, small_site: Site) -> None:
    site = renamed(small_site, NAME + " \u535a\u7269\u9986")
    data = report_pdf.write_pdf(report_for(sqlite_week, site), None)
    reader, text = text_of(data)
    assert len(reader.pages) >= 2 and len(figure_alts(reader)) == 6
    assert "Muzeum Slaskie - Katowice ???" in text
    assert "Incidents by pattern" in text


def test_latin1_replacements() -> None:
    assert (
        report_pdf.latin1("Musée d\u2019Orsay \u2013 \u201cSalle 3\u201d\u2026")
        == 'Musée d\'Orsay - "Salle 3"...'
    )
    assert (
        report_pdf.latin1("\u0141\u00f3d\u017a \u03a9mega") == "?\u00f3dz ?mega"
    )  # ó is Latin-1, Ł and Ω are not


def test_find_font_prefers_the_configured_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    font = tmp_path / "Mine.ttf"
    font.write_bytes(b"\0")
    assert report_pdf.find_font({report_pdf.FONT_ENV: str(font)}) == font
    with pytest.raises(ReportError, match=r"ARTGUARD_REPORT_FONT=.*missing.ttf: no such font file"):
        report_pdf.find_font({report_pdf.FONT_ENV: str(tmp_path / "missing.ttf")})
    (tmp_path / "font.woff").write_bytes(b"\0")
    with pytest.raises(ReportError, match=r"expected a \.ttf or \.otf"):
        report_pdf.find_font({report_pdf.FONT_ENV: str(tmp_path / "font.woff")})
    monkeypatch.setattr(report_pdf, "FONT_CANDIDATES", (str(tmp_path / "none.ttf"),))
    assert report_pdf.find_font({}) is None


def test_a_broken_font_file_is_named(sqlite_week: Engine, small_site: Site, tmp_path: Path) -> None:
    broken = tmp_path / "Broken.ttf"
    broken.write_bytes(b"not a font")
    with pytest.raises(ReportError, match=r"font .*Broken\.ttf cannot be used"):
        report_pdf.write_pdf(report_for(sqlite_week, small_site), broken)
