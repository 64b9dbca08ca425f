"""Camera and sensor uptime over a period, from the stored events.

*Camera uptime* is the share of the period a camera was ``online``, from its ``camera_health``
events: the camera worker reports each change of state, so a camera is in the state of its
last report until the next one. A camera with no report before or during the period is
counted as up (no worker has ever said otherwise); one whose last report is ``offline``,
``covered``, ``frozen``... is down until it reports ``online``.

*Sensor uptime* is judged for sensors that report on a clock (temperature, humidity,
vibration, motion in the site model; without a site, any sensor with at least
:data:`MIN_READINGS` readings in the period). Its usual interval is the median gap between
its readings in the period; a gap longer than ``max(3 x median, 60 s)`` is a silence, and
the silence counts as down time beyond one usual interval. The time before the first and after
the last reading of the period counts the same way. A periodic sensor with no reading at all
is down for the whole period; one with fewer than :data:`MIN_READINGS` has no judged uptime
(None): too few readings to know its rhythm.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby, pairwise
from typing import Any

from sqlalchemy import Connection, select

from artguard.site import Site
from artguard.store.tables import events

PERIODIC_SENSOR_TYPES = frozenset({"temperature", "humidity", "vibration", "motion"})
MIN_READINGS = 3
SILENCE_FACTOR = 3.0
MIN_SILENCE = timedelta(seconds=60)


@dataclass(frozen=True)
class DeviceUptime:
    device_id: str
    uptime: float | None  # 0..1; None: not enough data to judge
    down_s: float | None
    note: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "uptime": None if self.uptime is None else round(self.uptime, 5),
            "down_s": None if self.down_s is None else round(self.down_s, 1),
            "note": self.note,
        }


def _period_check(since: datetime, until: datetime) -> float:
    if until <= since:
        raise ValueError(f"uptime period is empty: since {since} is not before until {until}")
    return (until - since).total_seconds()


def camera_uptime(
    conn: Connection, since: datetime, until: datetime, site: Site | None = None
) -> dict[str, DeviceUptime]:
    """Uptime of every camera of the site (or every camera that reported), see module doc."""
    total = _period_check(since, until)
    rows = conn.execute(
        select(events.c.device_id, events.c.site_time, events.c.payload)
        .where(events.c.kind == "camera_health", events.c.site_time < until)
        .order_by(events.c.device_id, events.c.site_time, events.c.seq)
    )
    reports: dict[str, list[tuple[datetime, str]]] = {}
    for row in rows:
        reports.setdefault(row.device_id, []).append((row.site_time, _status(row.payload)))
    cameras = [c.id for c in site.cameras] if site is not None else sorted(reports)
    result = {}
    for camera in cameras:
        down, changes = _camera_down(reports.get(camera, []), since, until)
        note = f"{changes} state report(s) in the period" if changes else "no report in period"
        result[camera] = DeviceUptime(camera, 1.0 - down / total, down, note)
    return result


def _status(payload: str) -> str:
    try:
        return str(json.loads(payload).get("status", "online"))
    except (ValueError, AttributeError):
        return "online"


def _camera_down(
    reports: list[tuple[datetime, str]], since: datetime, until: datetime
) -> tuple[float, int]:
    state, start, down, changes = "online", since, 0.0, 0
    for when, status in reports:
        if when <= since:
            state = status
            continue
        if state != "online":
            down += (when - start).total_seconds()
        state, start, changes = status, when, changes + 1
    if state != "online":
        down += (until - start).total_seconds()
    return down, changes


def sensor_uptime(
    conn: Connection, since: datetime, until: datetime, site: Site | None = None
) -> dict[str, DeviceUptime]:
    """Uptime of every periodic sensor, see module doc."""
    _period_check(since, until)
    rows = conn.execution_options(yield_per=20_000).execute(
        select(events.c.device_id, events.c.site_time)
        .where(
            events.c.kind == "sensor_reading",
            events.c.site_time >= since,
            events.c.site_time <= until,
        )
        .order_by(events.c.device_id, events.c.site_time)
    )
    periodic = (
        {s.id for s in site.sensors if s.type in PERIODIC_SENSOR_TYPES}
        if site is not None
        else None
    )
    result: dict[str, DeviceUptime] = {}
    for device, group in groupby(rows, key=lambda r: r.device_id):
        if periodic is not None and device not in periodic:
            continue
        times = [r.site_time for r in group]
        if periodic is None and len(times) < 10:
            continue
        result[device] = _sensor_judged(device, times, since, until)
    for device in sorted(periodic or ()):
        if device not in result:
            total = (until - since).total_seconds()
            result[device] = DeviceUptime(device, 0.0, total, "no reading in the period")
    return dict(sorted(result.items()))


def _sensor_judged(
    device: str, times: list[datetime], since: datetime, until: datetime
) -> DeviceUptime:
    if len(times) < MIN_READINGS:
        return DeviceUptime(device, None, None, f"only {len(times)} reading(s): rhythm unknown")
    usual = statistics.median(_gaps(times))
    silence = max(SILENCE_FACTOR * usual, MIN_SILENCE.total_seconds())
    edges = [(times[0] - since).total_seconds(), (until - times[-1]).total_seconds()]
    down = sum(gap - usual for gap in [*_gaps(times), *edges] if gap > silence)
    total = (until - since).total_seconds()
    note = f"{len(times)} readings, usual interval {usual:.0f} s, silence > {silence:.0f} s"
    return DeviceUptime(device, max(0.0, 1.0 - down / total), down, note)


def _gaps(times: list[datetime]) -> Iterator[float]:
    for earlier, later in pairwise(times):
        yield (later - earlier).total_seconds()


def summary(devices: Iterable[DeviceUptime]) -> dict[str, Any]:
    """Mean uptime over the judged devices, the worst ones first, and each device."""
    items = list(devices)
    judged = [d for d in items if d.uptime is not None]
    worst = sorted(judged, key=lambda d: d.uptime or 0.0)[:5]
    return {
        "devices": len(items),
        "judged": len(judged),
        "mean": round(statistics.fmean(d.uptime or 0.0 for d in judged), 5) if judged else None,
        "worst": [d.device_id for d in worst if (d.uptime or 0.0) < 1.0],
        "by_device": {d.device_id: d.as_dict() for d in items},
    }
