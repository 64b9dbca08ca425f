"""The weekly report as a PDF (fpdf2, pure Python): a title block, then every section of the
report in order (heading, paragraphs, table, charts embedded as the same SVG the dashboard
shows, each with its text alternative as the image's alt text).

Text needs a font. The PDF core fonts (Helvetica) cover only Latin-1, so a site or room name
in Greek or Japanese needs a Unicode TrueType font: :func:`find_font` takes the file named in
``ARTGUARD_REPORT_FONT`` or the first of :data:`FONT_CANDIDATES` found on the machine (DejaVu
Sans ships with most Linux distributions). Without one, the report falls back to Helvetica and
writes characters outside Latin-1 as their closest Latin-1 letter or ``?`` (:func:`latin1`).
"""

from __future__ import annotations

import io
import os
import re
import unicodedata
from collections.abc import Mapping
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from artguard import __version__
from artguard.reports.charts import Chart
from artguard.reports.svg import FONT
from artguard.reports.weekly import ReportError, Section, Table, WeeklyReport

FONT_ENV = "ARTGUARD_REPORT_FONT"
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf",  # Fedora
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",  # Arch
    "/usr/local/share/fonts/DejaVuSans.ttf",
)
UNICODE_FAMILY = FONT.split(",")[0].strip()
"""The TTF is registered under the first family of the charts' font stack, so the embedded
SVG charts use it too."""
CORE_FAMILY = "helvetica"

PAGE_WIDTH_MM = 180.0  # A4 (210 mm) less two 15 mm margins
MARGIN_MM = 15.0

_REPLACEMENTS = {
    "\u2013": "-",
    "\u2014": "-",
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u2026": "...",
    "\u2022": "*",
    "\u20ac": "EUR",
    "\u2009": " ",
    "\u202f": " ",
}


def latin1(text: str) -> str:
    """``text`` with every character outside Latin-1 replaced: typographic punctuation by its
    ASCII form, letters by their base letter (``Ś`` -> ``S``), anything else by ``?``."""
    out = []
    for ch in text:
        if ord(ch) < 256:
            out.append(ch)
            continue
        replacement = _REPLACEMENTS.get(ch)
        if replacement is None:
            base = unicodedata.normalize("NFKD", ch)[:1]
            replacement = base if base and ord(base) < 256 else "?"
        out.append(replacement)
    return "".join(out)


def find_font(environ: Mapping[str, str] | None = None) -> Path | None:
    """The Unicode TTF for reports: ``ARTGUARD_REPORT_FONT`` if set (it must exist), else the
    first of :data:`FONT_CANDIDATES` present; None: use the Latin-1 core font."""
    env = os.environ if environ is None else environ
    configured = env.get(FONT_ENV)
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ReportError(f"{FONT_ENV}={configured}: no such font file")
        if path.suffix.lower() not in {".ttf", ".otf"}:
            raise ReportError(f"{FONT_ENV}={configured}: expected a .ttf or .otf font file")
        return path
    for candidate in FONT_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    return None


class _ReportPDF(FPDF):
    def __init__(self, footer_text: str, family: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.footer_text = footer_text
        self.family = family

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, size=8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 5, f"page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)


class _Writer:
    """Lays a :class:`WeeklyReport` out on A4 pages."""

    def __init__(self, report: WeeklyReport, font: Path | None) -> None:
        self.report = report
        self.unicode = font is not None
        family = UNICODE_FAMILY if font is not None else CORE_FAMILY
        site = report.site
        self.pdf = _ReportPDF(self.t(f"{site.name} - weekly security report"), family)
        if font is not None:
            bold = font.with_name(font.stem + "-Bold" + font.suffix)
            try:
                self.pdf.add_font(family, "", str(font))
                self.pdf.add_font(family, "B", str(bold if bold.is_file() else font))
            except Exception as exc:  # fontTools raises many kinds for a broken file
                raise ReportError(f"font {font} cannot be used: {exc}") from exc
        self.family = family
        self.pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
        self.pdf.set_auto_page_break(auto=True, margin=18)

    def t(self, text: str) -> str:
        """Text as the chosen font can write it."""
        return text if self.unicode else latin1(text)

    def write(self) -> bytes:
        self.title_block()
        for section in self.report.sections:
            self.section(section)
        return bytes(self.pdf.output())

    def title_block(self) -> None:
        ctx = self.report.context
        site, pdf = ctx.site, self.pdf
        zone = site.info.timezone
        pdf.set_title(self.t(f"Weekly security report - {site.name}"))
        pdf.set_author("artguard")
        pdf.set_subject(
            self.t(f"{site.name}: {ctx.first_day.isoformat()} to {ctx.last_day.isoformat()}")
        )
        pdf.set_creator(f"artguard {__version__}")
        pdf.set_lang("en")
        pdf.set_creation_date(ctx.generated_at)
        pdf.add_page()
        pdf.set_font(self.family, "B", 22)
        pdf.multi_cell(0, 11, "Weekly security report", align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(self.family, "", 16)
        pdf.multi_cell(0, 9, self.t(site.name), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
        generated = ctx.generated_at.astimezone(site.tz).strftime("%Y-%m-%d %H:%M")
        for label, value in (
            ("Site", f"{site.name} ({site.id})"),
            (
                "Period",
                f"{ctx.first_day.strftime('%A %d %B %Y')} to "
                f"{ctx.last_day.strftime('%A %d %B %Y')} ({zone})",
            ),
            ("Generated at", f"{generated} ({zone})"),
            ("Generated by", f"artguard {__version__}"),
        ):
            pdf.set_font(self.family, "B", 11)
            pdf.cell(32, 6, label)
            pdf.set_font(self.family, "", 11)
            pdf.multi_cell(0, 6, self.t(value), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)

    def section(self, section: Section) -> None:
        pdf = self.pdf
        if pdf.get_y() + 30 > pdf.page_break_trigger:
            pdf.add_page()
        pdf.set_font(self.family, "B", 14)
        pdf.start_section(self.t(section.title))
        pdf.multi_cell(0, 8, self.t(section.title), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(self.family, "", 10)
        for paragraph in section.paragraphs:
            pdf.multi_cell(0, 5, self.t(paragraph), align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        if section.table is not None:
            self.table(section.table)
        for chart in section.charts:
            self.chart(chart)
        pdf.ln(4)

    def table(self, table: Table) -> None:
        pdf = self.pdf
        pdf.set_font(self.family, "", 9)
        with pdf.table(
            col_widths=table.widths,
            text_align="LEFT",
            line_height=5,
            headings_style=FontFace(emphasis="BOLD", fill_color=(226, 232, 240)),
        ) as out:
            for values in (table.columns, *table.rows):
                row = out.row()
                for value in values:
                    row.cell(self.t(value))
        pdf.ln(2)

    def chart(self, chart: Chart) -> None:
        pdf = self.pdf
        svg = _for_pdf(chart.svg if self.unicode else latin1(chart.svg))
        width_px, height_px = _svg_size(svg)
        width = PAGE_WIDTH_MM
        height = width * height_px / width_px
        room = pdf.page_break_trigger - pdf.t_margin
        if height > room:  # taller than a page: shrink it to fit one
            width, height = width * room / height, room
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        pdf.image(
            io.BytesIO(svg.encode("utf-8")),
            x=MARGIN_MM,
            y=top,
            w=width,
            h=height,
            alt_text=self.t(chart.alt),
        )
        pdf.set_y(top + height + 3)


_UNRENDERED = re.compile(r"<(title|desc)\b[^>]*>[^<]*</\1>")


def _for_pdf(svg: str) -> str:
    """The SVG without ``<title>``/``<desc>`` (fpdf2 does not draw them and warns on each;
    the chart's text alternative goes into the image's alt text instead)."""
    return _UNRENDERED.sub("", svg)


def _svg_size(svg: str) -> tuple[float, float]:
    """Width and height of an SVG made by :class:`artguard.reports.svg.Canvas`."""
    head = svg[: svg.index(">")]

    def attribute(name: str) -> float:
        start = head.index(f' {name}="') + len(name) + 3
        return float(head[start : head.index('"', start)])

    return attribute("width"), attribute("height")


def write_pdf(report: WeeklyReport, font: Path | None = None) -> bytes:
    """The report as PDF bytes; ``font``: a Unicode TTF (see :func:`find_font`), or None for
    the Latin-1 core font."""
    return _Writer(report, font).write()
