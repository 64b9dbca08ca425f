"""Bus benchmark: round-trip throughput and latency of MqttBus, with MemoryBus for reference.

One bus publishes ``SensorReading`` events and one local subscriber handles them; on the MQTT
bus every event goes to the broker and back (``artguard/<site>/sensor_reading/<device>``, QoS 1).

* throughput: the events are made before the clock starts; then they are published as fast as
  the bus allows (``publish`` each, or ``publish_many`` in chunks with ``--chunk``), and the
  clock stops when the subscriber has handled the last one and ``drain`` has returned;
* latency: events are published at a fixed rate for ``--seconds``; latency is the time from the
  ``publish`` call to the handler. Events due at one wake-up of the sender are published
  together, and the largest lag of the sender behind its schedule is reported, so a bus that
  holds up its publishers cannot hide behind the fixed rate.

Every figure is the median of ``--repeat`` runs (fresh bus each time); each run is bounded by
``--timeout`` seconds. Loopback only: the broker must be on this machine.

    .venv/bin/python bench/bus.py                       # both buses, default sizes
    .venv/bin/python bench/bus.py --bus mqtt --events 50000 --rate 1000 --repeat 5
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from artguard.bus import Bus, MemoryBus
from artguard.bus.mqtt import MqttBus
from artguard.events import EventBase, SensorReading

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
DEVICES = [f"temp-{i}" for i in range(16)]


@dataclass
class Run:
    events_per_s: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    max_lag_ms: float


def make_events(n: int) -> list[EventBase]:
    return [
        SensorReading(device_id=DEVICES[i % len(DEVICES)], site_time=T0, value=float(i), unit="C")
        for i in range(n)
    ]


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def throughput(bus: Bus, n: int, chunk: int, timeout: float) -> tuple[float, float]:
    """Events per second from the first publish until the last one is handled, and the CPU
    time this process spent per event meanwhile (microseconds; the broker's is not counted)."""
    events = make_events(n)
    handled = 0
    done = asyncio.Event()

    async def handler(event: EventBase) -> None:
        nonlocal handled
        handled += 1
        if handled == n:
            done.set()

    bus.subscribe("bench", handler, ["sensor_reading"])
    await bus.start()
    await warm_up(bus)
    handled = 0  # not counting the warm-up event

    async def run() -> None:
        if chunk <= 1:
            for event in events:
                await bus.publish(event)
        else:
            for i in range(0, n, chunk):
                await bus.publish_many(events[i : i + chunk])
        await done.wait()
        await bus.drain()

    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.wait_for(run(), timeout)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    return n / elapsed, cpu / n * 1e6


async def warm_up(bus: Bus) -> None:
    """One event through the bus first: the connection and subscriptions are then in place."""
    await bus.publish(SensorReading(device_id="warm-up", site_time=T0, value=0.0))
    await bus.drain()


async def latency(bus: Bus, rate: float, seconds: float, timeout: float) -> Run:
    """Publish at ``rate`` for ``seconds``; publish-to-handler times in milliseconds."""
    n = int(rate * seconds)
    events = make_events(n)
    sent_at: dict[str, float] = {}
    latencies: list[float] = []

    async def handler(event: EventBase) -> None:
        started = sent_at.pop(event.id, None)
        if started is not None:
            latencies.append((time.perf_counter() - started) * 1000)

    bus.subscribe("bench", handler, ["sensor_reading"])
    await bus.start()
    await warm_up(bus)

    async def run() -> float:
        max_lag = 0.0
        start = time.perf_counter()
        i = 0
        while i < n:
            now = time.perf_counter()
            due = min(n, int((now - start) * rate) + 1)
            if due > i:
                max_lag = max(max_lag, now - (start + i / rate))
            while i < due:
                event = events[i]
                sent_at[event.id] = time.perf_counter()
                await bus.publish(event)
                i += 1
            await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        await bus.drain()
        return max_lag * 1000

    max_lag_ms = await asyncio.wait_for(run(), timeout)
    if len(latencies) != n:
        raise RuntimeError(f"{n - len(latencies)} events were not handled")
    return Run(
        events_per_s=float("nan"),
        p50_ms=statistics.median(latencies),
        p99_ms=pct(latencies, 0.99),
        max_ms=max(latencies),
        max_lag_ms=max_lag_ms,
    )


async def one_run(
    make: Callable[[], Bus], args: argparse.Namespace, phase: str
) -> tuple[float, float, Run | None]:
    bus = make()
    try:
        if phase == "throughput":
            rate, cpu_us = await throughput(bus, args.events, args.chunk, args.timeout)
            return rate, cpu_us, None
        nan = float("nan")
        return nan, nan, await latency(bus, args.rate, args.seconds, args.timeout)
    finally:
        await asyncio.wait_for(bus.stop(), 30)


def check_loopback(host: str) -> None:
    for info in socket.getaddrinfo(host, None):
        if not ipaddress.ip_address(info[4][0]).is_loopback:
            raise SystemExit(f"{host} is not a loopback address; this benchmark is local only")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bus", choices=["memory", "mqtt", "both"], default="both")
    parser.add_argument("--events", type=int, default=20_000, help="events (throughput)")
    parser.add_argument("--chunk", type=int, default=1, help="publish_many chunk; 1: publish")
    parser.add_argument("--rate", type=float, default=1000.0, help="events/s (latency)")
    parser.add_argument("--seconds", type=float, default=5.0, help="duration (latency)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--timeout", type=float, default=120.0, help="bound on each run (s)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1883)
    parser.add_argument("--phase", choices=["throughput", "latency", "both"], default="both")
    args = parser.parse_args()
    check_loopback(args.host)

    makers: dict[str, Callable[[], Bus]] = {}
    if args.bus in ("memory", "both"):
        makers["MemoryBus"] = MemoryBus
    if args.bus in ("mqtt", "both"):
        makers["MqttBus"] = lambda: MqttBus(args.host, args.port, f"bench-{uuid.uuid4().hex[:8]}")

    publish = "publish" if args.chunk <= 1 else f"publish_many({args.chunk})"
    print(
        f"{args.events:,} events as fast as possible ({publish}); {args.rate:,.0f} events/s "
        f"for {args.seconds:g} s; median of {args.repeat} runs"
    )
    print(
        f"{'bus':<10} {'events/s':>10} {'CPU/event':>10} {'p50':>9} {'p99':>9} {'max':>9} "
        f"{'send lag':>9}   runs"
    )
    for name, make in makers.items():
        rates: list[float] = []
        cpus: list[float] = []
        runs: list[Run] = []
        for _ in range(args.repeat):
            if args.phase in ("throughput", "both"):
                rate, cpu_us, _ = asyncio.run(one_run(make, args, "throughput"))
                rates.append(rate)
                cpus.append(cpu_us)
            if args.phase in ("latency", "both"):
                run = asyncio.run(one_run(make, args, "latency"))[2]
                assert run is not None
                runs.append(run)
        rate = statistics.median(rates) if rates else float("nan")
        cpu_us = statistics.median(cpus) if cpus else float("nan")

        def med(field: str, runs: list[Run] = runs) -> float:
            return statistics.median(getattr(r, field) for r in runs) if runs else float("nan")

        detail = " ".join(f"{r:,.0f}" for r in rates)
        if runs:
            detail += "  p99: " + " ".join(f"{r.p99_ms:.2f}" for r in runs)
        print(
            f"{name:<10} {rate:>10,.0f} {cpu_us:>8.1f}us {med('p50_ms'):>7.2f}ms "
            f"{med('p99_ms'):>7.2f}ms {med('max_ms'):>7.2f}ms "
            f"{med('max_lag_ms'):>7.2f}ms   {detail}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
