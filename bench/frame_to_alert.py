"""Frame-to-alert latency through the real path, with K cameras playing in real time.

Path measured (all of it artguard's own code, started like ``artguard run`` does):
camera worker thread (source -> ``CameraPipeline``: motion gate, detector, tracker, frame
checks) -> ``runtime.ingest.submit`` (validation, SQLite group commit, ``synchronous=FULL``)
-> bus -> ``RuleEngine`` (zone, loitering, after-hours ... rules) -> ``Alert`` on the bus ->
``IncidentManager`` (alert and incident stored, audit appended).

Site: ``tests/fixtures/plaza-site.yaml`` (a restricted zone over the lower half of the plaza,
a loitering zone with 8 s over the upper half), its camera repeated K times, every camera
playing ``vtest.avi`` (PETS 2009, 768x576, 10 fps) in real time, looped, analysed at 5 fps.
People cross into the restricted zone every few seconds, so alerts are frequent.

Times: a realtime file source stamps each frame with the wall-clock time it is due at, and
reads it then (``vision/sources.py``: the start time plus the frame's offset in the file): the
moment a live camera would have captured it. Latency of an alert = wall-clock time it reached
a bus subscriber minus the capture time of the newest frame among its source events (the frame
that triggered it); "incident stored" = when ``IncidentManager.file`` returned for it. The
stages: capture -> submitted (analysis done), -> stored (acknowledged by ingestion).

    .venv/bin/python bench/frame_to_alert.py [--cameras 1,5] [--seconds 90] [--warmup 5]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
from ruamel.yaml import YAML

from artguard.config import Settings
from artguard.events import Alert, EventBase, utcnow
from artguard.runtime import Runtime
from artguard.site import load_site
from artguard.vision.pipeline import CameraPipeline, FrameResult
from artguard.vision.service import (
    SharedDetector,
    default_checks,
    start_cameras,
    stop_cameras,
)
from artguard.vision.sources import Frame

ROOT = Path(__file__).resolve().parent.parent
VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"
PLAZA = ROOT / "tests" / "fixtures" / "plaza-site.yaml"


def plaza_site(cameras: int, video: Path, folder: Path) -> Path:
    """The plaza fixture with its camera repeated ``cameras`` times, all playing ``video``."""
    yaml = YAML(typ="safe")
    data = yaml.load(PLAZA.read_text(encoding="utf-8"))
    (template,) = data["cameras"]
    data["cameras"] = [
        {
            **template,
            "id": f"cam-{i + 1}",
            "name": f"Plaza camera {i + 1}",
            "source": str(video),
            # zone and line ids are unique across the site
            "zones": [{**z, "id": f"{z['id']}-{i + 1}"} for z in template.get("zones", [])],
            "lines": [{**x, "id": f"{x['id']}-{i + 1}"} for x in template.get("lines", [])],
        }
        for i in range(cameras)
    ]
    path = folder / f"plaza-{cameras}.yaml"
    with path.open("w", encoding="utf-8") as out:
        yaml.dump(data, out)
    return path


@dataclass
class Record:
    """Wall-clock times (datetime) of what happened, keyed by event id."""

    captured: dict[str, datetime] = field(default_factory=dict)
    started: dict[str, datetime] = field(default_factory=dict)
    analysed: dict[str, datetime] = field(default_factory=dict)
    submitted: dict[str, datetime] = field(default_factory=dict)
    stored: dict[str, datetime] = field(default_factory=dict)
    alerts: list[tuple[Alert, datetime]] = field(default_factory=list)
    filed: dict[str, datetime] = field(default_factory=dict)
    measuring: bool = False


def time_pipeline(pipeline: CameraPipeline, record: Record) -> None:
    """Record when each frame's analysis started and ended (the worker calls
    ``pipeline.process`` on every frame, so replacing it on the instance takes effect)."""
    process = pipeline.process

    def timed(frame: Frame) -> FrameResult:
        started = utcnow()
        result = process(frame)
        if result.detection is not None:
            record.started[result.detection.id] = started
            record.analysed[result.detection.id] = utcnow()
        return result

    pipeline.process = timed  # type: ignore[method-assign]


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def summary(name: str, seconds: list[float]) -> str:
    ms = [1000 * s for s in seconds]
    if not ms:
        return f"  {name:28s} n=0"
    return (
        f"  {name:28s} n={len(ms):4d}  p50 {pct(ms, 50):6.0f}  p95 {pct(ms, 95):6.0f}  "
        f"p99 {pct(ms, 99):6.0f}  max {max(ms):6.0f} ms"
    )


async def run(cameras: int, video: Path, seconds: float, warmup: float, folder: Path) -> None:
    site = load_site(plaza_site(cameras, video, folder))
    data_dir = folder / f"var-{cameras}"
    runtime = Runtime(Settings(data_dir=data_dir), site)
    record = Record()

    async def on_alert(event: EventBase) -> None:
        if record.measuring and isinstance(event, Alert):
            record.alerts.append((event, utcnow()))

    runtime.bus.subscribe("bench", on_alert, ["alert"])

    submit = runtime.ingest.submit

    async def timed_submit(items: list[Any], **kwargs: Any) -> Any:
        at = utcnow()
        result = await submit(items, **kwargs)
        done = utcnow()
        for item in items:
            if item.get("kind") == "detection":
                record.captured[item["id"]] = datetime.fromisoformat(item["site_time"])
                record.submitted[item["id"]] = at
                record.stored[item["id"]] = done
        return result

    runtime.ingest.submit = timed_submit  # type: ignore[method-assign]

    file: Callable[[Alert], Awaitable[Any]] = runtime.incidents.file

    async def timed_file(alert: Alert) -> Any:
        result = await file(alert)
        record.filed[alert.id] = utcnow()
        return result

    runtime.incidents.file = timed_file  # type: ignore[method-assign]

    async with runtime:
        manager = await asyncio.to_thread(
            start_cameras,
            runtime,
            loop=asyncio.get_running_loop(),
            checks=default_checks(data_dir, site.artworks),
        )
        for worker in manager.workers.values():
            time_pipeline(worker.pipeline, record)
        try:
            await asyncio.sleep(warmup)
            record.measuring = True
            cpu0, t0 = os.times(), time.monotonic()
            await asyncio.sleep(seconds)
            cpu1, t1 = os.times(), time.monotonic()
            record.measuring = False
            statuses = manager.status()
            detector = next(iter(manager.workers.values())).pipeline.detector
            use = detector.use.as_dict() if isinstance(detector, SharedDetector) else None
            await asyncio.sleep(1.0)  # let the last alerts be filed
        finally:
            await stop_cameras(manager)

    frames = sum(s["frames"] for s in statuses)
    per_camera = sorted(s["frames"] / (seconds + warmup) for s in statuses)
    cores = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / (t1 - t0)
    to_alert, to_incident, stored, lag = [], [], [], []
    waited, analysis, handover = [], [], []
    kinds: dict[str, int] = {}
    for alert, at in record.alerts:
        frames_of = [i for i in alert.source_event_ids if i in record.captured]
        if not frames_of:
            continue
        trigger = max(frames_of, key=lambda i: record.captured[i])
        captured = record.captured[trigger]
        kinds[alert.rule] = kinds.get(alert.rule, 0) + 1
        to_alert.append((at - captured).total_seconds())
        if trigger in record.started:
            waited.append((record.started[trigger] - captured).total_seconds())
            analysis.append((record.analysed[trigger] - record.started[trigger]).total_seconds())
            handover.append((record.submitted[trigger] - record.analysed[trigger]).total_seconds())
        stored.append((record.stored[trigger] - record.submitted[trigger]).total_seconds())
        if alert.id in record.filed:
            to_incident.append((record.filed[alert.id] - captured).total_seconds())
    for event_id, captured in record.captured.items():
        lag.append((record.submitted[event_id] - captured).total_seconds())
    print(
        f"K={cameras} camera(s), {seconds:.0f} s: {len(record.alerts)} alerts "
        f"({', '.join(f'{k} {n}' for k, n in sorted(kinds.items()))}); "
        f"{frames} frames analysed ({frames / (seconds + warmup) / cameras:.2f} fps per camera "
        f"incl. warm-up, slowest {per_camera[0]:.2f}, fastest {per_camera[-1]:.2f}); "
        f"CPU {cores:.2f} cores; load {os.getloadavg()[0]:.2f}"
    )
    if use and use["calls"]:
        print(
            f"  detector: {use['calls']} calls, {1000 * use['running_s'] / use['calls']:.0f} ms "
            f"running and {1000 * use['waiting_s'] / use['calls']:.0f} ms waiting for its turn "
            "per call (whole run)"
        )
    print(summary("frame -> alert on the bus", to_alert))
    print(summary("frame -> incident stored", to_incident))
    print(summary("  capture -> analysis starts", waited))
    print(summary("  analysis (pipeline)", analysis))
    print(summary("  analysed -> submitted", handover))
    print(summary("  submitted -> stored", stored))
    print(summary("every frame -> submitted", lag))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", type=Path, default=VTEST)
    parser.add_argument("--cameras", default="1,5", help="Comma-separated camera counts.")
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    args = parser.parse_args()
    if not args.video.is_file():
        raise SystemExit(f"video not found: {args.video} (see /work/shared/data/README.md)")
    logging.basicConfig(level=logging.WARNING)
    os.environ.pop("ARTGUARD_CAMERAS", None)
    with tempfile.TemporaryDirectory(prefix="artguard-latency-") as tmp:
        for k in (int(c) for c in args.cameras.split(",")):
            asyncio.run(run(k, args.video, args.seconds, args.warmup, Path(tmp)))


if __name__ == "__main__":
    main()
