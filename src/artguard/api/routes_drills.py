"""Red-team drill runs (artguard.drill): the list, the latest, one run whole, its charts.

The list and the latest are the served site's drills (as the weekly report's "Last drill");
one run by id is found whatever its site."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Path, Query, Response
from sqlalchemy import Engine

from artguard.drill import store
from artguard.drill.charts import CHARTS, render_all
from artguard.drill.codec import to_data
from artguard.drill.result import DrillResult
from artguard.drill.summary import DrillFigures, by_scenario

T = TypeVar("T")


def chart_url(run_id: str, name: str) -> str:
    return f"/api/drills/{quote(run_id, safe='')}/charts/{name}.svg"


def drill_dict(result: DrillResult) -> dict[str, Any]:
    """A stored drill for the API: the whole result, its headline figures, the figures per
    scenario kind and its charts (name, title, text alternative, URL of the SVG)."""
    run_id = result.id or ""
    return {
        **to_data(result),
        "figures": DrillFigures.of(result).as_dict(),
        "by_scenario": [
            {
                "scenario": f.scenario,
                "runs": f.runs,
                "detected": f.detected,
                "missed": f.missed,
                "detection_rate": f.rate,
                "ttd_median_s": f.ttd_median_s,
                "ttd_max_s": f.ttd_max_s,
                "patterns": list(f.patterns),
            }
            for f in by_scenario(result)
        ],
        "charts": [
            {"name": c.name, "title": c.title, "alt": c.alt, "url": chart_url(run_id, c.name)}
            for c in render_all(result)
        ],
    }


def drills_router(engine: Engine, site_id: str) -> APIRouter:
    router = APIRouter(tags=["drills"])

    def read(fn: Callable[..., T], *args: Any, **kwargs: Any) -> asyncio.Future[T]:
        def run() -> T:
            with engine.connect() as conn:
                return fn(conn, *args, **kwargs)

        return asyncio.to_thread(run)  # type: ignore[return-value]

    async def found(run_id: str) -> DrillResult:
        result = await read(store.get, run_id)
        if result is None:
            raise HTTPException(404, f"no drill run {run_id!r}")
        return result

    @router.get("/api/drills", summary="Drill runs, newest first (headline figures)")
    async def list_drills(
        limit: Annotated[int, Query(ge=1, le=store.MAX_LIST)] = 20,
    ) -> list[dict[str, Any]]:
        return [f.as_dict() for f in await read(store.list_runs, limit, site_id)]

    @router.get("/api/drills/latest", summary="The drill that finished last, whole (or null)")
    async def latest_drill() -> dict[str, Any] | None:
        """``null`` when no drill has been stored yet."""
        result = await read(store.latest, site_id=site_id)
        return drill_dict(result) if result is not None else None

    @router.get("/api/drills/{run_id}", summary="One drill run, whole")
    async def get_drill(run_id: str) -> dict[str, Any]:
        return drill_dict(await found(run_id))

    @router.get(
        "/api/drills/{run_id}/charts/{name}.svg",
        summary="One chart of a drill run as SVG",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}, "description": "An SVG image."}},
    )
    async def drill_chart(
        run_id: str,
        name: Annotated[str, Path(description=f"One of: {', '.join(CHARTS)}.")],
    ) -> Response:
        if name not in CHARTS:
            raise HTTPException(404, f"no drill chart {name!r}; charts: {', '.join(CHARTS)}")
        result = await found(run_id)
        return Response(
            CHARTS[name](result).svg,
            media_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )

    return router
