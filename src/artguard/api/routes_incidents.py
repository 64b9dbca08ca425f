"""Incidents, alerts and KPIs."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from artguard.api.guard import actor_of
from artguard.api.serialize import alert_dict, incident_dict
from artguard.triage import repository as repo
from artguard.triage.incidents import IncidentManager, IncidentNotFound, TransitionError
from artguard.triage.kpis import incident_kpis

Status = Literal["open", "acknowledged", "resolved", "false_alarm"]


class OperatorRequest(BaseModel):
    actor: str | None = Field(
        default=None,
        max_length=128,
        description="Ignored (kept for old clients): the signed-in user is the actor.",
    )
    note: str | None = Field(default=None, max_length=2000)


class FalseAlarmRequest(OperatorRequest):
    note: str = Field(min_length=1, max_length=2000, description="Why it was a false alarm.")


def incidents_router(engine: Engine, incidents: IncidentManager) -> APIRouter:
    router = APIRouter(tags=["incidents"])

    def read(fn: Any, *args: Any, **kwargs: Any) -> Any:
        def run() -> Any:
            with engine.connect() as conn:
                return fn(conn, *args, **kwargs)

        return asyncio.to_thread(run)

    @router.get("/api/incidents", summary="Incidents, newest first")
    async def list_incidents(
        status: Annotated[list[Status] | None, Query()] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> list[dict[str, Any]]:
        rows = await read(repo.list_incident_rows, statuses=status, limit=limit, offset=offset)
        return [incident_dict(r) for r in rows]

    @router.get("/api/incidents/{incident_id}", summary="One incident with its alerts")
    async def get_incident(incident_id: str) -> dict[str, Any]:
        row = await read(repo.get_incident_row, incident_id)
        if row is None:
            raise HTTPException(404, f"no incident {incident_id!r}")
        alerts = await read(repo.list_alert_rows, incident_id=incident_id, limit=1000)
        return {**incident_dict(row), "alerts": [alert_dict(a) for a in alerts]}

    async def act(
        incident_id: str, action: str, body: OperatorRequest, request: Request
    ) -> dict[str, Any]:
        try:
            row = await incidents.transition(incident_id, action, actor_of(request), body.note)
        except IncidentNotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        except TransitionError as exc:
            raise HTTPException(409, str(exc)) from exc
        return incident_dict(row)

    @router.post("/api/incidents/{incident_id}/acknowledge")
    async def acknowledge(
        incident_id: str, body: OperatorRequest, request: Request
    ) -> dict[str, Any]:
        return await act(incident_id, "acknowledge", body, request)

    @router.post("/api/incidents/{incident_id}/resolve")
    async def resolve(incident_id: str, body: OperatorRequest, request: Request) -> dict[str, Any]:
        return await act(incident_id, "resolve", body, request)

    @router.post("/api/incidents/{incident_id}/false-alarm")
    async def false_alarm(
        incident_id: str, body: FalseAlarmRequest, request: Request
    ) -> dict[str, Any]:
        return await act(incident_id, "false_alarm", body, request)

    @router.get("/api/alerts", summary="Alerts, newest first", tags=["alerts"])
    async def list_alerts(
        since: datetime | None = None,
        rule: str | None = None,
        incident_id: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> list[dict[str, Any]]:
        rows = await read(
            repo.list_alert_rows, since=since, rule=rule, incident_id=incident_id, limit=limit
        )
        return [alert_dict(r) for r in rows]

    @router.get("/api/kpis", summary="Incident KPIs", tags=["kpis"])
    async def kpis(
        since: Annotated[
            datetime | None,
            Query(description="Incidents detected from this time; also starts uptime."),
        ] = None,
        until: Annotated[datetime | None, Query(description="Up to this time (now).")] = None,
    ) -> dict[str, Any]:
        """False-positive rate, time to detect / acknowledge / resolve, incidents per day by
        pattern, and (when ``since`` is given) camera and sensor uptime."""
        for name, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise HTTPException(422, f"{name}: give a time zone, e.g. {value.isoformat()}Z")
        try:
            return await read(incident_kpis, since, until, incidents.site)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc

    return router
