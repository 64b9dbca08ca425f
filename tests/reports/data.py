"""A constructed week of incidents for the report tests (Europe/London = UTC in November)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine

from artguard.store.tables import events, incidents

FIRST_DAY = date(2026, 11, 23)  # a Monday
LAST_DAY = date(2026, 11, 29)
SINCE = datetime(2026, 11, 23, tzinfo=UTC)
UNTIL = datetime(2026, 11, 30, tzinfo=UTC)
NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def incident(
    name: str,
    pattern: str | None,
    room: str | None,
    score: float | None,
    detected: datetime,
    status: str = "open",
    ack_s: float | None = None,
    close_s: float | None = None,
    detect_s: float = 2.0,
) -> dict[str, Any]:
    return {
        "id": f"inc-{name}",
        "title": name,
        "status": status,
        "severity": "high",
        "pattern": pattern,
        "room_id": room,
        "alert_count": 1,
        "first_event_time": detected - timedelta(seconds=detect_s),
        "detected_time": detected,
        "last_alert_time": detected,
        "acknowledged_time": detected + timedelta(seconds=ack_s) if ack_s else None,
        "resolved_time": detected + timedelta(seconds=close_s) if close_s else None,
        "updated_time": detected,
        "score": score,
    }


def day(n: int, hour: float) -> datetime:
    """``hour`` o'clock on day ``n`` (0 = Monday) of the week."""
    return SINCE + timedelta(days=n, hours=hour)


WEEK = [
    incident("a", "theft_in_progress", "vault", 0.92, day(0, 2), "resolved", 40, 900, 3),
    incident("b", "environmental_risk", "vault", 0.2, day(1, 10), "false_alarm", 100, 300),
    incident("c", "touching_artwork", "gallery", 0.45, day(1, 14), "false_alarm", 20, 60),
    incident("d", None, None, None, day(5, 9)),
    incident("e", "after_hours_intrusion", "hall", 0.7, day(6, 23.5), "acknowledged", 30),
    # outside the week: the Sunday before and the Monday after
    incident("before", "tailgating", "hall", 0.99, SINCE - timedelta(hours=1)),
    incident("after", "tailgating", "hall", 0.99, UNTIL + timedelta(minutes=30)),
]


def camera(device: str, when: datetime, status: str) -> dict[str, Any]:
    payload = {"kind": "camera_health", "device_id": device, "status": status}
    return {
        "id": uuid.uuid4().hex,
        "kind": "camera_health",
        "device_id": device,
        "site_time": when,
        "received_time": when,
        "payload": json.dumps(payload),
    }


def fill(engine: Engine) -> None:
    """The week's incidents, and cam-1 offline for 12 hours on the Wednesday."""
    with engine.begin() as conn:
        conn.execute(incidents.insert(), WEEK)
        conn.execute(
            events.insert(),
            [camera("cam-1", day(2, 0), "offline"), camera("cam-1", day(2, 12), "online")],
        )
