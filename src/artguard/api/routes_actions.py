"""Door overrides, door command history, and the actions taken for an incident."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from artguard.actions import records
from artguard.actions.playbooks import IncidentNotFound
from artguard.actions.wiring import Actions
from artguard.api.guard import actor_of


class OverrideRequest(BaseModel):
    """Who asks and why; both are kept with the command and in the audit log."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    actor: str | None = Field(
        default=None,
        max_length=128,
        description="Ignored (kept for old clients): the signed-in user is the actor.",
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why (required).")


def actions_router(actions: Actions, engine: Any) -> APIRouter:
    router = APIRouter(tags=["actions"])

    async def command(
        door_id: str, verb: str, body: OverrideRequest, request: Request
    ) -> dict[str, Any]:
        try:
            result = await actions.doors.send(
                door_id,
                verb,
                actor_of(request),
                body.reason,
                override=True,  # type: ignore[arg-type]
            )
        except KeyError as exc:
            raise HTTPException(404, str(exc).strip("'\"")) from exc
        return result.as_dict()

    @router.post("/api/doors/{door_id}/lock", summary="Lock a door now (human override)")
    async def lock_door(door_id: str, body: OverrideRequest, request: Request) -> dict[str, Any]:
        """Sends the lock command and waits for the door to confirm (at most its timeout).
        Always allowed, whatever the threat level or a playbook did; audited as an override.
        ``status``: confirmed, timeout, failed, rejected or no_route, with ``detail``."""
        return await command(door_id, "lock", body, request)

    @router.post("/api/doors/{door_id}/unlock", summary="Unlock a door now (human override)")
    async def unlock_door(door_id: str, body: OverrideRequest, request: Request) -> dict[str, Any]:
        """Like lock; also during a lockdown (people must be able to get out)."""
        return await command(door_id, "unlock", body, request)

    @router.get("/api/doors/{door_id}/commands", summary="A door's recent commands")
    async def door_commands(door_id: str, limit: int = 100) -> list[dict[str, Any]]:
        """Newest first: who asked, why, override or playbook, outcome, how it was confirmed."""
        try:
            actions.doors.check_door(door_id)
        except KeyError as exc:
            raise HTTPException(404, str(exc).strip("'\"")) from exc
        return await asyncio.to_thread(
            records.commands_for, engine, door_id, max(1, min(limit, 1000))
        )

    @router.get("/api/incidents/{incident_id}/actions", summary="What was done for an incident")
    async def incident_actions(incident_id: str) -> dict[str, Any]:
        """The playbooks that ran, every action with its status, and every notification
        delivery for the incident."""
        if await asyncio.to_thread(records.get_incident, engine, incident_id) is None:
            raise HTTPException(404, f"no incident {incident_id!r}")
        runs, done, deliveries = await asyncio.gather(
            asyncio.to_thread(records.runs_for, engine, incident_id),
            asyncio.to_thread(records.actions_for, engine, incident_id),
            asyncio.to_thread(records.deliveries_for, engine, incident_id=incident_id),
        )
        return {"runs": runs, "actions": done, "deliveries": deliveries}

    @router.post(
        "/api/incidents/{incident_id}/lock-doors",
        summary="Lock every door of the incident's rooms (one click)",
    )
    async def lock_incident_doors(
        incident_id: str, body: OverrideRequest, request: Request
    ) -> list[dict[str, Any]]:
        """Locks the doors into and out of every room the incident's alerts name, all at
        once, as a human override; returns one action per door with its outcome."""
        try:
            made = await actions.playbooks.lock_incident_doors(
                incident_id, actor_of(request), body.reason
            )
        except IncidentNotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        return [asdict(record) for record in made]

    return router
