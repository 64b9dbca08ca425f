"""Commands that run artguard: ``run``, ``demo``, ``ingest`` and device-token management."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from datetime import datetime, timedelta
from importlib.resources import as_file, files
from pathlib import Path
from typing import Annotated, Any

import typer

from artguard.config import ConfigError, Settings
from artguard.site import Site, SiteError, load_site

DataDir = Annotated[
    Path | None, typer.Option("--data-dir", help="Data directory [env ARTGUARD_DATA_DIR, ./var]")
]
DatabaseUrl = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL [env ARTGUARD_DATABASE_URL, SQLite]"),
]
BusUrl = Annotated[
    str | None,
    typer.Option("--bus-url", help="memory:// or mqtt://host:port [env ARTGUARD_BUS_URL]"),
]
SitePath = Annotated[Path, typer.Option("--site", "-s", help="The site YAML file.")]


def settings_from(
    data_dir: Path | None, database_url: str | None, bus_url: str | None = None
) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, database_url=database_url, bus_url=bus_url)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def site_time(value: str | None, site: Site, option: str) -> datetime | None:
    """An ISO date-time option (no zone: the site's); exit 2 naming the option if malformed."""
    if value is None:
        return None
    try:
        at = datetime.fromisoformat(value.strip())
    except ValueError as exc:
        typer.echo(
            f"error: {option}: expected an ISO date-time like 2026-11-24T09:00, got {value!r}",
            err=True,
        )
        raise typer.Exit(2) from exc
    return at if at.tzinfo else at.replace(tzinfo=site.tz)


def site_from(path: Path) -> Site:
    """Load the site or print every problem and exit 1 (2 if the file is missing)."""
    if not path.is_file():
        typer.echo(f"error: site file {path} does not exist", err=True)
        raise typer.Exit(2)
    try:
        return load_site(path)
    except SiteError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        typer.echo(f"{len(exc.problems)} problem(s) in {path}; fix them and retry", err=True)
        raise typer.Exit(1) from exc


def bundled_demo_site() -> Path:
    """The demo museum shipped inside the package (also at examples/demo-site/site.yaml)."""
    with as_file(files("artguard.demo") / "site.yaml") as path:
        return Path(path)


def _serve(app: Any, host: str, port: int) -> None:
    import uvicorn

    # No per-request access log: at hundreds of door decisions a second it costs more than the
    # decision, and every decision is in the audit log already.
    uvicorn.run(app, host=host, port=port, log_level="info", ws_ping_interval=20, access_log=False)


def run(
    site: SitePath,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    bus_url: BusUrl = None,
) -> None:
    """Run the artguard service for a site (API, ingestion, analytics, dashboard)."""
    from artguard.api.app import create_app
    from artguard.runtime import Runtime

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = settings_from(data_dir, database_url, bus_url)
    loaded = site_from(site)
    from artguard.vision.service import cameras_enabled, run_cameras

    runtime = Runtime(settings, loaded, site_path=site)
    typer.echo(f"artguard: site {loaded.id!r}, dashboard at http://{host}:{port}/")
    from artguard.auth.users import Users

    if not Users(runtime.engine).list():
        typer.echo("  no users yet: create the first admin with 'artguard users create-admin'")
    background = [run_cameras] if cameras_enabled() else []
    if not background:
        typer.echo("  cameras off (ARTGUARD_CAMERAS=off)")
    _serve(create_app(runtime, background=background), host, port)


def demo(
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8080,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    data_dir: Annotated[Path, typer.Option(help="Where the demo keeps its data.")] = Path(
        "var/demo"
    ),
    incident_every: Annotated[int, typer.Option(help="Seconds between scripted incidents.")] = 180,
    seed: Annotated[int, typer.Option(help="Random seed of the simulated devices.")] = 7,
) -> None:
    """Run the bundled demo museum's digital twin in real time, so the dashboard is alive:
    visitors, staff, sensors and cameras, and a scripted attack every few minutes."""
    from artguard.api.app import create_app
    from artguard.demo.twin_runner import run_twin
    from artguard.runtime import Runtime

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from artguard.auth import AuthPolicy, AuthService
    from artguard.demo.admin import demo_admin

    settings = settings_from(data_dir, None)
    # The demo serves plain http on this machine, where a Secure cookie would not come back.
    settings = replace(settings, environ={**settings.environ, "ARTGUARD_COOKIE_SECURE": "false"})
    path = bundled_demo_site()
    runtime = Runtime(settings, site_from(path), site_path=path)
    auth = AuthService(
        runtime.engine, runtime.audit, AuthPolicy.from_environ(runtime.settings.environ)
    )
    username, password = demo_admin(auth)
    every = timedelta(seconds=incident_every)

    async def simulate(rt: Runtime) -> None:
        await run_twin(rt, seed=seed, incident_every=every)

    typer.echo(f"artguard demo: dashboard at http://{host}:{port}/  (Ctrl-C to stop)")
    typer.echo(f"  sign in as {username} with password {password}  (new on every start)")
    typer.echo(f"  data in {data_dir}/, a scripted attack every {incident_every} s")
    _serve(create_app(runtime, background=[simulate]), host, port)


def ingest(
    file: Annotated[Path, typer.Argument(help="Events, one JSON object per line.")],
    site: SitePath,
    batch: Annotated[int, typer.Option(help="Events per batch.")] = 1000,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Replay events from a JSONL file through the full pipeline (rules, triage, store).

    Bad lines are reported with their line number and skipped; the rest is stored. Exit 1 when
    any line was rejected.
    """
    if not file.is_file():
        typer.echo(f"error: {file} does not exist", err=True)
        raise typer.Exit(2)
    settings = settings_from(data_dir, database_url)
    loaded = site_from(site)
    summary = asyncio.run(_replay(file, settings, loaded, site, batch))
    typer.echo(json.dumps(summary))
    if summary["rejected"]:
        raise typer.Exit(1)


async def _replay(
    file: Path, settings: Settings, site: Site, site_path: Path, batch_size: int
) -> dict[str, int]:
    from artguard.runtime import Runtime

    counts = {"lines": 0, "accepted": 0, "duplicates": 0, "rejected": 0, "alerts": 0}
    runtime = Runtime(settings, site, site_path=site_path, live_clock=False)
    async with runtime:
        items: list[Any] = []
        line_numbers: list[int] = []

        async def flush() -> None:
            result = await runtime.ingest.submit(items, token=None, source="cli", trusted=True)
            counts["accepted"] += len(result.accepted)
            counts["duplicates"] += len(result.duplicates)
            for r in result.rejected:
                counts["rejected"] += 1
                typer.echo(f"{file}:{line_numbers[r.index]}: {r.field}: {r.message}", err=True)
            items.clear()
            line_numbers.clear()

        with file.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                counts["lines"] += 1
                try:
                    items.append(json.loads(line))
                    line_numbers.append(number)
                except json.JSONDecodeError as exc:
                    counts["rejected"] += 1
                    typer.echo(f"{file}:{number}: malformed JSON: {exc}", err=True)
                    continue
                if len(items) >= batch_size:
                    await flush()
        if items:
            await flush()
        await runtime.bus.drain()
        if runtime.rules.watermark is not None:
            await runtime.rules.tick(runtime.rules.watermark)
            await runtime.bus.drain()
        counts["alerts"] = runtime.rules.stats.alerts
    return counts


tokens_app = typer.Typer(help="Per-device ingestion tokens.", no_args_is_help=True)


@tokens_app.command("create")
def token_create(
    name: Annotated[str, typer.Option(help="A name for the sender, e.g. 'panel-east'.")],
    device: Annotated[
        list[str], typer.Option("--device", "-d", help="Device id it may send for ('*' = any).")
    ],
    site: Annotated[Path | None, typer.Option(help="Check device ids against this site.")] = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Create a token; it is printed once and stored only as a hash."""
    from artguard.ingest.tokens import ALL_DEVICES, DeviceTokens
    from artguard.store.audit import AuditLog
    from artguard.store.db import open_database

    if site is not None:
        known = site_from(site).device_ids()
        unknown = [d for d in device if d != ALL_DEVICES and d not in known]
        if unknown:
            typer.echo(f"error: unknown device(s) in {site}: {', '.join(unknown)}", err=True)
            raise typer.Exit(1)
    engine = open_database(settings_from(data_dir, database_url))
    token_id, token = DeviceTokens(engine).create(name, device)
    AuditLog(engine).append(
        "cli", "device_token.created", token_id, {"name": name, "devices": sorted(device)}
    )
    typer.echo(f"token id: {token_id}")
    typer.echo(f"token:    {token}")
    typer.echo("Store it in the device now; artguard keeps only its hash.")


@tokens_app.command("list")
def token_list(data_dir: DataDir = None, database_url: DatabaseUrl = None) -> None:
    """List tokens (ids, names, devices; never the tokens themselves)."""
    from artguard.events import utcnow
    from artguard.ingest.tokens import DeviceTokens
    from artguard.store.db import open_database

    engine = open_database(settings_from(data_dir, database_url))
    for info in DeviceTokens(engine).list():
        state = "active"
        if info.revoked_time is not None:
            verb = "retiring" if info.revoked_time > utcnow() else "revoked"
            state = f"{verb} {info.revoked_time:%Y-%m-%d %H:%M}"
        typer.echo(f"{info.token_id}  {info.name:<20} {state:<24} {', '.join(info.devices)}")


@tokens_app.command("revoke")
def token_revoke(
    token_id: Annotated[str, typer.Argument(help="The token id from 'create' or 'list'.")],
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Revoke a token: the device can no longer send events."""
    from artguard.ingest.tokens import DeviceTokens
    from artguard.store.audit import AuditLog
    from artguard.store.db import open_database

    engine = open_database(settings_from(data_dir, database_url))
    if not DeviceTokens(engine).revoke(token_id):
        typer.echo(f"error: no active token {token_id!r}", err=True)
        raise typer.Exit(1)
    AuditLog(engine).append("cli", "device_token.revoked", token_id, {})
    typer.echo(f"revoked {token_id}")


@tokens_app.command("rotate")
def token_rotate(
    token_id: Annotated[str, typer.Argument(help="The token id from 'create' or 'list'.")],
    grace: Annotated[
        int,
        typer.Option(
            "--grace", min=0, help="Seconds the old token keeps working (time to switch over)."
        ),
    ] = 0,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
) -> None:
    """Issue a new token for the same devices; the old one is revoked after --grace seconds."""
    from artguard.ingest.tokens import DeviceTokens
    from artguard.store.audit import AuditLog
    from artguard.store.db import open_database

    engine = open_database(settings_from(data_dir, database_url))
    try:
        new_id, token, ends = DeviceTokens(engine).rotate(token_id, timedelta(seconds=grace))
    except LookupError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    AuditLog(engine).append(
        "cli",
        "device_token.rotated",
        token_id,
        {"new_token_id": new_id, "old_ends": ends.isoformat(), "grace_s": grace},
    )
    typer.echo(f"token id: {new_id}")
    typer.echo(f"token:    {token}")
    typer.echo(f"the old token {token_id} stops working at {ends:%Y-%m-%d %H:%M:%S} UTC")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("demo")(demo)
    app.command("ingest")(ingest)
    app.add_typer(tokens_app, name="tokens")
