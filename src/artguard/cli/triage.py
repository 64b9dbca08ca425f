"""``artguard triage adjustments | revert | reapply``: what operator feedback changed in scoring,
and undoing or redoing it."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.exc import SQLAlchemyError

from artguard.cli.service import DatabaseUrl, DataDir, settings_from, site_from
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from artguard.triage.feedback import Feedback, FeedbackError, FeedbackNotFound

SitePath = Annotated[
    Path | None,
    typer.Option("--site", "-s", help="Site YAML: its time zone for the dates shown."),
]
Key = Annotated[str, typer.Argument(help="Feedback key rule,device,band, as listed.")]
Reason = Annotated[str, typer.Option("--reason", help="Why (kept in the audit log).")]
Actor = Annotated[str | None, typer.Option("--actor", help="Who is acting [cli:<login user>].")]
Incident = Annotated[
    str | None,
    typer.Option("--incident", help="Only this incident's verdict on the key."),
]

app = typer.Typer(
    name="triage",
    help="Operator feedback on scoring: list, revert and re-apply adjustments.",
    no_args_is_help=True,
)


@contextmanager
def _feedback(
    site_path: Path | None, data_dir: Path | None, database_url: str | None
) -> Iterator[Feedback]:
    site = site_from(site_path) if site_path is not None else None
    settings = settings_from(data_dir, database_url)
    try:
        engine = open_database(settings)
    except SQLAlchemyError as exc:
        typer.echo(f"error: database {settings.resolved_database_url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    try:
        yield Feedback(engine, AuditLog(engine), site)
    finally:
        engine.dispose()


@app.command("adjustments")
def adjustments_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    site_path: SitePath = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Every rule/device/time-of-day key operators' verdicts have adjusted: the factor on its
    alerts' weight, the verdict counts and why."""
    with _feedback(site_path, data_dir, database_url) as feedback:
        found = feedback.summaries()
    if as_json:
        typer.echo(json.dumps(found, indent=2, sort_keys=True))
        return
    for line in render(found):
        typer.echo(line)


def render(found: list[dict[str, Any]]) -> list[str]:
    """One block per key: factor and counts, the reason, the last revert / re-apply."""
    if not found:
        return ["no operator feedback yet (verdicts are recorded when incidents are closed)"]
    lines = []
    for item in found:
        counts = f"{item['false_alarms']} false alarm(s), {item['confirmed']} confirmed"
        if item["reverted"]:
            counts += f", {item['reverted']} reverted"
        lines.append(f"{item['key']:<48} x{item['factor']:.2f}  ({counts})")
        if item["why"]:
            lines.append(f"    {item['why']}")
        if item["since"]:
            lines.append(f"    since {item['since']}")
        change = item["last_change"]
        if change:
            lines.append(
                f"    last change: {change['action']} by {change['by']} at {change['time']}: "
                f"{change['reason']}"
            )
    return lines


def _change(
    action: Callable[[Feedback], dict[str, Any]],
    site_path: Path | None,
    data_dir: Path | None,
    database_url: str | None,
) -> None:
    with _feedback(site_path, data_dir, database_url) as feedback:
        try:
            result = action(feedback)
        except FeedbackNotFound as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
        except FeedbackError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    for line in render([result]):
        typer.echo(line)


@app.command("revert")
def revert_command(
    key: Key,
    reason: Reason,
    actor: Actor = None,
    incident: Incident = None,
    site_path: SitePath = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Undo what the verdicts on KEY did to scoring (they stay on record, marked reverted)."""
    who = _who(actor)
    _change(lambda f: f.revert(key, who, reason, incident), site_path, data_dir, database_url)


@app.command("reapply")
def reapply_command(
    key: Key,
    reason: Reason,
    actor: Actor = None,
    incident: Incident = None,
    site_path: SitePath = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Make reverted verdicts on KEY count again."""
    who = _who(actor)
    _change(lambda f: f.reapply(key, who, reason, incident), site_path, data_dir, database_url)


def _who(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name (e.g. a container without USER)
        return "cli"


def register(main: typer.Typer) -> None:
    """Add ``triage`` to the main app."""
    main.add_typer(app)
