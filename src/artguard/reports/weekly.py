"""The weekly report: the KPIs of seven full days on the site's calendar, as a list of sections.

A report is data (:class:`WeeklyReport`): the period, the KPIs, the top incidents and an
ordered list of :class:`Section` (a title, paragraphs, an optional table, charts). The JSON
route returns it as is; :mod:`artguard.reports.pdf` lays the same sections out on paper, so
neither knows what a section is about.

Sections come from :data:`SECTIONS`, a list of builders ``(conn, context) -> Section`` called in
order. A later feature adds its part of the report by appending a builder (issue #7 will add
the last drill's results this way), or a caller passes its own list to :func:`build_weekly`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from artguard.events import utcnow
from artguard.reports import format as fmt
from artguard.reports.charts import Chart, pattern_label, render_all, room_labeller
from artguard.site import Site
from artguard.store.tables import incidents
from artguard.triage.kpis import incident_kpis

DAYS = 7
TOP_INCIDENTS = 10
SHORT = "%d %b %H:%M"  # times in the incidents table: the week's year is on the title page


class ReportError(ValueError):
    """A report that cannot be made as asked (e.g. a week ending in the future)."""


@dataclass(frozen=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[int, ...] | None = None  # relative column widths on paper

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(
                    f"table row {i} has {len(row)} cells, expected {len(self.columns)}"
                )

    def as_dict(self) -> dict[str, Any]:
        return {"columns": list(self.columns), "rows": [list(r) for r in self.rows]}


@dataclass(frozen=True)
class Section:
    """One part of the report, in reading order: paragraphs, then the table, then charts."""

    key: str
    title: str
    paragraphs: tuple[str, ...] = ()
    table: Table | None = None
    charts: tuple[Chart, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "paragraphs": list(self.paragraphs),
            "table": self.table.as_dict() if self.table else None,
            "charts": [{"name": c.name, "title": c.title, "alt": c.alt} for c in self.charts],
        }


@dataclass(frozen=True)
class ReportContext:
    """What every section builder gets: the site, the period and what is already computed."""

    site: Site
    first_day: date
    last_day: date
    since: datetime  # first_day 00:00 on the site's clock, in UTC
    until: datetime  # the day after last_day 00:00 (or now, for a week ending today)
    generated_at: datetime
    kpis: dict[str, Any]
    top_incidents: list[dict[str, Any]]


SectionBuilder = Callable[[Connection, ReportContext], Section]


@dataclass(frozen=True)
class WeeklyReport:
    context: ReportContext
    sections: list[Section] = field(default_factory=list)

    @property
    def site(self) -> Site:
        return self.context.site

    def as_dict(self) -> dict[str, Any]:
        ctx = self.context
        return {
            "site": {"id": ctx.site.id, "name": ctx.site.name, "timezone": ctx.site.info.timezone},
            "period": {
                "first_day": ctx.first_day.isoformat(),
                "last_day": ctx.last_day.isoformat(),
                "since": ctx.since.isoformat(),
                "until": ctx.until.isoformat(),
            },
            "generated_at": ctx.generated_at.isoformat(),
            "kpis": ctx.kpis,
            "top_incidents": ctx.top_incidents,
            "sections": [s.as_dict() for s in self.sections],
        }


def week_ending(end: date | None, site: Site, now: datetime) -> tuple[date, date]:
    """First and last day of the week ending on ``end`` (included); by default the last
    :data:`DAYS` full days before today on the site's calendar."""
    today = now.astimezone(site.tz).date()
    last = end if end is not None else today - timedelta(days=1)
    if last > today:
        raise ReportError(
            f"end: {last.isoformat()} is after today ({today.isoformat()} in "
            f"{site.info.timezone}); a weekly report covers days that have happened"
        )
    return last - timedelta(days=DAYS - 1), last


def local_midnight(day: date, site: Site) -> datetime:
    """00:00 of ``day`` on the site's clock, as a UTC time (DST-aware)."""
    return datetime.combine(day, time(0), tzinfo=site.tz).astimezone(UTC)


def top_incidents(
    conn: Connection, since: datetime, until: datetime, limit: int = TOP_INCIDENTS
) -> list[dict[str, Any]]:
    """The incidents detected in ``[since, until)`` with the highest risk score (unscored last)."""
    stmt = (
        select(incidents)
        .where(incidents.c.detected_time >= since, incidents.c.detected_time < until)
        .order_by(func.coalesce(incidents.c.score, -1.0).desc(), incidents.c.detected_time)
        .limit(limit)
    )
    return [
        {
            "id": row.id,
            "title": row.title,
            "pattern": row.pattern,
            "room_id": row.room_id,
            "score": row.score,
            "severity": row.severity,
            "status": row.status,
            "detected_time": row.detected_time.isoformat(),
            "acknowledged_time": _iso(row.acknowledged_time),
            "resolved_time": _iso(row.resolved_time),
        }
        for row in conn.execute(stmt)
    ]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


VERDICTS = {
    "open": "open, no verdict",
    "acknowledged": "acknowledged, no verdict",
    "resolved": "real (resolved)",
    "false_alarm": "false alarm",
}


def summary_section(conn: Connection, ctx: ReportContext) -> Section:
    """Key figures: volumes, false-positive rate, response times, uptime."""
    k = ctx.kpis
    verdicts = k["verdicts"]
    closed = verdicts["false_alarm"] + verdicts["resolved"]
    rows = [
        ("Incidents", str(k["incidents"]), fmt.counts(k["by_status"])),
        ("Risk", "", fmt.counts(k["by_risk"])),
        (
            "False-positive rate",
            fmt.percent(k["false_alarm_rate"]),
            f"{verdicts['false_alarm']} false alarm(s) of {closed} closed",
        ),
    ]
    for key, label in (
        ("time_to_detect_s", "Time to detect"),
        ("time_to_acknowledge_s", "Time to acknowledge"),
        ("time_to_resolve_s", "Time to resolve"),
    ):
        s = k[key]
        rows.append(
            (
                label,
                f"median {fmt.seconds(s['median'])}",
                f"p90 {fmt.seconds(s['p90'])}, max {fmt.seconds(s['max'])}, n={s['count']}",
            )
        )
    for kind, label in (("cameras", "Camera uptime"), ("sensors", "Sensor uptime")):
        part = (k["uptime"] or {}).get(kind)
        if not part or not part["devices"]:
            rows.append((label, "-", f"no {kind}"))
            continue
        lowest = ", ".join(
            f"{d} {fmt.percent(part['by_device'][d]['uptime'])}" for d in part["worst"]
        )
        rows.append(
            (
                label,
                f"mean {fmt.percent(part['mean'])}",
                f"{part['judged']} of {part['devices']} judged"
                + (f"; lowest: {lowest}" if lowest else ""),
            )
        )
    return Section(
        "summary",
        "Key figures",
        paragraphs=(
            "Incidents detected in the period. The false-positive rate is the share of closed "
            "incidents that operators closed as a false alarm; p90 is the 90th percentile.",
        ),
        table=Table(("Measure", "Value", "Detail"), tuple(rows), widths=(3, 3, 8)),
    )


def charts_section(conn: Connection, ctx: ReportContext) -> Section:
    """Every KPI chart (the same SVG the dashboard shows)."""
    return Section("charts", "Charts", charts=tuple(render_all(ctx.kpis, ctx.site)))


def top_incidents_section(conn: Connection, ctx: ReportContext) -> Section:
    """The incidents with the highest risk score, with their times and verdicts."""
    total = ctx.kpis["incidents"]
    if not ctx.top_incidents:
        return Section("top_incidents", "Top incidents", ("No incidents in this period.",))
    zone = ctx.site.tz
    room = room_labeller(ctx.site)
    rows = tuple(
        (
            pattern_label(i["pattern"] or "unknown"),
            room(i["room_id"] or "unknown"),
            fmt.score(i["score"]),
            fmt.local(_time(i["detected_time"]), zone, SHORT),
            fmt.local(_time(i["acknowledged_time"]), zone, SHORT),
            fmt.local(_time(i["resolved_time"]), zone, SHORT),
            VERDICTS.get(i["status"], i["status"]),
        )
        for i in ctx.top_incidents
    )
    return Section(
        "top_incidents",
        "Top incidents",
        paragraphs=(
            f"The {len(rows)} incident(s) with the highest risk score of the {total} detected; "
            f"times on the site's clock ({ctx.site.info.timezone}).",
        ),
        table=Table(
            ("Pattern", "Room", "Score", "Detected", "Acknowledged", "Closed", "Verdict"),
            rows,
            widths=(5, 4, 3, 5, 5, 5, 5),
        ),
    )


def _time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def last_drill_section(conn: Connection, ctx: ReportContext) -> Section:
    """The last red-team drill's results (issue #7). Imported when called: the drill section
    is built from this module's Section and Table."""
    from artguard.drill.report_section import last_drill_section as build

    return build(conn, ctx)


SECTIONS: list[SectionBuilder] = [
    summary_section,
    charts_section,
    top_incidents_section,
    last_drill_section,
]
"""The report's section builders, in order. Append a builder to add a section to every weekly
report (the PDF and the JSON both follow this list)."""


def build_weekly(
    conn: Connection,
    site: Site,
    end: date | None = None,
    now: datetime | None = None,
    sections: Sequence[SectionBuilder] | None = None,
) -> WeeklyReport:
    """The weekly report for the :data:`DAYS` days ending on ``end`` (see :func:`week_ending`).

    A week ending today stops at ``now`` (uptime is not charged for the hours to come).
    """
    now = now or utcnow()
    first, last = week_ending(end, site, now)
    since = local_midnight(first, site)
    until = min(local_midnight(last + timedelta(days=1), site), now)
    ctx = ReportContext(
        site=site,
        first_day=first,
        last_day=last,
        since=since,
        until=until,
        generated_at=now,
        kpis=incident_kpis(conn, since, until, site),
        top_incidents=top_incidents(conn, since, until),
    )
    builders = SECTIONS if sections is None else sections
    return WeeklyReport(ctx, [build(conn, ctx) for build in builders])
