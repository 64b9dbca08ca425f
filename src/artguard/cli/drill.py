"""``artguard drill``: red-team drill of a site's digital twin through the real pipeline."""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from artguard.cli.service import DatabaseUrl, DataDir, settings_from
from artguard.config import Settings
from artguard.drill import gate, text
from artguard.drill.result import DrillResult
from artguard.drill.runner import DrillSpec, quiet_pipeline, run_drill
from artguard.events import utcnow
from artguard.site import Site, SiteError, load_site
from artguard.twin.scenarios import scenario_names
from artguard.twin.site_day import SiteDayError

EXIT_USAGE = 2
EXIT_GATE = 1


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_USAGE)


def parse_scenarios(value: str) -> list[str]:
    """``all`` or a comma-separated list of registered scenario names."""
    known = scenario_names()
    if value.strip() == "all":
        return known
    names = [n.strip() for n in value.split(",") if n.strip()]
    if not names:
        raise _fail("--scenarios: expected 'all' or a comma-separated list of scenario names")
    unknown = [n for n in names if n not in known]
    if unknown:
        raise _fail(
            f"--scenarios: unknown scenario(s) {', '.join(unknown)}; known: "
            f"{', '.join(known) or '(none registered)'}"
        )
    return names


def load_drill_site(path: Path) -> Site:
    """The site to drill, or exit 2 naming the file and every problem in it."""
    if not path.is_file():
        raise _fail(f"--site: site file {path} does not exist")
    try:
        return load_site(path)
    except SiteError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise _fail(f"--site: {len(exc.problems)} problem(s) in {path}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"--site: cannot read {path}: {exc}") from exc


def parse_start(value: str | None, site: Site) -> datetime | None:
    """``YYYY-MM-DD`` (midnight, site time) or an ISO date-time (no zone: the site's)."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError:
        try:
            at = datetime.combine(date.fromisoformat(value.strip()), time(0, 0))
        except ValueError:
            raise _fail(
                f"--start: expected a date like 2026-06-02 or 2026-06-02T08:00, got {value!r}"
            ) from None
    return at if at.tzinfo else at.replace(tzinfo=site.tz)


def drill_command(
    site_path: Annotated[Path, typer.Option("--site", "-s", help="The site YAML file.")],
    days: Annotated[float, typer.Option("--days", help="Simulated site-days (0.5 = 12 h).")] = 1.0,
    scenarios: Annotated[
        str, typer.Option("--scenarios", help="'all' or a comma-separated list of scenarios.")
    ] = "all",
    seed: Annotated[int, typer.Option("--seed", help="Random seed: same seed, same drill.")] = 0,
    repeat: Annotated[
        int, typer.Option("--repeat", help="Inject each scenario this many times.")
    ] = 1,
    start: Annotated[
        str | None,
        typer.Option("--start", help="First simulated day (default 2026-06-02, a Tuesday)."),
    ] = None,
    step: Annotated[
        float, typer.Option("--step", help="Simulated seconds per pipeline step.")
    ] = 1.0,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", help="Run a drill of several days as one-day parts in N processes."
        ),
    ] = 1,
    operator: Annotated[
        float | None,
        typer.Option(
            "--operator",
            help="Simulate an operator closing each incident this many minutes after it "
            "starts, with the truth's verdict (feedback learning on).",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option("--report", help="Also write an HTML report with charts here.")
    ] = None,
    no_store: Annotated[
        bool, typer.Option("--no-store", help="Do not store the result for the dashboard.")
    ] = False,
    check: Annotated[
        bool, typer.Option("--gate", help="Exit 1 when the result misses the drill gate.")
    ] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Simulate days at the site with attack scenarios injected, run them through the real
    pipeline (faster than real time) and score what artguard detected: per scenario detected
    or not, time to detect, pattern, score and tier; overall detection rate, false incidents
    per site-day by tier, median and p90 time to detect (docs/drills.md)."""
    if not days > 0:
        raise _fail(f"--days must be more than 0 (got {days:g})")
    if repeat < 1:
        raise _fail(f"--repeat must be at least 1 (got {repeat})")
    if operator is not None and not operator > 0:
        raise _fail(f"--operator must be more than 0 minutes (got {operator:g})")
    if workers < 1:
        raise _fail(f"--workers must be at least 1 (got {workers})")
    if not step > 0:
        raise _fail(f"--step must be more than 0 (got {step:g})")
    if report is not None and not report.parent.is_dir():
        raise _fail(f"--report: directory {report.parent} does not exist")
    site = load_drill_site(site_path)
    names = parse_scenarios(scenarios)
    spec = DrillSpec(
        site=site,
        days=days,
        seed=seed,
        scenarios=names,
        repeat=repeat,
        start=parse_start(start, site),
        step_s=step,
        operator_after=timedelta(minutes=operator) if operator is not None else None,
    )
    writer = _report_writer() if report is not None else None
    settings = None if no_store else settings_from(data_dir, database_url)  # checked up front
    try:
        with quiet_pipeline():
            result = asyncio.run(run_drill(spec, workers=workers))
    except SiteDayError as exc:
        raise _fail(str(exc)) from exc
    result.finished_time = utcnow()
    verdict = gate.evaluate(result)
    if settings is not None:
        _store(result, settings)
    if as_json:
        data = result.as_dict()
        data["gate"] = {"passed": verdict.passed, "checks": [c.__dict__ for c in verdict.checks]}
        typer.echo(json.dumps(data, indent=2, default=_json_value))
    else:
        for line in text.render(result, verdict):
            typer.echo(line)
    if writer is not None and report is not None:
        written = writer(result, report)
        if not as_json:
            typer.echo(f"report written to {written}")
    if check and not verdict.passed:
        raise typer.Exit(EXIT_GATE)


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def _report_writer() -> Callable[[DrillResult, Path], Path]:
    try:
        module = importlib.import_module("artguard.drill.html")
    except ModuleNotFoundError as exc:
        raise _fail(
            "--report: the HTML drill report (artguard.drill.html) is not installed"
        ) from exc
    writer: Callable[[DrillResult, Path], Path] | None = getattr(module, "write_report", None)
    if writer is None:
        raise _fail("--report: artguard.drill.html has no write_report")
    return writer


def _store(result: DrillResult, settings: Settings) -> None:
    """Save the result where the dashboard reads it (the configured database)."""
    try:
        store = importlib.import_module("artguard.drill.store")
    except ModuleNotFoundError:
        typer.echo("note: drill results cannot be stored yet (no artguard.drill.store)", err=True)
        return
    from artguard.store.audit import AuditLog
    from artguard.store.db import open_database

    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = open_database(settings)
        try:
            result.id = store.save(engine, result, AuditLog(engine))
        finally:
            engine.dispose()
    except (SQLAlchemyError, OSError, ValueError) as exc:
        typer.echo(f"error: storing the drill in {settings.resolved_database_url}: {exc}", err=True)
        raise typer.Exit(1) from exc


def register(app: typer.Typer) -> None:
    app.command("drill")(drill_command)
