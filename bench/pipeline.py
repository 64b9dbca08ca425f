"""Pipeline benchmark: ingestion throughput to durable storage, and event-to-alert latency.

Runs the real runtime (ingestion service, group-commit writer, bus, rules, triage, audit) on
the bundled demo site, in two configurations:

* embedded: in-process bus + SQLite (WAL, synchronous=FULL) in a temporary directory;
* scale: MQTT bus (local Mosquitto) + PostgreSQL (local server, a throwaway schema).

Throughput: producers submit batches as fast as the store acknowledges them, for a fixed time;
figure = acknowledged (durably committed) events per second, with the bus and rules running.
Latency: events arrive one per call at a fixed rate (default 1,000/s); every 10th is a
humidity reading that crosses its limit, so the threshold rule raises an alert; latency = time
from the start of the ingestion call to the alert reaching a bus subscriber (and to its
incident being committed by triage).

    .venv/bin/python bench/pipeline.py                 # both configurations
    .venv/bin/python bench/pipeline.py --only embedded # skip the services
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from artguard.config import Settings
from artguard.events import Alert, EventBase, IncidentChanged, utcnow
from artguard.runtime import Runtime
from artguard.site import Site, load_site

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "examples" / "demo-site" / "site.yaml"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@dataclass
class Figures:
    config: str
    events_per_s: float
    throughput_events: int
    rate: float
    sent: int
    alerts: int
    alert_p50_ms: float
    alert_p99_ms: float
    incident_p50_ms: float
    incident_p99_ms: float


def quiet_sensor_readings(site: Site, n: int) -> list[dict]:
    """Readings that stay within every limit (no alerts): pure ingestion load."""
    sensors = [s for s in site.sensors if s.type in ("temperature", "humidity")]
    now = utcnow().isoformat()
    readings = []
    for i in range(n):
        sensor = sensors[i % len(sensors)]
        value = 20.0 if sensor.type == "temperature" else 50.0
        readings.append(
            {
                "id": uuid.uuid4().hex,
                "kind": "sensor_reading",
                "device_id": sensor.id,
                "value": value,
                "site_time": now,
            }
        )
    return readings


async def throughput(
    runtime: Runtime, seconds: float, batch: int, producers: int
) -> tuple[int, float]:
    """Acknowledged events per second with ``producers`` senders of ``batch``-event batches.

    The batches are made before the clock starts, so the figure is artguard's, not the
    generator's.
    """
    pool = [
        quiet_sensor_readings(runtime.site, batch) for _ in range(int(60_000 * seconds / batch))
    ]
    deadline = time.perf_counter() + seconds
    total = 0

    async def producer() -> None:
        nonlocal total
        while time.perf_counter() < deadline and pool:
            items = pool.pop()
            result = await runtime.ingest.submit(items, token=None, source="bench", trusted=True)
            total += len(result.accepted)

    start = time.perf_counter()
    await asyncio.gather(*(producer() for _ in range(producers)))
    await runtime.bus.drain()
    return total, time.perf_counter() - start


async def latency(
    runtime: Runtime, rate: float, seconds: float
) -> tuple[int, list[float], list[float]]:
    site = runtime.site
    humid = [s for s in site.sensors if s.type == "humidity" and s.max is not None]
    quiet = [s for s in site.sensors if s.type == "temperature"]
    if not humid or not quiet:
        raise SystemExit("the demo site needs humidity sensors with a max and temperature sensors")
    sent_at: dict[str, float] = {}
    alert_ms: list[float] = []
    incident_ms: list[float] = []
    # Triage files alerts in bus order and announces one incident change per alert, so the
    # n-th announcement belongs to the n-th alert: a FIFO of send times pairs them up.
    awaiting_triage: deque[float] = deque()

    async def on_alert(event: EventBase) -> None:
        if isinstance(event, Alert) and event.source_event_ids:
            sent = sent_at.get(event.source_event_ids[0])
            if sent is not None:
                alert_ms.append((time.perf_counter() - sent) * 1000)
                awaiting_triage.append(sent)

    async def on_incident(event: EventBase) -> None:
        if isinstance(event, IncidentChanged) and awaiting_triage:
            incident_ms.append((time.perf_counter() - awaiting_triage.popleft()) * 1000)

    runtime.bus.subscribe("bench-alerts", on_alert, kinds={"alert"})
    runtime.bus.subscribe("bench-incidents", on_incident, kinds={"incident"})

    interval = 1.0 / rate
    total = int(rate * seconds)
    pending: set[asyncio.Task] = set()
    start = time.perf_counter()
    high = True
    for i in range(total):
        target = start + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if i % 10 == 0:
            sensor = humid[(i // 10) % len(humid)]
            # alternate above/below so every other reading of a sensor is a fresh crossing
            value = (sensor.max + 5) if high else (sensor.max - 10)
            high = not high if (i // 10) % len(humid) == len(humid) - 1 else high
        else:
            sensor = quiet[i % len(quiet)]
            value = 20.0
        item = {
            "id": uuid.uuid4().hex,
            "kind": "sensor_reading",
            "device_id": sensor.id,
            "value": value,
            "site_time": utcnow().isoformat(),
        }
        sent_at[item["id"]] = time.perf_counter()
        task = asyncio.create_task(
            runtime.ingest.submit([item], token=None, source="bench", trusted=True)
        )
        pending.add(task)
        task.add_done_callback(pending.discard)
    await asyncio.gather(*pending)
    await runtime.bus.drain()
    return total, alert_ms, incident_ms


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def run_config(
    name: str, settings: Settings, site: Site, args: argparse.Namespace
) -> Figures:
    runtime = Runtime(settings, site, site_path=args.site, live_clock=False)
    async with runtime:
        count, elapsed = await throughput(runtime, args.seconds, args.batch, args.producers)
    runtime = Runtime(settings, site, site_path=args.site, live_clock=False)
    async with runtime:
        sent, alert_ms, incident_ms = await latency(runtime, args.rate, args.seconds)
    return Figures(
        config=name,
        events_per_s=count / elapsed,
        throughput_events=count,
        rate=args.rate,
        sent=sent,
        alerts=len(alert_ms),
        alert_p50_ms=statistics.median(alert_ms) if alert_ms else float("nan"),
        alert_p99_ms=pct(alert_ms, 0.99),
        incident_p50_ms=statistics.median(incident_ms) if incident_ms else float("nan"),
        incident_p99_ms=pct(incident_ms, 0.99),
    )


def postgres_schema_url() -> tuple[str, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return f"{POSTGRES_URL}?options=-csearch_path%3D{schema}", schema


def drop_schema(schema: str) -> None:
    engine = create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    engine.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each phase")
    parser.add_argument("--batch", type=int, default=1000, help="events per batch (throughput)")
    parser.add_argument("--producers", type=int, default=4, help="concurrent producers")
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s (latency phase)")
    parser.add_argument("--only", choices=["embedded", "scale"], help="run one configuration")
    parser.add_argument("--site", type=Path, default=DEMO_SITE)
    args = parser.parse_args()
    site = load_site(args.site)
    results = []
    if args.only in (None, "embedded"):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(data_dir=Path(tmp), sqlite_synchronous="FULL")
            results.append(
                asyncio.run(run_config("in-process bus + SQLite (WAL, FULL)", settings, site, args))
            )
    if args.only in (None, "scale"):
        url, schema = postgres_schema_url()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                settings = Settings(
                    data_dir=Path(tmp), database_url=url, bus_url="mqtt://127.0.0.1:1883"
                )
                results.append(
                    asyncio.run(run_config("MQTT bus + PostgreSQL", settings, site, args))
                )
        finally:
            drop_schema(schema)
    print(f"site: {site.id} ({len(site.sensors)} sensors); phases of {args.seconds:g} s")
    print(
        f"{'configuration':<38} {'ingest ev/s':>12} {'rate':>6} {'alerts':>7} "
        f"{'alert p50':>10} {'alert p99':>10} {'incident p50':>13} {'incident p99':>13}"
    )
    for f in results:
        print(
            f"{f.config:<38} {f.events_per_s:>12,.0f} {f.rate:>6.0f} {f.alerts:>7} "
            f"{f.alert_p50_ms:>8.1f}ms {f.alert_p99_ms:>8.1f}ms "
            f"{f.incident_p50_ms:>11.1f}ms {f.incident_p99_ms:>11.1f}ms"
        )
    print(
        "targets: >= 20,000 ev/s ingested in-process with SQLite; p99 event-to-alert < 50 ms "
        "at 1,000 ev/s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
