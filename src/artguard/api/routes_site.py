"""The site as the dashboard shows it: floor plan, device health, door states, validation.

``GET /api/site`` is for display: geometry and device ids, never camera source URLs (they
may hold passwords), credentials, PINs or people (only how many people hold each role).
Doors, cameras and sensors get a ``position`` on the floor plan worked out for display
(:mod:`artguard.web.layout`), marked ``derived``.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import Engine

from artguard.events import utcnow
from artguard.site import Site, check_site
from artguard.web.device_state import DEFAULT_STALE_AFTER, device_health, door_states
from artguard.web.layout import attached_point, door_positions, room_layouts


def site_view(site: Site) -> dict[str, Any]:
    """The site for display (see the module doc for what is left out)."""
    layouts = room_layouts(site)
    counted = {
        room for c in site.cameras for line in c.lines for room in (line.in_room, line.out_room)
    }
    polygons = {room.id: room.polygon for room in site.rooms}
    doors_at = door_positions(site)
    artworks_at = {a.id: a.position for a in site.artworks}
    next_slot: Counter[str] = Counter()

    def free_spot(room_id: str, from_end: bool = False) -> list[float]:
        slots = layouts[room_id].slots
        i = next_slot[room_id]
        next_slot[room_id] += 1
        spot = slots[-1 - i % len(slots)] if from_end else slots[i % len(slots)]
        return list(spot)

    def sensor_position(sensor: Any) -> list[float]:
        anchor = artworks_at.get(sensor.artwork) if sensor.artwork else None
        if anchor is None and sensor.door in doors_at:
            anchor = doors_at[sensor.door]
        if anchor is not None:
            return list(attached_point(anchor, polygons[sensor.room]))
        return free_spot(sensor.room, from_end=True)

    cameras = [
        {
            "id": c.id,
            "name": c.name,
            "rooms": c.rooms,
            "floor": _floor_of(site, c.rooms[0]),
            "resolution": list(c.resolution),
            "fps": c.fps,
            "zones": len(c.zones),
            "lines": len(c.lines),
            "position": free_spot(c.rooms[0]),
            "derived": True,
        }
        for c in site.cameras
    ]
    return {
        "site": {"id": site.id, "name": site.name, "timezone": site.info.timezone},
        "floors": [{"id": f.id, "name": f.name, "level": f.level} for f in site.floors],
        "rooms": [
            {
                "id": r.id,
                "name": r.name,
                "floor": r.floor,
                "polygon": [list(p) for p in r.polygon],
                "security_level": r.security_level,
                "public": r.public,
                "adjacent": r.adjacent,
                "label": list(layouts[r.id].label),
                "occupancy_counted": r.id in counted,
            }
            for r in site.rooms
        ],
        "artworks": [
            {
                "id": a.id,
                "title": a.title,
                "artist": a.artist,
                "value_tier": a.value_tier,
                "room": a.room,
                "floor": _floor_of(site, a.room),
                "position": list(a.position),
                "sensors": a.mount_sensors,
                "barriers": len(a.barriers),
            }
            for a in site.artworks
        ],
        "cameras": cameras,
        "doors": [
            {
                "id": d.id,
                "name": d.name,
                "from_room": d.from_room,
                "to_room": d.to_room,
                "floor": _floor_of(site, d.to_room if d.from_room == "outside" else d.from_room),
                "readers": d.readers,
                "exit_readers": d.exit_readers,
                "lock": d.lock,
                "contact": d.contact,
                "position": list(doors_at[d.id]) if d.id in doors_at else None,
                "derived": True,
            }
            for d in site.doors
        ],
        "sensors": [
            {
                "id": s.id,
                "type": s.type,
                "room": s.room,
                "floor": _floor_of(site, s.room),
                "artwork": s.artwork,
                "door": s.door,
                "unit": s.unit,
                "min": s.min,
                "max": s.max,
                "position": sensor_position(s),
                "derived": True,
            }
            for s in site.sensors
        ],
        "roles": dict(sorted(Counter(p.role for p in site.people).items())),
        "counts": {
            "floors": len(site.floors),
            "rooms": len(site.rooms),
            "artworks": len(site.artworks),
            "cameras": len(site.cameras),
            "doors": len(site.doors),
            "sensors": len(site.sensors),
            "people": len(site.people),
            "playbooks": len(site.playbooks),
            "procedures": len(site.procedures),
        },
    }


def _floor_of(site: Site, room_id: str) -> str | None:
    try:
        return site.room(room_id).floor
    except KeyError:
        return None


def _sha256(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def validation_report(site_path: Path | None, loaded_sha256: str | None) -> dict[str, Any]:
    """The site file re-checked now with the checker of ``artguard check``."""
    if site_path is None:
        return {
            "checked": False,
            "path": None,
            "reason": "artguard was started without a site file path (site built in code)",
            "problems": [],
        }
    problems = check_site(site_path)
    current = _sha256(site_path)
    return {
        "checked": True,
        "path": str(site_path),
        "changed_since_start": current is not None and current != loaded_sha256,
        "problems": [
            {
                "file": p.file,
                "line": p.line,
                "column": p.column,
                "field": p.field,
                "message": p.message,
                "text": str(p),
            }
            for p in problems
        ],
    }


def site_router(engine: Engine, site: Site, site_path: Path | None) -> APIRouter:
    router = APIRouter(tags=["site"])
    view = site_view(site)  # the site does not change while artguard runs
    loaded_sha256 = _sha256(site_path) if site_path is not None else None

    @router.get("/api/site", summary="The loaded site for display (no credentials, no people)")
    async def get_site() -> dict[str, Any]:
        return view

    @router.get("/api/site/health", summary="Each device: online, offline or unknown")
    async def get_health(
        stale_after_s: Annotated[
            int,
            Query(
                ge=10,
                le=7 * 86400,
                description="Seconds of silence after which a clock-driven sensor is offline.",
            ),
        ] = int(DEFAULT_STALE_AFTER.total_seconds()),
    ) -> dict[str, Any]:
        """See :mod:`artguard.web.device_state` for how each state is judged."""
        now = utcnow()
        devices = await asyncio.to_thread(
            device_health, engine, site, now, timedelta(seconds=stale_after_s)
        )
        counts = Counter(d["state"] for d in devices)
        return {
            "time": now.isoformat(),
            "stale_after_s": stale_after_s,
            "counts": {s: counts.get(s, 0) for s in ("online", "offline", "unknown")},
            "devices": devices,
        }

    @router.get("/api/site/validation", summary="Problems in the site file on disk now")
    async def get_validation() -> dict[str, Any]:
        return await asyncio.to_thread(validation_report, site_path, loaded_sha256)

    @router.get("/api/doors", summary="Each door's last known contact and lock state")
    async def get_doors() -> list[dict[str, Any]]:
        return await asyncio.to_thread(door_states, engine, site)

    return router
