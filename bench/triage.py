"""Triage benchmark: alert -> incident stored, scored and announced, and a normal day's scores.

Filing latency: the real runtime (bus, triage, audit, store) on the bundled demo site. Alerts
are published on the bus one at a time, a mix across the site's rooms, artworks, cameras and
sensors (about a third repeats of a cause already filed); latency = from publishing the alert
to a bus subscriber receiving the incident change that triage announces after committing the
incident with its new score. ``--open N`` first opens N unrelated active incidents, so the
correlation step has candidates to check.

Normal day (``--day``): the demo site's digital twin with no attack injected (visitors,
staff badging through doors decided by access control, guard patrols, climate, cameras) for
24 simulated hours through the full pipeline, driven as a drill drives it
(:class:`artguard.drill.runner.Driver`, ``--step`` simulated seconds per step); prints the
incidents by pattern and risk and the highest score (issue #5: no high-risk incident).

    .venv/bin/python bench/triage.py                      # SQLite, 600 alerts
    .venv/bin/python bench/triage.py --open 300           # with 300 active incidents
    .venv/bin/python bench/triage.py --database-url postgresql+psycopg://postgres@127.0.0.1/test
    .venv/bin/python bench/triage.py --day                # + a simulated normal day (~2 min)
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text

from artguard.config import Settings
from artguard.drill.runner import Driver, drill_settings, drill_site, seed_access_baseline
from artguard.events import Alert, EventBase, IncidentChanged, Severity
from artguard.runtime import Runtime
from artguard.site import Site, load_site
from artguard.triage import repository as repo
from artguard.triage.scoring import risk_band
from artguard.twin.site_day import build

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "examples" / "demo-site" / "site.yaml"
START = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # a Tuesday night


def alert_mix(site: Site, n: int, seed: int = 1) -> list[Alert]:
    """``n`` alerts 2 s apart from the site's sensors and cameras; ~1/3 repeat a cause."""
    rng = random.Random(seed)
    sensors = [s for s in site.sensors if s.type in {"vibration", "motion", "humidity"}]
    rules = {"vibration": "sensor_threshold", "motion": "sensor_threshold"}
    made: list[Alert] = []
    for i in range(n):
        when = START + timedelta(seconds=2 * i)
        if made and rng.random() < 0.33:
            cause = rng.choice(made[-20:])
            made.append(cause.model_copy(update={"id": f"r{i}", "site_time": when}))
            continue
        if rng.random() < 0.2:
            camera = rng.choice(site.cameras)
            status = rng.choice(["covered", "offline", "moved"])
            made.append(
                Alert(
                    id=f"a{i}",
                    device_id=camera.id,
                    site_time=when,
                    rule="camera_sabotage",
                    severity=Severity.high,
                    title=f"Camera {status}",
                    reasons=["bench"],
                    evidence={"camera_id": camera.id, "status": status},
                    dedup_key=f"camera_sabotage:{camera.id}:{status}:{i}",
                    room_id=camera.rooms[0],
                    first_event_time=when,
                )
            )
            continue
        sensor = rng.choice(sensors)
        made.append(
            Alert(
                id=f"a{i}",
                device_id=sensor.id,
                site_time=when,
                rule=rules.get(sensor.type, "sensor_threshold"),
                severity=Severity.medium,
                title=f"{sensor.type} in {sensor.room}",
                reasons=["bench"],
                evidence={"sensor_id": sensor.id},
                dedup_key=f"bench:{sensor.id}:{i}",
                room_id=sensor.room,
                artwork_id=sensor.artwork,
                first_event_time=when,
            )
        )
    return made


async def filing_latency(settings: Settings, site: Site, n: int, open_first: int) -> None:
    runtime = Runtime(settings, site, live_clock=False)
    async with runtime:
        for i in range(open_first):  # unrelated active incidents: each its own device, no room
            await runtime.incidents.file(
                Alert(
                    device_id=f"other-{i}",
                    site_time=START,
                    rule="bench_other",
                    severity=Severity.low,
                    title="other",
                    reasons=["bench"],
                    dedup_key=f"other:{i}",
                    first_event_time=START,
                )
            )
        changed = asyncio.Queue[float]()

        async def listen(event: EventBase) -> None:
            if isinstance(event, IncidentChanged):
                changed.put_nowait(time.perf_counter())

        runtime.bus.subscribe("bench", listen, kinds={"incident"})
        latencies = []
        for alert in alert_mix(site, n):
            sent = time.perf_counter()
            await runtime.bus.publish(alert.received())
            latencies.append(await asyncio.wait_for(changed.get(), 10) - sent)
        with runtime.engine.connect() as conn:
            rows = repo.list_incident_rows(conn, statuses=None, limit=100_000)
    ms = sorted(1000 * x for x in latencies)
    p99 = ms[min(len(ms) - 1, int(0.99 * len(ms)))]
    print(
        f"filing latency ({settings.resolved_database_url.split(':')[0]}, {open_first} other "
        f"active incidents): n={len(ms)} p50={statistics.median(ms):.1f} ms p99={p99:.1f} ms "
        f"max={ms[-1]:.1f} ms; {len(rows) - open_first} incidents from {n} alerts"
    )


async def normal_day(data_dir: Path, site: Site, hours: float, step_s: float) -> None:
    start = datetime(2026, 11, 24, 0, 0, tzinfo=site.tz)  # a Tuesday
    seed = 5
    began = time.perf_counter()
    day = build(site, start, hours / 24, seed)
    runtime = Runtime(drill_settings(data_dir), drill_site(site), live_clock=False)
    async with runtime:
        seed_access_baseline(runtime, start, seed)
        driver = Driver(runtime, day, step_s)
        await driver.run()
        await runtime.actions.drain()
        await runtime.bus.drain()
        with runtime.engine.connect() as conn:
            rows = repo.list_incident_rows(conn, statuses=None, limit=100_000)
    risks = Counter(risk_band(r.score) for r in rows)
    top = max(rows, key=lambda r: r.score or 0.0, default=None)
    print(
        f"normal day ({hours:g} h simulated in {time.perf_counter() - began:.0f} s, "
        f"{driver.fed} events): {len(rows)} incidents, risk {dict(risks)}, patterns "
        f"{dict(Counter(r.pattern for r in rows))}"
    )
    if top is not None:
        print(f"  highest score {top.score:.3f}: {top.title} ({top.first_event_time:%H:%M})")


@contextmanager
def throwaway_schema(url: str | None) -> Iterator[str | None]:
    """For PostgreSQL, a schema of its own, dropped afterwards (nothing left in the database)."""
    if url is None or not url.startswith("postgresql"):
        yield url
        return
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=600, help="alerts to file")
    parser.add_argument("--open", type=int, default=0, help="unrelated active incidents first")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--day", action="store_true", help="also simulate a normal day")
    parser.add_argument("--hours", type=float, default=24.0, help="length of the normal day")
    parser.add_argument("--step", type=float, default=1.0, help="simulated seconds per driver step")
    args = parser.parse_args()
    site = load_site(DEMO_SITE)
    with tempfile.TemporaryDirectory() as tmp, throwaway_schema(args.database_url) as url:
        settings = Settings(data_dir=Path(tmp), database_url=url)
        asyncio.run(filing_latency(settings, site, args.n, args.open))
    if args.day:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(normal_day(Path(tmp), site, args.hours, args.step))


if __name__ == "__main__":
    main()
