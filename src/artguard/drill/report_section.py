"""The weekly report's "Last drill" section: the last red-team drill of the report's site
finished by the end of the report's period: its headline figures, a table per scenario kind
and its charts.

Registered in :data:`artguard.reports.weekly.SECTIONS`, so the JSON and the PDF both carry it.
"""

from __future__ import annotations

from sqlalchemy import Connection

from artguard.drill import store
from artguard.drill.charts import detection, false_per_day, scenario_label, time_to_detect
from artguard.drill.summary import DrillFigures, by_scenario
from artguard.reports import format as fmt
from artguard.reports.weekly import ReportContext, Section, Table

KEY = "last_drill"
TITLE = "Last drill"


def last_drill_section(conn: Connection, ctx: ReportContext) -> Section:
    result = store.latest(conn, before=ctx.until, site_id=ctx.site.id)
    if result is None:
        return Section(
            KEY,
            TITLE,
            (
                "No red-team drill had been run by the end of this period. "
                "`artguard drill --site SITE --days N --scenarios all` measures the detection "
                "rate, false incidents per site-day and the time to detect.",
            ),
        )
    f = DrillFigures.of(result)
    zone = ctx.site.tz
    per_day = result.false_per_day()
    tiers = ", ".join(f"{tier.replace('_', ' ')} {rate:.2f}" for tier, rate in per_day.items())
    paragraphs = (
        f"Drill {result.id} finished {fmt.local(result.finished_time, zone)} "
        f"({ctx.site.info.timezone}): {result.days:g} simulated site-day(s) of site "
        f"{result.site_id}, seed {result.seed}, {f.scenarios} scenario(s) injected.",
        f"Detection rate {fmt.percent(f.detection_rate)} ({f.detected} of {f.scenarios}); "
        f"time to detect median {fmt.seconds(f.ttd_median_s)}, p90 {fmt.seconds(f.ttd_p90_s)}; "
        f"false incidents per site-day: {tiers or 'none'} "
        f"(high-risk {f.false_high_per_day:.2f}).",
    )
    rows = tuple(
        (
            scenario_label(s.scenario),
            f"{s.detected} of {s.runs}",
            fmt.seconds(s.ttd_median_s),
            fmt.seconds(s.ttd_max_s),
            ", ".join(s.patterns) or "-",
        )
        for s in by_scenario(result)
    )
    return Section(
        KEY,
        TITLE,
        paragraphs=paragraphs,
        table=Table(
            ("Scenario", "Detected", "Median time to detect", "Slowest", "Incident pattern"),
            rows,
            widths=(4, 3, 3, 3, 5),
        )
        if rows
        else None,
        charts=(detection(result), time_to_detect(result), false_per_day(result)),
    )
