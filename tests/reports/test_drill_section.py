"""The weekly report's "Last drill" section, in the data, the JSON and the PDF."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from artguard.drill import store
from artguard.reports import pdf as report_pdf
from artguard.reports.weekly import WeeklyReport, build_weekly
from artguard.site import Site
from tests.drill.drill_data import FINISHED, drill
from tests.reports.data import LAST_DAY, NOW
from tests.reports.test_pdf import figure_alts, text_of


def _report(engine: Engine, site: Site) -> WeeklyReport:
    with engine.connect() as conn:
        return build_weekly(conn, site, LAST_DAY, now=NOW)


def _section(report: WeeklyReport):  # type: ignore[no-untyped-def]
    return next(s for s in report.sections if s.key == "last_drill")


def test_without_a_drill_the_section_says_so(sqlite_week: Engine, small_site: Site) -> None:
    section = _section(_report(sqlite_week, small_site))
    assert section.title == "Last drill"
    assert section.table is None and section.charts == ()
    assert section.paragraphs[0].startswith("No red-team drill had been run")


def test_the_last_drill_before_the_period_ends(week_store: Engine, small_site: Site) -> None:
    store.save(week_store, drill(id="older", seed=1, finished_time=FINISHED - timedelta(days=3)))
    store.save(week_store, drill(id="last", seed=7))
    store.save(week_store, drill(id="after", finished_time=NOW + timedelta(days=1)))
    store.save(week_store, drill(id="elsewhere", site_id="other", finished_time=NOW))
    section = _section(_report(week_store, small_site))
    assert section.paragraphs[0] == (
        "Drill last finished 2026-11-29 10:00 (Europe/London): 2 simulated site-day(s) of "
        "site small-museum, seed 7, 6 scenario(s) injected."
    )
    assert section.paragraphs[1] == (
        "Detection rate 66.7% (4 of 6); time to detect median 13 s, p90 27 s; false incidents "
        "per site-day: dashboard 1.00, page guard 0.50 (high-risk 0.50)."
    )
    assert section.table is not None
    assert section.table.rows == (
        ("Theft", "3 of 3", "6 s", "20 s", "theft_in_progress"),
        ("Tailgating", "1 of 2", "30 s", "30 s", "tailgating"),
        ("Insider", "0 of 1", "-", "-", "-"),
    )
    names = [c.name for c in section.charts]
    assert names == ["drill-detection", "drill-time-to-detect", "drill-false-per-day"]
    data = _section_dict(_report(week_store, small_site))
    assert data["table"]["rows"][0] == ["Theft", "3 of 3", "6 s", "20 s", "theft_in_progress"]
    assert [c["name"] for c in data["charts"]] == names


def _section_dict(report: WeeklyReport) -> dict:  # type: ignore[type-arg]
    return next(s for s in report.as_dict()["sections"] if s["key"] == "last_drill")


def test_pdf_lays_out_the_drill_section(sqlite_week: Engine, small_site: Site) -> None:
    store.save(sqlite_week, drill(id="last"))
    data = report_pdf.write_pdf(_report(sqlite_week, small_site), report_pdf.find_font({}))
    reader, text = text_of(data)
    for expected in ("Last drill", "Detection rate 66.7% (4 of 6)", "Tailgating", "1 of 2"):
        assert expected in text, expected
    alts = figure_alts(reader)
    assert len(alts) == 9  # the six KPI charts and the drill's three
    assert alts[6] == (
        "Detection per scenario: Theft 3 of 3 detected; Tailgating 1 of 2 detected, 1 missed; "
        "Insider 0 of 1 detected, 1 missed."
    )
