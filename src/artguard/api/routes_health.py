"""``GET /api/health``: is artguard up, and what has it been doing.

Public, so uptime monitors and container health checks need no account; without a session
holding ``site.read`` it says only whether artguard and its database are up, and the details
(site, bus, counters) go to signed-in users."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from artguard import __version__
from artguard.api.guard import principal_of
from artguard.api.live import LiveHub
from artguard.runtime import Runtime


def health_router(runtime: Runtime, hub: LiveHub) -> APIRouter:
    router = APIRouter(tags=["health"])
    started = time.monotonic()

    def database_ok() -> bool:
        try:
            with runtime.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    @router.get("/api/health", summary="Liveness, dependencies and counters")
    async def health(request: Request) -> JSONResponse:
        db_ok = await asyncio.to_thread(database_ok)
        status = 200 if db_ok else 503
        principal = principal_of(request)
        if principal is None or not principal.can("site.read"):
            brief = {"status": "ok" if db_ok else "degraded", "database": {"ok": db_ok}}
            return JSONResponse(status_code=status, content=brief)
        bus = runtime.bus.stats()
        body: dict[str, Any] = {
            "status": "ok" if db_ok else "degraded",
            "version": __version__,
            "site": {"id": runtime.site.id, "name": runtime.site.name},
            "uptime_s": round(time.monotonic() - started, 1),
            "database": {"ok": db_ok, "backend": runtime.engine.dialect.name},
            "bus": {
                "url": runtime.settings.bus_url,
                "published": bus.published,
                "subscribers": [
                    asdict(s) | {"kinds": sorted(s.kinds or [])} for s in bus.subscribers
                ],
            },
            "ingest": asdict(runtime.ingest.counters),
            "rules": asdict(runtime.rules.stats),
            "live": {"clients": hub.client_count, "dropped": hub.dropped},
            "frigate": asdict(runtime.frigate.stats()) if runtime.frigate else None,
            "access": asdict(runtime.access.stats) | {"threat_level": runtime.access.threat_level},
            "evidence": (
                runtime.evidence.stats.as_dict() | {"buffers": runtime.evidence.rings.stats()}
                if runtime.evidence
                else None
            ),
        }
        return JSONResponse(status_code=status, content=body)

    return router
