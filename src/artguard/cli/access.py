"""``artguard access explain``: dry-run a door request and print the decision and why."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest, Decision, RequestError
from artguard.access.service import AccessService
from artguard.cli.service import (
    DatabaseUrl,
    DataDir,
    SitePath,
    settings_from,
    site_from,
    site_time,
)
from artguard.events import utcnow
from artguard.site import Site
from artguard.site.access_policy import THREAT_LEVELS
from artguard.store.db import create_engine_for

access_app = typer.Typer(
    name="access",
    help="Access control: explain how a door request would be decided.",
    no_args_is_help=True,
)

MARK = {"deny": "x", "require": "+", "note": "!", "risk": "~"}


@access_app.command("explain")
def explain(
    credential: Annotated[str, typer.Option("--credential", "-c", help="Credential id.")],
    reader: Annotated[str, typer.Option("--reader", "-r", help="Reader id.")],
    site_path: SitePath = Path("site.yaml"),
    at: Annotated[
        str | None, typer.Option("--at", help="When (ISO; no zone = site time). Default: now.")
    ] = None,
    factors: Annotated[
        str, typer.Option("--factors", "-f", help="Presented factors, comma-separated.")
    ] = "card",
    threat_level: Annotated[
        str | None, typer.Option("--threat-level", help="normal, elevated or lockdown.")
    ] = None,
    history: Annotated[
        bool,
        typer.Option(
            "--history/--no-history",
            help="Replay the stored decisions of the day before --at (presence, lock-outs, "
            "threat level) from the database first.",
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the decision as JSON.")] = False,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Decide a request without acting on it (nothing is stored or audited)."""
    site = site_from(site_path)
    when = site_time(at, site, "--at") or utcnow()
    try:
        request = AccessRequest.make(credential, reader, when, factors.split(","))
    except RequestError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    pdp = DecisionPoint(site)
    if history:
        _replay_history(pdp, site, when, data_dir, database_url)
    if threat_level is not None:
        if threat_level not in THREAT_LEVELS:
            typer.echo(f"error: --threat-level: expected one of {', '.join(THREAT_LEVELS)}")
            raise typer.Exit(2)
        pdp.state.threat_level = threat_level
    decision = pdp.decide(request)
    if as_json:
        typer.echo(json.dumps(decision.as_dict(), indent=2))
    else:
        typer.echo(render(decision))


def render(decision: Decision) -> str:
    """The decision as an operator reads it: outcome first, then every rule that spoke."""
    needs = f" (still required: {', '.join(decision.required)})" if decision.required else ""
    lines = [
        f"{decision.outcome.upper()}{needs}  risk {decision.risk:.2f}  "
        f"threat level {decision.threat_level}",
        f"  who: {decision.person_id or '?'} ({decision.role or 'no role'})  "
        f"credential {decision.request.credential_id}",
        f"  where: reader {decision.request.reader_id} -> door {decision.door_id or '?'} "
        f"({decision.direction}) into {decision.room_id or '?'}",
        f"  when: {decision.request.at.isoformat()}  factors: "
        f"{', '.join(sorted(decision.request.factors))}",
        "why:",
        *(f"  - {reason}" for reason in decision.reasons),
        "rules:",
        *(f"  {MARK[f.effect]} {f.rule}: {f.reason}" for f in decision.findings),
    ]
    return "\n".join(lines)


def _replay_history(
    pdp: DecisionPoint,
    site: Site,
    when: datetime,
    data_dir: Path | None,
    database_url: str | None,
) -> None:
    settings = settings_from(data_dir, database_url)
    engine = create_engine_for(settings)
    try:
        if not inspect(engine).has_table("events"):
            typer.echo(f"error: --history: no event store in {engine.url!r}", err=True)
            raise typer.Exit(2)
        service = AccessService(site, bus=None, audit=None, pdp=pdp)  # type: ignore[arg-type]
        replayed = asyncio.run(service.restore(engine, now=when))
        typer.echo(f"(replayed {replayed} stored records before {when.isoformat()})", err=True)
    except SQLAlchemyError as exc:
        typer.echo(f"error: cannot read the database {engine.url!r}: {exc}", err=True)
        raise typer.Exit(2) from exc
    finally:
        engine.dispose()


def register(app: typer.Typer) -> None:
    app.add_typer(access_app)
