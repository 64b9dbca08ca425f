"""Video analytics for curators and operators: touches per artwork and room, live occupancy."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException
from sqlalchemy import Engine, func, or_, select

from artguard.store.tables import alerts
from artguard.vision.rules.lines import OccupancyCounter

BARRIER_RULE = "virtual_barrier"


def touch_counts(engine: Engine, since: datetime | None) -> dict[str, Any]:
    """Barrier alerts per artwork and per room, from the alerts table.

    Triage folds a repeat of the same cause (same artwork) in an open incident into the first
    alert's ``repeat_count``, so the touches are the sum of the counts, not the rows.
    """
    touches = func.sum(alerts.c.repeat_count).label("touches")
    stmt = (
        select(alerts.c.artwork_id, alerts.c.room_id, touches)
        .where(alerts.c.rule == BARRIER_RULE)
        .group_by(alerts.c.artwork_id, alerts.c.room_id)
    )
    if since is not None:
        stmt = stmt.where(or_(alerts.c.first_event_time >= since, alerts.c.last_seen_time >= since))
    with engine.connect() as conn:
        rows = list(conn.execute(stmt))
    by_artwork = sorted(
        (
            {"artwork_id": r.artwork_id, "room_id": r.room_id, "touches": int(r.touches)}
            for r in rows
        ),
        key=lambda item: (-item["touches"], item["artwork_id"] or ""),
    )
    by_room: dict[str, int] = {}
    for row in rows:
        if row.room_id is not None:
            by_room[row.room_id] = by_room.get(row.room_id, 0) + int(row.touches)
    return {
        "since": since.isoformat() if since else None,
        "total": sum(item["touches"] for item in by_artwork),
        "by_artwork": by_artwork,
        "by_room": [
            {"room_id": room, "touches": n}
            for room, n in sorted(by_room.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    }


def vision_router(engine: Engine, occupancy: OccupancyCounter | None) -> APIRouter:
    router = APIRouter(tags=["vision"])

    @router.get(
        "/api/vision/touches",
        summary="Virtual-barrier touches per artwork and per room",
    )
    async def touches(since: datetime | None = None) -> dict[str, Any]:
        if since is not None and since.tzinfo is None:
            raise HTTPException(422, "since needs a time zone, e.g. 2026-05-01T00:00:00Z")
        return await asyncio.to_thread(touch_counts, engine, since)

    @router.get("/api/occupancy", summary="People in each room now, from line crossings")
    async def live_occupancy() -> dict[str, Any]:
        if occupancy is None:
            return {"rooms": {}, "lines": {}, "updated": None}
        return {
            "rooms": occupancy.counts(),
            "lines": occupancy.line_totals(),
            "updated": occupancy.updated.isoformat() if occupancy.updated else None,
        }

    return router
