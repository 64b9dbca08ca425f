"""``artguard kpi --since 7d``: incident KPIs and camera / sensor uptime from the store."""

from __future__ import annotations

import json
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from artguard.cli.service import DatabaseUrl, DataDir, settings_from, site_from
from artguard.events import utcnow
from artguard.site import Site, parse_duration
from artguard.store.db import open_database
from artguard.triage.kpis import incident_kpis

EXIT_USAGE = 2


def parse_moment(text: str, option: str, now: datetime, zone: tzinfo) -> datetime:
    """``7d`` (that long before ``now``) or an ISO time (no zone: ``zone``)."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        at = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"expected a duration like 7d, 12h, 2w or an ISO time like 2026-11-01T00:00, "
            f"got {text!r}",
            param_hint=option,
        ) from None
    return at if at.tzinfo else at.replace(tzinfo=zone)


def kpi_command(
    since: Annotated[
        str, typer.Option("--since", help="Start: a duration back from now (7d, 12h) or ISO.")
    ] = "7d",
    until: Annotated[
        str | None, typer.Option("--until", help="End: ISO time or a duration back; now.")
    ] = None,
    site_path: Annotated[
        Path | None,
        typer.Option("--site", "-s", help="Site YAML: its time zone and its cameras and sensors."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the KPIs as JSON.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Incident KPIs for a period: false-positive rate, time to detect / acknowledge /
    resolve (median, p90), incidents per day by pattern, camera and sensor uptime."""
    site: Site | None = site_from(site_path) if site_path is not None else None
    zone: tzinfo = site.tz if site is not None else UTC
    now = utcnow()
    start = parse_moment(since, "--since", now, zone)
    end = parse_moment(until, "--until", now, zone) if until else now
    if end <= start:
        typer.echo(f"error: --since {start.isoformat()} is not before --until {end.isoformat()}")
        raise typer.Exit(EXIT_USAGE)
    settings = settings_from(data_dir, database_url)
    try:
        engine = open_database(settings)
        try:
            with engine.connect() as conn:
                kpis = incident_kpis(conn, start, end, site)
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        typer.echo(f"error: database {settings.resolved_database_url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(json.dumps(kpis, indent=2, sort_keys=True))
        return
    for line in render(kpis):
        typer.echo(line)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.1f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    return f"{value / 3600:.1f} h"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"


def _counts(counter: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items(), key=lambda kv: -kv[1])) or "-"


def render(kpis: dict[str, Any]) -> list[str]:
    """The KPIs as aligned text lines."""
    period = kpis["period"]
    lines = [f"KPIs from {period['since']} to {period['until']}"]
    lines.append(f"{'incidents':<22}{kpis['incidents']}  ({_counts(kpis['by_status'])})")
    lines.append(f"{'risk':<22}{_counts(kpis['by_risk'])}")
    verdicts = kpis["verdicts"]
    closed = verdicts["false_alarm"] + verdicts["resolved"]
    lines.append(
        f"{'false-positive rate':<22}{_percent(kpis['false_alarm_rate'])}"
        f"  ({verdicts['false_alarm']} false alarm(s) of {closed} closed)"
    )
    for key, label in (
        ("time_to_detect_s", "time to detect"),
        ("time_to_acknowledge_s", "time to acknowledge"),
        ("time_to_resolve_s", "time to resolve"),
    ):
        s = kpis[key]
        lines.append(
            f"{label:<22}median {_seconds(s['median']):>9}   p90 {_seconds(s['p90']):>9}"
            f"   (n={s['count']})"
        )
    lines.append("incidents per day by pattern:")
    for day, patterns in kpis["per_day_by_pattern"].items():
        lines.append(f"  {day}  {_counts(patterns)}")
    if not kpis["per_day_by_pattern"]:
        lines.append("  (none)")
    up = kpis["uptime"]
    for kind in ("cameras", "sensors"):
        part = up[kind] if up else None
        if not part or not part["devices"]:
            lines.append(f"{kind[:-1] + ' uptime':<22}- (no {kind})")
            continue
        worst = ", ".join(f"{d} {_percent(part['by_device'][d]['uptime'])}" for d in part["worst"])
        lines.append(
            f"{kind[:-1] + ' uptime':<22}mean {_percent(part['mean'])} over {part['judged']} of "
            f"{part['devices']} {kind}" + (f"; lowest: {worst}" if worst else "")
        )
    return lines


def register(app: typer.Typer) -> None:
    """Add ``kpi`` to the main app."""
    app.command("kpi")(kpi_command)
