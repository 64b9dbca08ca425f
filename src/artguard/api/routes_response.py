"""Guards and where they are, for paging the nearest one to an incident."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import AwareDatetime, BaseModel, Field

from artguard.api.guard import actor_of
from artguard.events import utcnow
from artguard.store.audit import AuditLog
from artguard.triage.guards import GuardLocationError, GuardLocator


class LocationRequest(BaseModel):
    room_id: str = Field(min_length=1, max_length=128, description="The room the guard is in.")
    time: AwareDatetime | None = Field(
        default=None, description="When the guard was there; default: now."
    )


def response_router(guards: GuardLocator, audit: AuditLog) -> APIRouter:
    router = APIRouter(tags=["guards"])

    def guard_dict(person_id: str, now: datetime) -> dict[str, Any]:
        person = next(p for p in guards.guards() if p.id == person_id)
        where = guards.location(person_id)
        return {
            "person_id": person.id,
            "name": person.name,
            "role": person.role,
            "on_duty": guards.on_duty(person, now),
            "location": where.as_dict() if where else None,
            "location_current": guards.is_fresh(where, now),
        }

    @router.get("/api/guards", summary="Guards, whether on duty, and their last known room")
    async def list_guards() -> list[dict[str, Any]]:
        now = utcnow()
        return [guard_dict(person.id, now) for person in guards.guards()]

    @router.post("/api/guards/{person_id}/location", summary="Report the room a guard is in")
    async def set_location(
        person_id: str, body: LocationRequest, request: Request
    ) -> dict[str, Any]:
        """The signed-in user reports it. A later badge at a door replaces it; an older report
        than the known location is ignored (the answer shows the location kept)."""
        actor = actor_of(request)
        at = body.time or utcnow()
        try:
            where = await guards.record(person_id, body.room_id, at, f"reported by {actor}")
        except GuardLocationError as exc:
            raise HTTPException(404 if exc.not_found else 422, str(exc)) from exc
        await asyncio.to_thread(
            audit.append,
            actor,
            "guard.location_reported",
            person_id,
            {"room_id": body.room_id, "time": at.isoformat(), "kept": where.room_id},
        )
        return guard_dict(person_id, utcnow())

    return router
