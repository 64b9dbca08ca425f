"""Access-decision latency: in process, through the durable service, and over HTTP.

Workload: requests by the demo museum's staff at its readers, at random times of a working
week, with a random subset of factors, so the mix has grants, denials and step-ups (printed).

* in-process: ``DecisionPoint.decide`` + ``record`` (the policy evaluation a door waits for);
* service: ``AccessService.decide`` in a real runtime (SQLite, in-process bus): decision,
  stored ``access_decision`` event and sealed audit entry, 16 readers at once;
* HTTP: ``artguard run`` in its own process; an open-loop client sends ``POST
  /api/access/decide`` at a fixed rate (default 500/s) for a fixed time; latency is from the
  scheduled send time to the answer, so a server that falls behind is charged for the queue.

Targets (issue #4): p99 < 5 ms in process, < 20 ms over HTTP at 500 requests/s.

    .venv/bin/python bench/access.py                   # all three
    .venv/bin/python bench/access.py --only inproc,service
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site, load_site

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "src" / "artguard" / "demo" / "site.yaml"
FACTOR_SETS = [("card",), ("card",), ("card", "pin"), ("card", "pin", "face")]


def workload(site: Site, count: int, seed: int = 7) -> list[AccessRequest]:
    """Requests in time order across a week of the demo site."""
    rng = random.Random(seed)
    credentials = [c.id for p in site.people for c in p.credentials if c.type == "card"]
    readers = [r for d in site.doors for r in (*d.readers, *d.exit_readers)]
    start = datetime(2026, 11, 23, 6, 0, tzinfo=site.tz)
    times = sorted(start + timedelta(seconds=rng.uniform(0, 5 * 86400)) for _ in range(count))
    return [
        AccessRequest.make(
            rng.choice(credentials), rng.choice(readers), at, rng.choice(FACTOR_SETS)
        )
        for at in times
    ]


def percentiles(samples_ms: list[float]) -> str:
    ordered = sorted(samples_ms)

    def pick(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    return (
        f"p50 {pick(0.50):.3f} ms  p95 {pick(0.95):.3f} ms  p99 {pick(0.99):.3f} ms  "
        f"max {ordered[-1]:.3f} ms  (n={len(ordered)})"
    )


def bench_inproc(site: Site, count: int) -> None:
    requests = workload(site, count)
    pdp = DecisionPoint(site)
    outcomes: Counter[str] = Counter()
    samples = []
    for request in requests:
        t0 = time.perf_counter()
        decision = pdp.decide(request)
        pdp.record(decision)
        samples.append((time.perf_counter() - t0) * 1000)
        outcomes[decision.outcome] += 1
    print(f"in-process decide+record: {percentiles(samples)}")
    print(f"  outcomes: {dict(outcomes)}")


async def bench_service(site: Site, count: int, concurrency: int = 16) -> None:
    requests = workload(site, count, seed=11)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(data_dir=Path(tmp))
        async with Runtime(settings, site, live_clock=False) as runtime:
            samples: list[float] = []
            queue = list(reversed(requests))

            async def reader() -> None:
                while queue:
                    request = queue.pop()
                    t0 = time.perf_counter()
                    await runtime.access.decide(request)
                    samples.append((time.perf_counter() - t0) * 1000)

            t0 = time.perf_counter()
            await asyncio.gather(*(reader() for _ in range(concurrency)))
            elapsed = time.perf_counter() - t0
            await runtime.bus.drain()
            print(
                f"service (stored + audited, {concurrency} readers): {percentiles(samples)}  "
                f"{count / elapsed:.0f} decisions/s; audit commits {runtime.group_audit.commits}"
            )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_http(site: Site, rate: float, seconds: float) -> None:
    artguard = str(Path(sys.executable).with_name("artguard"))
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "ARTGUARD_DATA_DIR": tmp, "ARTGUARD_CAMERAS": "off"}
        created = subprocess.run(
            [artguard, "tokens", "create", "--name", "bench", "-d", "*"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        token = next(line.split()[-1] for line in created.splitlines() if line.startswith("token:"))
        port = _free_port()
        server = subprocess.Popen(
            [artguard, "run", "--site", str(DEMO_SITE), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            asyncio.run(_load(site, port, token, rate, seconds))
        finally:
            server.terminate()
            server.wait(10)


async def _load(site: Site, port: int, token: str, rate: float, seconds: float) -> None:
    base = f"http://127.0.0.1:{port}"
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=10) as client:
        for _ in range(100):
            try:
                if (await client.get("/api/health")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        count = int(rate * seconds)
        requests = workload(site, count, seed=13)
        headers = {"Authorization": f"Bearer {token}"}
        samples: list[float] = []
        errors: Counter[str] = Counter()

        async def send(i: int, request: AccessRequest, due: float) -> None:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            body = {
                "credential_id": request.credential_id,
                "reader_id": request.reader_id,
                "factors": sorted(request.factors),
                "at": request.at.isoformat(),
                "request_id": f"bench-{i}",
            }
            try:
                response = await client.post("/api/access/decide", json=body, headers=headers)
                if response.status_code != 200:
                    errors[str(response.status_code)] += 1
            except httpx.HTTPError as exc:
                errors[type(exc).__name__] += 1
            samples.append((time.perf_counter() - due) * 1000)

        start = time.perf_counter() + 0.2
        await asyncio.gather(*(send(i, r, start + i / rate) for i, r in enumerate(requests)))
        elapsed = time.perf_counter() - start
        print(
            f"HTTP at {rate:.0f}/s for {seconds:.0f} s: {percentiles(samples)}  "
            f"achieved {len(samples) / elapsed:.0f}/s; errors {dict(errors) or 0}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="inproc,service,http")
    parser.add_argument("--count", type=int, default=20000, help="in-process requests")
    parser.add_argument("--service-count", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500.0, help="HTTP requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="HTTP load duration")
    args = parser.parse_args()
    site = load_site(DEMO_SITE)
    chosen = set(args.only.split(","))
    print(f"site: {DEMO_SITE.name} ({len(site.people)} people, {len(site.doors)} doors)")
    if "inproc" in chosen:
        bench_inproc(site, args.count)
    if "service" in chosen:
        asyncio.run(bench_service(site, args.service_count))
    if "http" in chosen:
        bench_http(site, args.rate, args.seconds)


if __name__ == "__main__":
    main()
