"""``artguard report weekly``: the weekly KPI report as a PDF file."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from artguard.cli.service import DatabaseUrl, DataDir, SitePath, settings_from, site_from
from artguard.reports.pdf import FONT_ENV, find_font, write_pdf
from artguard.reports.weekly import ReportError, build_weekly
from artguard.store.db import open_database

EXIT_USAGE = 2

report_app = typer.Typer(
    name="report", help="Reports from the store: the weekly KPI report.", no_args_is_help=True
)


def _end_day(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"expected a date like 2026-11-29, got {value!r}", param_hint="--end"
        ) from None


@report_app.command("weekly")
def weekly_command(
    site_path: SitePath,
    out: Annotated[Path, typer.Option("--out", "-o", help="The PDF file to write.")],
    end: Annotated[
        str | None,
        typer.Option(
            "--end",
            help="Last day of the week (YYYY-MM-DD, included) on the site's calendar; "
            "default: yesterday.",
        ),
    ] = None,
    font: Annotated[
        Path | None,
        typer.Option(
            "--font",
            help=f"A Unicode .ttf for the text (env {FONT_ENV}; else DejaVu Sans if found).",
        ),
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The weekly report (key figures, every KPI chart, top incidents) of the 7 days ending
    on --end, as a PDF."""
    last_day = _end_day(end)
    if not out.parent.is_dir():
        typer.echo(f"error: --out {out}: directory {out.parent} does not exist", err=True)
        raise typer.Exit(EXIT_USAGE)
    site = site_from(site_path)
    settings = settings_from(data_dir, database_url)
    try:
        font_file = find_font({FONT_ENV: str(font)} if font else settings.environ)
        engine = open_database(settings)
        try:
            with engine.connect() as conn:
                report = build_weekly(conn, site, last_day)
        finally:
            engine.dispose()
        pdf = write_pdf(report, font_file)
    except ReportError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    except SQLAlchemyError as exc:
        typer.echo(f"error: database {settings.resolved_database_url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    out.write_bytes(pdf)
    ctx = report.context
    typer.echo(
        f"wrote {out} ({len(pdf)} bytes): {site.name}, {ctx.first_day} to {ctx.last_day}, "
        f"{ctx.kpis['incidents']} incident(s)"
        + ("" if font_file else "; no Unicode font found, text written in Latin-1")
    )


def register(app: typer.Typer) -> None:
    """Add ``report`` to the main app."""
    app.add_typer(report_app)
