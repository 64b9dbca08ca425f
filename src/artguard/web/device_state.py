"""What the dashboard shows about devices now: each device's health and each door's state.

Both are read from what artguard already stores, never from the devices themselves:

* **Health** (:func:`device_health`): a camera is in the state of its last ``camera_health``
  report (``online``; anything else, e.g. ``covered``, is ``offline`` with that detail). Any
  other device is judged by when it last sent an event: a sensor that reports on a clock
  (temperature, humidity, vibration, motion) is ``offline`` when silent for longer than
  ``stale_after``; a device that reports only when used (readers, locks, door contacts, glass
  break, passage counters) is ``online`` when heard from within ``stale_after`` and ``unknown``
  otherwise, since its silence proves nothing. A device never heard from is ``unknown``; an
  open ``sensor_silent`` alert makes a sensor ``offline`` whatever its last event. Open fault
  alerts (silent, stuck, impossible value, tamper, camera sabotage) are listed as problems.
* **Doors** (:func:`door_states`): the contact and lock from the door's latest ``door_state``
  events (its own or its contact sensor's), a confirmed lock or unlock command newer than the
  last reported lock state, and whether a ``door_forced`` or ``door_held_open`` alert is in an
  incident still open or acknowledged.

Each lookup is an index seek per device (``ix_events_device_site_time``), so the cost grows
with the number of devices, not with the size of the event log.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Engine, select

from artguard.site import Site
from artguard.store.tables import alerts, door_commands, events, incidents

HealthState = Literal["online", "offline", "unknown"]
DoorSummary = Literal["forced", "open", "locked", "closed", "unknown"]

PERIODIC_SENSOR_TYPES = frozenset({"temperature", "humidity", "vibration", "motion"})
"""Sensors that report on a clock, so their silence means something (as in triage.uptime)."""
FAULT_RULES = frozenset(
    {"sensor_silent", "sensor_stuck", "sensor_impossible_value", "sensor_tamper", "camera_sabotage"}
)
"""Alert rules that say a device itself is not working or not to be trusted."""
DOOR_ALERT_RULES = frozenset({"door_forced", "door_held_open"})
ACTIVE_STATUSES = ("open", "acknowledged")
LOCK_HISTORY = 50
"""Latest door_state events read per device to find the last one that reported the lock."""
DEFAULT_STALE_AFTER = timedelta(minutes=15)


def device_health(
    engine: Engine, site: Site, now: datetime, stale_after: timedelta = DEFAULT_STALE_AFTER
) -> list[dict[str, Any]]:
    """Every device of the site with its state, last event time and open problems, sorted
    by kind and id."""
    sensors = {s.id: s for s in site.sensors}
    with engine.connect() as conn:
        faults = _open_alerts(conn, FAULT_RULES)
        result = []
        for device_id in sorted(site.device_ids(), key=lambda d: (site.device_kind(d), d)):
            kind = site.device_kind(device_id)
            last = _last_event(conn, device_id)
            problems = [
                {"rule": a["rule"], "title": a["title"], "incident_id": a["incident_id"]}
                for a in faults
                if a["device_id"] == device_id
            ]
            item: dict[str, Any] = {
                "device_id": device_id,
                "kind": kind,
                "type": sensors[device_id].type if device_id in sensors else None,
                "room_id": site.device_room(device_id),
                "last_seen": last.isoformat() if last else None,
                "problems": problems,
            }
            if kind == "camera":
                state, detail = _camera_state(conn, device_id)
            else:
                periodic = device_id in sensors and sensors[device_id].type in PERIODIC_SENSOR_TYPES
                state, detail = _silence_state(last, now, stale_after, periodic)
                if any(p["rule"] == "sensor_silent" for p in problems):
                    state, detail = "offline", "an open sensor_silent alert says it stopped"
            result.append(item | {"state": state, "detail": detail})
    return result


def door_states(engine: Engine, site: Site) -> list[dict[str, Any]]:
    """Every door's last known contact and lock state, open door alerts, and a summary
    ``state`` for the floor plan: forced, open, locked, closed or unknown."""
    with engine.connect() as conn:
        door_alerts = _open_alerts(conn, DOOR_ALERT_RULES)
        result = []
        for door in site.doors:
            reports = _door_reports(conn, [d for d in (door.id, door.contact) if d], door.id)
            contact = next((r for r in reports if r["contact"] is not None), None)
            lock = next((r for r in reports if r["locked"] is not None), None)
            locked = lock["locked"] if lock else None
            lock_time = lock["time"] if lock else None
            lock_source = "door_state" if lock else None
            command = _last_confirmed_command(conn, door.id)
            if command is not None and (lock_time is None or command["time"] > lock_time):
                locked, lock_time, lock_source = command["locked"], command["time"], "command"
            mine = [
                a
                for a in door_alerts
                if a["evidence"].get("door_id") == door.id or a["device_id"] == door.id
            ]
            forced = next((a for a in mine if a["rule"] == "door_forced"), None)
            held = next((a for a in mine if a["rule"] == "door_held_open"), None)
            contact_state = contact["contact"] if contact else None
            summary: DoorSummary
            if forced is not None:
                summary = "forced"
            elif contact_state == "open":
                summary = "open"
            elif locked is True:
                summary = "locked"
            elif contact_state == "closed":
                summary = "closed"
            else:
                summary = "unknown"
            result.append(
                {
                    "door_id": door.id,
                    "name": door.name,
                    "from_room": door.from_room,
                    "to_room": door.to_room,
                    "has_lock": door.lock is not None,
                    "contact": contact_state or "unknown",
                    "contact_time": _iso(contact["time"]) if contact else None,
                    "locked": locked,
                    "lock_time": _iso(lock_time),
                    "lock_source": lock_source,
                    "forced_incident_id": forced["incident_id"] if forced else None,
                    "held_open_incident_id": held["incident_id"] if held else None,
                    "state": summary,
                }
            )
    return result


def _last_event(conn: Connection, device_id: str) -> datetime | None:
    return conn.execute(
        select(events.c.site_time)
        .where(events.c.device_id == device_id)
        .order_by(events.c.site_time.desc())
        .limit(1)
    ).scalar()


def _camera_state(conn: Connection, camera_id: str) -> tuple[HealthState, str]:
    payload = conn.execute(
        select(events.c.payload)
        .where(events.c.device_id == camera_id, events.c.kind == "camera_health")
        .order_by(events.c.site_time.desc(), events.c.seq.desc())
        .limit(1)
    ).scalar()
    if payload is None:
        return "unknown", "no camera_health report yet"
    status = str(_json(payload).get("status", "unknown"))
    if status == "online":
        return "online", "online"
    return "offline", status


def _silence_state(
    last: datetime | None, now: datetime, stale_after: timedelta, periodic: bool
) -> tuple[HealthState, str]:
    if last is None:
        return "unknown", "never heard from"
    if last.tzinfo is None:  # SQLite hands back naive UTC
        now = now.replace(tzinfo=None) - (now.utcoffset() or timedelta(0))
    silent = now - last
    minutes = max(0, round(silent.total_seconds() / 60))
    if silent <= stale_after:
        return "online", f"last event {minutes} min ago"
    if periodic:
        return "offline", f"silent for {minutes} min (reports on a clock)"
    return "unknown", f"silent for {minutes} min (reports only when used)"


def _open_alerts(conn: Connection, rules: frozenset[str]) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(
            alerts.c.rule,
            alerts.c.title,
            alerts.c.device_id,
            alerts.c.evidence,
            alerts.c.incident_id,
        )
        .join(incidents, incidents.c.id == alerts.c.incident_id)
        .where(alerts.c.rule.in_(sorted(rules)), incidents.c.status.in_(ACTIVE_STATUSES))
        .order_by(alerts.c.raised_time.desc())
    )
    return [
        {
            "rule": r.rule,
            "title": r.title,
            "device_id": r.device_id,
            "evidence": r.evidence if isinstance(r.evidence, dict) else {},
            "incident_id": r.incident_id,
        }
        for r in rows
    ]


def _door_reports(conn: Connection, devices: list[str], door_id: str) -> list[dict[str, Any]]:
    """The latest door_state reports about ``door_id`` from its devices, newest first."""
    reports = []
    for device in devices:
        rows = conn.execute(
            select(events.c.site_time, events.c.payload)
            .where(events.c.device_id == device, events.c.kind == "door_state")
            .order_by(events.c.site_time.desc(), events.c.seq.desc())
            .limit(LOCK_HISTORY)
        )
        for row in rows:
            body = _json(row.payload)
            if body.get("door_id") != door_id:
                continue
            contact = body.get("contact")
            locked = body.get("locked")
            reports.append(
                {
                    "time": row.site_time,
                    "contact": contact if contact in ("open", "closed") else None,
                    "locked": locked if isinstance(locked, bool) else None,
                }
            )
    reports.sort(key=lambda r: r["time"], reverse=True)
    return reports


def _last_confirmed_command(conn: Connection, door_id: str) -> dict[str, Any] | None:
    row = conn.execute(
        select(door_commands.c.command, door_commands.c.sent_time, door_commands.c.finished_time)
        .where(door_commands.c.door_id == door_id, door_commands.c.status == "confirmed")
        .order_by(door_commands.c.sent_time.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"locked": row.command == "lock", "time": row.finished_time or row.sent_time}


def _json(payload: str) -> dict[str, Any]:
    try:
        body = json.loads(payload)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
