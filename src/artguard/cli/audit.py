"""``artguard audit verify|show`` and ``artguard purge``: the audit chain and data retention."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import SQLAlchemyError

from artguard.cli.service import DatabaseUrl, DataDir, settings_from, site_from
from artguard.events import utcnow
from artguard.store.audit import AuditEntry, AuditLog
from artguard.store.audit_chain import canonical_json
from artguard.store.db import create_engine_for, open_database
from artguard.store.retention import RetentionPolicy, purge

EXIT_BROKEN = 1
EXIT_USAGE = 2

audit_app = typer.Typer(
    name="audit",
    help="The tamper-evident audit log: verify the hash chain, show recent entries.",
    no_args_is_help=True,
)


@contextmanager
def _existing_database(data_dir: Path | None, database_url: str | None) -> Iterator[Engine]:
    """The database as it is: reading the audit log must not migrate (change) it."""
    settings = settings_from(data_dir, database_url)
    engine = create_engine_for(settings)
    try:
        if not inspect(engine).has_table("audit_log"):
            typer.echo(f"error: no audit log in {engine.url!r}", err=True)
            raise typer.Exit(EXIT_USAGE)
        yield engine
    except SQLAlchemyError as exc:
        typer.echo(f"error: cannot read the database {engine.url!r}: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    finally:
        engine.dispose()


@audit_app.command("verify")
def verify(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """Check the whole chain; exit 1 naming the first edited, deleted, reordered or forged entry."""
    with _existing_database(data_dir, database_url) as engine:
        report = AuditLog(engine).verify()
    if report.ok:
        typer.echo(
            f"chain intact: {report.entries_checked} entries, head {report.head_hash or '-'}"
        )
        return
    typer.echo(f"chain broken at entry #{report.first_bad_seq}: {report.problem}")
    raise typer.Exit(EXIT_BROKEN)


@audit_app.command("show")
def show(
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many entries.")] = 20,
    action: Annotated[
        str | None, typer.Option("--action", help="Only this action, e.g. incident.resolved.")
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Only entries about this id.")
    ] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """The most recent entries, oldest first."""
    with _existing_database(data_dir, database_url) as engine:
        entries = AuditLog(engine).entries(
            limit=limit, action=action, subject=subject, newest_first=True
        )
    if not entries:
        typer.echo("no entries")
        return
    for line in _table(list(reversed(entries))):
        typer.echo(line)


def _table(entries: list[AuditEntry], details_width: int = 60) -> list[str]:
    rows = [("seq", "time (UTC)", "actor", "action", "subject", "details")]
    for entry in entries:
        details = canonical_json(entry.details)
        if len(details) > details_width:
            details = details[: details_width - 1] + "…"
        rows.append(
            (
                str(entry.seq),
                entry.ts.strftime("%Y-%m-%d %H:%M:%S"),
                entry.actor,
                entry.action,
                entry.subject or "-",
                details,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True))
        + "  "
        + row[-1]
        for row in rows
    ]


def _limit(kind: str) -> Any:
    return typer.Option(
        f"--{kind}",
        metavar="AGE",
        help=f"Keep {kind} this long: 90d, 12h, 2w; 'forever' keeps all. Default: from --site.",
    )


def _parse_limit(kind: str, text: str) -> timedelta | None:
    if text.strip().lower() in {"forever", "keep", "never"}:
        return None
    from artguard.site import parse_duration  # the site file's own spelling of durations

    try:
        return parse_duration(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=f"--{kind}") from exc


def purge_command(
    site: Annotated[
        Path | None,
        typer.Option("--site", "-s", metavar="SITE.yaml", help="Take the limits from this site."),
    ] = None,
    events: Annotated[str | None, _limit("events")] = None,
    alerts: Annotated[str | None, _limit("alerts")] = None,
    incidents: Annotated[str | None, _limit("incidents")] = None,
    snapshots: Annotated[str | None, _limit("snapshots")] = None,
    audit: Annotated[str | None, _limit("audit")] = None,
    originals: Annotated[str | None, _limit("originals")] = None,
    access: Annotated[str | None, _limit("access")] = None,
    watch_flags: Annotated[str | None, _limit("watch-flags")] = None,
    biometric_templates: Annotated[str | None, _limit("biometric-templates")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Delete data older than the retention limits; the purge is recorded in the audit log.

    Face templates are checked too when --site is given and a template key is configured.
    """
    policy = RetentionPolicy()
    loaded = site_from(site) if site is not None else None
    if loaded is not None:
        policy = RetentionPolicy.from_settings(loaded.retention)
    given = {"events": events, "alerts": alerts, "incidents": incidents}
    given |= {"snapshots": snapshots, "audit": audit, "originals": originals}
    given |= {"access": access, "watch_flags": watch_flags}
    given |= {"biometric_templates": biometric_templates}
    overrides = {
        kind: _parse_limit(kind.replace("_", "-"), text) for kind, text in given.items() if text
    }
    policy = replace(policy, **overrides)
    if all(limit is None for limit in asdict(policy).values()):
        typer.echo("nothing to purge: every kind is kept forever (give --site or --events 90d…)")
        raise typer.Exit(EXIT_USAGE)
    settings = settings_from(data_dir, database_url)
    engine = open_database(settings)
    try:
        templates = _template_purger(settings, engine, loaded)
        report = purge(
            engine,
            policy,
            utcnow(),
            settings.snapshots_dir,
            originals_dir=settings.originals_dir,
            templates=templates,
        )
    finally:
        engine.dispose()
    for kind, count in report.as_dict().items():
        limit = getattr(policy, kind)
        kept = "kept forever" if limit is None else f"older than {_days(limit)}"
        typer.echo(f"{kind:<10} {count:>8} deleted  ({kept})")


def _template_purger(settings: Any, engine: Engine, site: Any) -> Any:
    """The face-template purge, when the site is known and a template key is configured."""
    from artguard.biometrics.keys import BiometricKeyError
    from artguard.privacy.template_retention import TemplateRetention, template_store_from

    if site is None:
        return None
    try:
        store = template_store_from(settings.environ, settings.data_dir, AuditLog(engine))
    except BiometricKeyError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from exc
    return TemplateRetention(store, site) if store is not None else None


def _days(limit: timedelta) -> str:
    days = limit.total_seconds() / 86400
    if days >= 1:
        return f"{days:g} day{'' if days == 1 else 's'}"
    hours = limit.total_seconds() / 3600
    return f"{hours:g} hour{'' if hours == 1 else 's'}"


def register(app: typer.Typer) -> None:
    """Add ``audit`` and ``purge`` to the main app."""
    app.add_typer(audit_app)
    app.command("purge")(purge_command)
