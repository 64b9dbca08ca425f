"""The weekly report's period, data and sections, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Connection, Engine

from artguard.reports.weekly import (
    SECTIONS,
    ReportContext,
    ReportError,
    Section,
    Table,
    build_weekly,
    local_midnight,
    week_ending,
)
from artguard.site import Site
from tests.reports.data import FIRST_DAY, LAST_DAY, NOW, SINCE, UNTIL


def test_default_week_is_the_last_seven_full_days(small_site: Site) -> None:
    assert week_ending(None, small_site, NOW) == (FIRST_DAY, LAST_DAY)
    # the last minute of 30 November in London: that day is not over, so not in the week
    late = datetime(2026, 11, 30, 23, 59, tzinfo=UTC)
    assert week_ending(None, small_site, late) == (FIRST_DAY, LAST_DAY)


def test_days_are_on_the_site_calendar_across_a_dst_change(small_site: Site) -> None:
    # British Summer Time ends on Sunday 25 October 2026: that week is 167 + 1 hours long
    first, last = week_ending(date(2026, 10, 25), small_site, NOW)
    assert (first, last) == (date(2026, 10, 19), date(2026, 10, 25))
    assert local_midnight(first, small_site) == datetime(2026, 10, 18, 23, tzinfo=UTC)
    assert local_midnight(date(2026, 10, 26), small_site) == datetime(2026, 10, 26, tzinfo=UTC)


def test_a_week_ending_in_the_future_is_refused(small_site: Site) -> None:
    with pytest.raises(ReportError, match=r"end: 2026-12-01 is after today \(2026-11-30"):
        week_ending(date(2026, 12, 1), small_site, NOW)


def test_a_week_ending_today_stops_now(sqlite_week: Engine, small_site: Site) -> None:
    with sqlite_week.connect() as conn:
        report = build_weekly(conn, small_site, date(2026, 11, 30), now=NOW)
    assert report.context.until == NOW
    assert report.context.first_day == date(2026, 11, 24)


def test_report_data_and_sections(week_store: Engine, small_site: Site) -> None:
    with week_store.connect() as conn:
        report = build_weekly(conn, small_site, LAST_DAY, now=NOW)
    ctx = report.context
    assert (ctx.since, ctx.until) == (SINCE, UNTIL)
    assert ctx.kpis["incidents"] == 5  # "before" and "after" are outside the week
    assert [i["id"] for i in ctx.top_incidents] == ["inc-a", "inc-e", "inc-c", "inc-b", "inc-d"]
    assert [s.key for s in report.sections] == [
        "summary",
        "charts",
        "top_incidents",
        "last_drill",
    ]
    summary = report.sections[0].table
    assert summary is not None
    rows = {row[0]: row for row in summary.rows}
    assert rows["Incidents"][1] == "5"
    assert rows["False-positive rate"][1:] == ("66.7%", "2 false alarm(s) of 3 closed")
    assert rows["Time to acknowledge"][1] == "median 35 s"
    assert rows["Camera uptime"][1] == "mean 92.9%"
    charts = report.sections[1].charts
    assert [c.name for c in charts] == [
        "false-alarm-rate",
        "response-times",
        "by-pattern",
        "by-room",
        "per-day",
        "uptime",
    ]
    top = report.sections[2].table
    assert top is not None
    assert top.rows[0] == (
        "Theft in progress",
        "Vault",
        "0.92",
        "23 Nov 02:00",
        "23 Nov 02:00",
        "23 Nov 02:15",
        "real (resolved)",
    )
    assert top.rows[-1][:3] == ("No pattern", "No room", "-")
    assert top.rows[-1][-1] == "open, no verdict"


def test_report_as_json_data(sqlite_week: Engine, small_site: Site) -> None:
    with sqlite_week.connect() as conn:
        data = build_weekly(conn, small_site, LAST_DAY, now=NOW).as_dict()
    assert data["site"] == {
        "id": "small-museum",
        "name": "Small Museum",
        "timezone": "Europe/London",
    }
    assert (
        data["period"]["first_day"] == "2026-11-23" and data["period"]["last_day"] == "2026-11-29"
    )
    assert data["kpis"]["by_room"]["vault"] == 2
    charts = data["sections"][1]["charts"]
    assert charts[0]["name"] == "false-alarm-rate" and "66.7%" in charts[0]["alt"]
    assert "svg" not in charts[0]  # JSON names the charts; the SVG comes from the chart route


def test_sections_are_a_list_later_features_extend(sqlite_week: Engine, small_site: Site) -> None:
    def drills(conn: Connection, ctx: ReportContext) -> Section:
        return Section(
            "drills",
            "Last drill",
            (f"week of {ctx.first_day}",),
            Table(("Step", "Result"), (("doors locked", "12 s"),)),
        )

    with sqlite_week.connect() as conn:
        report = build_weekly(conn, small_site, LAST_DAY, now=NOW, sections=[*SECTIONS, drills])
    assert [s.key for s in report.sections][-1] == "drills"
    assert report.sections[-1].paragraphs == ("week of 2026-11-23",)
    assert SECTIONS[-1].__name__ == "last_drill_section"  # the default list is untouched


def test_table_rows_must_match_the_columns() -> None:
    with pytest.raises(ValueError, match="table row 1 has 1 cells, expected 2"):
        Table(("a", "b"), (("1", "2"), ("3",)))
