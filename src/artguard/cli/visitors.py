"""``artguard visitors learn`` and ``artguard visitors watch``: the learned normal of visitor
behaviour, and the visitors currently (or recently) flagged for watching."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.exc import SQLAlchemyError

from artguard.cli.service import DatabaseUrl, DataDir, SitePath, settings_from, site_from, site_time
from artguard.store.db import open_database
from artguard.visitors.learn import learn_from_store
from artguard.visitors.store import load_flags, save_model

visitors_app = typer.Typer(
    name="visitors",
    help="Visitor behaviour: learn what normal looks like, list watch flags.",
    no_args_is_help=True,
)

Since = Annotated[
    str | None,
    typer.Option("--since", help="Only from this time on (ISO; no zone = site time)."),
]


@visitors_app.command("learn")
def learn(
    site_path: SitePath = Path("site.yaml"),
    since: Since = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print what would be learned; store nothing.")
    ] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Learn normal visitor behaviour from the stored detection events (from scratch) and
    store it; the running service then judges visitors against it and keeps learning."""
    site = site_from(site_path)
    settings = settings_from(data_dir, database_url)
    try:
        engine = open_database(settings)
        result = learn_from_store(engine, site, site_time(since, site, "--since"))
        if not dry_run:
            save_model(engine, site.id, result.model)
    except SQLAlchemyError as exc:
        typer.echo(f"error: database {settings.resolved_database_url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    span = ""
    if result.first and result.last:
        span = f" ({result.first:%Y-%m-%d %H:%M} to {result.last:%Y-%m-%d %H:%M})"
    stored = "; not stored (--dry-run)" if dry_run else "; stored"
    typer.echo(
        f"learned from {result.events} detection events, {result.visitors} visitors{span}{stored}"
    )
    if result.events == 0:
        typer.echo("no detection events stored: the defaults stay in force", err=True)
    typer.echo(json.dumps(result.model.summary(), indent=2))
    engine.dispose()


@visitors_app.command("watch")
def watch(
    site_path: SitePath = Path("site.yaml"),
    include_cleared: Annotated[
        bool, typer.Option("--all", help="Also flags cleared since (visitors who left).")
    ] = False,
    since: Since = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per flag.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Visitors flagged for watching: newest first, with their reasons."""
    site = site_from(site_path)
    settings = settings_from(data_dir, database_url)
    try:
        engine = open_database(settings)
        flags = load_flags(
            engine, active_only=not include_cleared, since=site_time(since, site, "--since")
        )
    except SQLAlchemyError as exc:
        typer.echo(f"error: database {settings.resolved_database_url}: {exc}", err=True)
        raise typer.Exit(1) from exc
    engine.dispose()
    if as_json:
        for flag in flags:
            typer.echo(json.dumps(flag, default=str))
        return
    if not flags:
        typer.echo("no visitors flagged" + ("" if include_cleared else " now"))
        return
    for flag in flags:
        updated = datetime.fromisoformat(flag["updated_time"]).astimezone(site.tz)
        room = flag["room_id"] or "?"
        typer.echo(
            f"{updated:%Y-%m-%d %H:%M:%S} {flag['visitor_id']} [{flag['status']}] in {room} "
            f"(cameras {', '.join(flag['cameras']) or '-'})"
        )
        for reason in flag["reasons"]:
            typer.echo(f"  - {reason}")


def register(app: typer.Typer) -> None:
    app.add_typer(visitors_app)
