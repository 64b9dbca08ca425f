"""Incident KPIs over a period: volumes, false-positive rate, time to detect / acknowledge /
resolve (median, p90), incidents per day by pattern, and camera / sensor uptime.

Definitions (see docs/triage.md):

* an incident belongs to the period when it was *detected* (opened) in it;
* the *false-positive rate* is the share of incidents closed in the period's set that the
  operator closed as ``false_alarm`` (the verdict), of all closed ones; open ones have no verdict;
* time to detect = first evidence -> incident opened; to acknowledge = opened -> acknowledged;
  to resolve = opened -> resolved or false alarm;
* incidents per day are counted on the site's calendar (its time zone) when a site is given,
  else in UTC.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, tzinfo
from typing import Any

from sqlalchemy import Connection, select

from artguard.site import Site
from artguard.store.tables import incidents
from artguard.triage import uptime
from artguard.triage.incidents import durations
from artguard.triage.scoring import risk_band


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


def incident_kpis(
    conn: Connection,
    since: datetime | None = None,
    until: datetime | None = None,
    site: Site | None = None,
) -> dict[str, Any]:
    """KPIs over incidents detected in ``[since, until)`` (open ends: all).

    Camera and sensor uptime need a bounded period: they are computed when ``since`` is
    given (``until`` defaulting to now) and are None otherwise.
    """
    if since is not None and until is not None and until <= since:
        raise ValueError(f"empty period: since {since.isoformat()} >= until {until.isoformat()}")
    stmt = select(incidents)
    if since is not None:
        stmt = stmt.where(incidents.c.detected_time >= since)
    if until is not None:
        stmt = stmt.where(incidents.c.detected_time < until)
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
    zone: tzinfo = site.tz if site is not None else UTC
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        per_day[row.detected_time.astimezone(zone).date().isoformat()][
            row.pattern or "unknown"
        ] += 1
    result: dict[str, Any] = {
        "period": {
            "since": since.isoformat() if since else None,
            "until": until.isoformat() if until else None,
        },
        "incidents": len(rows),
        "by_status": dict(by_status),
        "by_severity": dict(Counter(r.severity for r in rows)),
        "by_risk": dict(Counter(risk_band(r.score) or "unscored" for r in rows)),
        "by_pattern": dict(Counter(r.pattern or "unknown" for r in rows)),
        "by_room": dict(Counter(r.room_id or "unknown" for r in rows)),
        "per_day_by_pattern": {day: dict(c) for day, c in sorted(per_day.items())},
        "false_alarm_rate": (by_status["false_alarm"] / closed) if closed else None,
        "verdicts": {"false_alarm": by_status["false_alarm"], "resolved": by_status["resolved"]},
        **{key: _summary(values) for key, values in times.items()},
        "uptime": None,
    }
    if since is not None:
        end = until or datetime.now(UTC)
        if end > since:
            result["uptime"] = {
                "cameras": uptime.summary(uptime.camera_uptime(conn, since, end, site).values()),
                "sensors": uptime.summary(uptime.sensor_uptime(conn, since, end, site).values()),
            }
    return result
