"""Incident KPIs: volumes, false-alarm rate, time to detect / acknowledge / resolve."""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select

from artguard.store.tables import incidents
from artguard.triage.incidents import durations


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _summary(values: list[float]) -> dict[str, float | int | None]:
    return {
        "count": len(values),
        "median": statistics.median(values) if values else None,
        "p90": _percentile(values, 0.9),
        "max": max(values) if values else None,
    }


def incident_kpis(conn: Connection, since: datetime | None = None) -> dict[str, Any]:
    """KPIs over incidents detected since ``since`` (all when None)."""
    stmt = select(incidents)
    if since is not None:
        stmt = stmt.where(incidents.c.detected_time >= since)
    rows = list(conn.execute(stmt))
    by_status = Counter(r.status for r in rows)
    closed = by_status["resolved"] + by_status["false_alarm"]
    times: dict[str, list[float]] = {
        "time_to_detect_s": [],
        "time_to_acknowledge_s": [],
        "time_to_resolve_s": [],
    }
    for row in rows:
        for key, value in durations(row).items():
            if value is not None:
                times[key].append(value)
    return {
        "incidents": len(rows),
        "by_status": dict(by_status),
        "by_severity": dict(Counter(r.severity for r in rows)),
        "by_pattern": dict(Counter(r.pattern or "unknown" for r in rows)),
        "by_room": dict(Counter(r.room_id or "unknown" for r in rows)),
        "false_alarm_rate": (by_status["false_alarm"] / closed) if closed else None,
        **{key: _summary(values) for key, values in times.items()},
    }
