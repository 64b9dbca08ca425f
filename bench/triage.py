"""Triage benchmark: alert -> incident stored, scored and announced, and a normal day's scores.

Filing latency: the real runtime (bus, triage, audit, store) on the bundled demo site. Alerts
are published on the bus one at a time, a mix across the site's rooms, artworks, cameras and
sensors (about a third repeats of a cause already filed); latency = from publishing the alert
to a bus subscriber receiving the incident change that triage announces after committing the
incident with its new score. ``--open N`` first opens N unrelated active incidents, so the
correlation step has candidates to check.

Normal day (``--day``): the demo simulator's ordinary traffic (badges, doors, climate, motion;
its scripted incidents switched off) for 24 simulated hours through the full pipeline, in
batches of ``--step`` simulated seconds; prints the incidents by pattern and risk and the
highest score (issue #5: no high-risk incident). Large steps put a later badge's grant ahead
of an earlier door opening in one batch, which the door-forced rule (it keeps only the newest
grant per door) reports as forced: keep the step at 1-2 s.

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
from artguard.demo.runner import feed
from artguard.demo.simulator import DemoSimulator
from artguard.events import Alert, EventBase, IncidentChanged, Severity
from artguard.runtime import Runtime
from artguard.site import Site, load_site
from artguard.triage import repository as repo
from artguard.triage.scoring import risk_band

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


class OrdinaryDay(DemoSimulator):
    """The demo's traffic without its scripted incidents."""

    def _door_forced(self, at: datetime) -> None: ...
    def _humidity_excursion(self, at: datetime) -> None: ...
    def _door_held_open(self, at: datetime) -> None: ...
    def _mount_knock(self, at: datetime) -> None: ...
    def _glass_break(self, at: datetime) -> None: ...


async def normal_day(settings: Settings, site: Site, hours: float, step_s: float) -> None:
    start = datetime(2026, 11, 24, 0, 0, tzinfo=UTC)
    simulator = OrdinaryDay(site, start, seed=5)
    runtime = Runtime(settings, site, live_clock=False)
    began = time.perf_counter()
    async with runtime:
        runtime.access.behaviour.baseline.learn(simulator.past_grants(start, 28))
        now = start
        while now < start + timedelta(hours=hours):
            now += timedelta(seconds=step_s)
            batch = simulator.events_until(now)
            if batch:
                await feed(runtime, simulator, batch)
            await runtime.rules.tick(now)
        await runtime.bus.drain()
        with runtime.engine.connect() as conn:
            rows = repo.list_incident_rows(conn, statuses=None, limit=100_000)
    risks = Counter(risk_band(r.score) for r in rows)
    top = max(rows, key=lambda r: r.score or 0.0, default=None)
    print(
        f"normal day ({hours:g} h simulated in {time.perf_counter() - began:.0f} s): "
        f"{len(rows)} incidents, risk {dict(risks)}, patterns "
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
    parser.add_argument("--step", type=float, default=1.0, help="simulated seconds per batch")
    args = parser.parse_args()
    site = load_site(DEMO_SITE)
    with tempfile.TemporaryDirectory() as tmp, throwaway_schema(args.database_url) as url:
        settings = Settings(data_dir=Path(tmp), database_url=url)
        asyncio.run(filing_latency(settings, site, args.n, args.open))
    if args.day:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(normal_day(Settings(data_dir=Path(tmp)), site, args.hours, args.step))


if __name__ == "__main__":
    main()
