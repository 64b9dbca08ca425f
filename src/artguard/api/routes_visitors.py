"""Visitor watch for guards: the active watch flags, and what normal behaviour was learned."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Query

from artguard.visitors.analyser import VisitorAnalyser
from artguard.visitors.store import load_flags


def visitors_router(analyser: VisitorAnalyser) -> APIRouter:
    router = APIRouter(tags=["visitors"])

    @router.get(
        "/api/visitors/watch",
        summary="Visitors with a watch flag: reasons, last room and position, cameras",
    )
    async def watch(
        include_cleared: bool = False,
        since: datetime | None = None,
        limit: int = Query(default=200, ge=1, le=1000),
    ) -> dict[str, Any]:
        if since is not None and since.tzinfo is None:
            raise HTTPException(422, "since needs a time zone, e.g. 2026-05-01T00:00:00Z")
        flags = await asyncio.to_thread(
            load_flags,
            analyser.engine,
            active_only=not include_cleared,
            since=since,
            limit=limit,
        )
        return {"flags": flags, "count": len(flags)}

    @router.get("/api/visitors/model", summary="What normal visitor behaviour was learned")
    async def model() -> dict[str, Any]:
        policy = analyser.site.policies.visitors
        return {
            "site_id": analyser.site.id,
            "updated": analyser.model_updated.isoformat() if analyser.model_updated else None,
            "learning": analyser.learn,
            "min_learned_visitors": policy.min_learned_visitors,
            "visitors_in_view": len(analyser.watch.states),
            **analyser.watch.model.summary(),
        }

    return router
