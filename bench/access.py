"""Access-decision latency: in process, through the durable service, and over HTTP.

Workload (``--workload``): ``habits`` (default), the demo museum's staff badging at their usual
doors at their usual times (generated: ``artguard.demo.access_history``), mostly grants as at a
real door; ``random``, any card at any reader at any time: mostly denials and an alert storm
(the worst case). The outcome mix is printed.

* in-process: ``DecisionPoint.decide`` + ``record`` (the policy evaluation a door waits for);
* service: ``AccessService.decide`` in a real runtime (SQLite, in-process bus): decision,
  stored ``access_decision`` event and sealed audit entry, 16 readers at once;
* HTTP: ``artguard run`` in its own process; an open-loop client sends ``POST
  /api/access/decide`` at a fixed rate (default 500/s) for a fixed time; latency is from the
  scheduled send time to the answer, so a server that falls behind is charged for the queue.

Targets (issue #4): p99 < 5 ms in process, < 20 ms over HTTP at 500 requests/s. ``face``
times the biometric step-up separately (dlib verification + head-turn challenge on the
hamilton clip from ``../shared/data``).

    .venv/bin/python bench/access.py                   # all three
    .venv/bin/python bench/access.py --only inproc,service
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest
from artguard.config import Settings
from artguard.demo.access_history import HistoryGenerator
from artguard.runtime import Runtime
from artguard.site import Site, load_site

ROOT = Path(__file__).resolve().parent.parent
DEMO_SITE = ROOT / "src" / "artguard" / "demo" / "site.yaml"
FACTOR_SETS = [("card",), ("card",), ("card", "pin"), ("card", "pin", "face")]


def workload(site: Site, count: int, seed: int = 7, kind: str = "habits") -> list[AccessRequest]:
    """``count`` requests in time order.

    ``habits``: the demo staff's generated badge history (usual doors at usual times within
    their shifts: mostly grants, as at a real door). ``random``: any card at any reader at any
    time of a week: mostly denials, and an alert storm (bursts of denials, lock-outs).
    """
    if kind == "habits":
        generator = HistoryGenerator(site, seed=seed)
        events = []
        start = date(2026, 9, 7)
        while len(events) < count:
            events += [e.request for e in generator.normal(start, 30)]
            start += timedelta(days=30)
        return events[:count]
    rng = random.Random(seed)
    credentials = [c.id for p in site.people for c in p.credentials if c.type == "card"]
    readers = [r for d in site.doors for r in (*d.readers, *d.exit_readers)]
    begin = datetime(2026, 11, 23, 6, 0, tzinfo=site.tz)
    times = sorted(begin + timedelta(seconds=rng.uniform(0, 5 * 86400)) for _ in range(count))
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


def bench_inproc(site: Site, count: int, kind: str) -> None:
    requests = workload(site, count, kind=kind)
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


async def bench_service(site: Site, count: int, kind: str, concurrency: int = 16) -> None:
    requests = workload(site, count, seed=11, kind=kind)
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


def bench_http(site: Site, rate: float, seconds: float, kind: str) -> None:
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
            asyncio.run(_load(site, port, token, rate, seconds, kind, server.pid))
        finally:
            server.terminate()
            server.wait(10)


class _Connection:
    """One keep-alive HTTP/1.1 connection with a minimal client: a load generator must cost
    far less than the server it measures (httpx costs about a millisecond a request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        answer = await self.reader.readexactly(length)
        return int(status_line.split()[1]), answer


async def _wait_healthy(port: int) -> None:
    for _ in range(200):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if b" 200 " in await reader.readline():
                writer.close()
                return
            writer.close()
        except OSError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("artguard did not become healthy")


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux ``/proc``; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _load(
    site: Site, port: int, token: str, rate: float, seconds: float, kind: str, pid: int
) -> None:
    await _wait_healthy(port)
    count = int(rate * seconds)
    requests = workload(site, count, seed=13, kind=kind)
    outcomes: Counter[str] = Counter()
    pool: asyncio.Queue[_Connection] = asyncio.Queue()
    for _ in range(64):
        pool.put_nowait(_Connection(port))
    samples: list[float] = []
    errors: Counter[str] = Counter()

    async def send(i: int, request: AccessRequest, due: float) -> None:
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        body = json.dumps(
            {
                "credential_id": request.credential_id,
                "reader_id": request.reader_id,
                "factors": sorted(request.factors),
                "at": request.at.isoformat(),
                "request_id": f"bench-{i}",
            }
        ).encode()
        connection = await pool.get()
        try:
            status, answer = await connection.post("/api/access/decide", body, token)
            if status != 200:
                errors[str(status)] += 1
            else:
                outcomes[json.loads(answer)["outcome"]] += 1
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            errors[type(exc).__name__] += 1
            connection = _Connection(port)
        finally:
            pool.put_nowait(connection)
        samples.append((time.perf_counter() - due) * 1000)

    start = time.perf_counter() + 0.2
    cpu_before = _cpu_seconds(pid)
    await asyncio.gather(*(send(i, r, start + i / rate) for i, r in enumerate(requests)))
    elapsed = time.perf_counter() - start
    cpu_after = _cpu_seconds(pid)
    print(
        f"HTTP at {rate:.0f}/s for {seconds:.0f} s: {percentiles(samples)}  "
        f"achieved {len(samples) / elapsed:.0f}/s; errors {dict(errors) or 0}"
    )
    if cpu_before is not None and cpu_after is not None:
        # CPU per decision hardly depends on what else runs on the machine, unlike latency
        per = (cpu_after - cpu_before) / max(len(samples), 1) * 1000
        print(f"  server CPU {per:.2f} ms per decision (all threads)")
    print(f"  outcomes: {dict(outcomes)}")


def bench_face() -> None:
    """Face verify + liveness for one step-up (the hamilton clip's head turn)."""
    shared = ROOT.parent / "shared" / "data" / "faces" / "face_recognition_examples"
    clip = shared / "examples" / "short_hamilton_clip.mp4"
    if not clip.is_file():
        print(f"face step-up: skipped ({clip} not found)")
        return
    import cv2

    from artguard.biometrics.faces import largest_face
    from artguard.biometrics.keys import new_key, parse_key
    from artguard.biometrics.liveness.challenge import Challenge, Prompt
    from artguard.biometrics.stepup import FaceStepUp
    from artguard.biometrics.templates import Consent, TemplateStore
    from artguard.biometrics.verify import describe_face

    capture = cv2.VideoCapture(str(clip))
    frames = []
    while (read := capture.read())[0]:
        frames.append(read[1])
    with tempfile.TemporaryDirectory() as tmp:
        store = TemplateStore(Path(tmp), parse_key(new_key(), "bench"))
        enrolled = [describe_face(largest_face(frames[i])) for i in (100, 230)]
        store.enrol("speaker", enrolled, Consent("speaker", "bench", "v1", datetime.now(UTC)))
        stepup = FaceStepUp(store)
        answer = [((i - 145) / 29.97, frames[i]) for i in range(145, 175)]
        samples = []
        for _ in range(5):
            t0 = time.perf_counter()
            result = stepup.check("speaker", Challenge(Prompt.TURN_LEFT, 0.0, 4.0), answer)
            samples.append((time.perf_counter() - t0) * 1000)
            assert result.passed, result.reason
    per_frame = [s / len(answer) for s in samples]
    print(
        f"face step-up ({len(answer)} frames at 30/s, challenge + 3 verifications): "
        f"median {sorted(samples)[2]:.0f} ms per attempt, {sorted(per_frame)[2]:.1f} ms per frame"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="inproc,service,http,face")
    parser.add_argument("--count", type=int, default=20000, help="in-process requests")
    parser.add_argument("--service-count", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=500.0, help="HTTP requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="HTTP load duration")
    parser.add_argument(
        "--workload", choices=["habits", "random"], default="habits", help="see workload()"
    )
    args = parser.parse_args()
    site = load_site(DEMO_SITE)
    chosen = set(args.only.split(","))
    print(
        f"site: demo museum ({len(site.people)} people, {len(site.doors)} doors), "
        f"workload {args.workload}"
    )
    if "inproc" in chosen:
        bench_inproc(site, args.count, args.workload)
    if "service" in chosen:
        asyncio.run(bench_service(site, args.service_count, args.workload))
    if "http" in chosen:
        bench_http(site, args.rate, args.seconds, args.workload)
    if "face" in chosen:
        bench_face()


if __name__ == "__main__":
    main()
