"""Reports: the weekly report (JSON, PDF) and each KPI chart as SVG (docs/dashboard.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from sqlalchemy import Engine

from artguard.events import utcnow
from artguard.reports.charts import CHARTS, render
from artguard.reports.pdf import find_font, write_pdf
from artguard.reports.weekly import ReportError, WeeklyReport, build_weekly
from artguard.site import Site
from artguard.triage.kpis import incident_kpis

CHART_DEFAULT_PERIOD = timedelta(days=7)

EndDay = Annotated[
    date | None,
    Query(
        description="Last day of the week (YYYY-MM-DD, included) on the site's calendar; "
        "default: yesterday, so the report covers the last 7 full days."
    ),
]


def reports_router(engine: Engine, site: Site, environ: Mapping[str, str]) -> APIRouter:
    """Routes over ``engine``'s store for ``site``; ``environ`` may name the report font."""
    router = APIRouter(tags=["reports"])

    async def weekly(end: date | None) -> WeeklyReport:
        def run() -> WeeklyReport:
            with engine.connect() as conn:
                return build_weekly(conn, site, end)

        try:
            return await asyncio.to_thread(run)
        except ReportError as exc:
            raise HTTPException(422, str(exc)) from exc

    @router.get("/api/reports/weekly.json", summary="The weekly report as data")
    async def weekly_json(end: EndDay = None) -> dict[str, Any]:
        """Period, KPIs, top incidents and the report's sections (charts by name: fetch each
        from ``/api/reports/charts/{name}.svg`` with the period's ``since`` and ``until``)."""
        return (await weekly(end)).as_dict()

    @router.get(
        "/api/reports/weekly.pdf",
        summary="The weekly report as PDF",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}, "description": "A PDF file."}},
    )
    async def weekly_pdf(end: EndDay = None) -> Response:
        report = await weekly(end)
        try:  # a bad ARTGUARD_REPORT_FONT is the server's configuration, not the request
            pdf = await asyncio.to_thread(write_pdf, report, find_font(environ))
        except ReportError as exc:
            raise HTTPException(500, f"report font: {exc}") from exc
        ctx = report.context
        filename = f"artguard-{site.id}-week-{ctx.first_day}-to-{ctx.last_day}.pdf"
        return Response(
            pdf,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{filename}"',
                "Cache-Control": "no-store",
            },
        )

    @router.get(
        "/api/reports/charts/{name}.svg",
        summary="One KPI chart as SVG",
        response_class=Response,
        responses={200: {"content": {"image/svg+xml": {}}, "description": "An SVG image."}},
    )
    async def chart_svg(
        name: Annotated[str, Path(description=f"One of: {', '.join(CHARTS)}.")],
        since: Annotated[
            datetime | None, Query(description="Start, with a zone (default: until - 7 days).")
        ] = None,
        until: Annotated[datetime | None, Query(description="End, with a zone (now).")] = None,
    ) -> Response:
        if name not in CHARTS:
            raise HTTPException(404, f"no chart {name!r}; charts: {', '.join(CHARTS)}")
        for label, value in (("since", since), ("until", until)):
            if value is not None and value.tzinfo is None:
                raise HTTPException(422, f"{label}: give a time zone, e.g. {value.isoformat()}Z")
        end = until or utcnow()
        start = since or end - CHART_DEFAULT_PERIOD

        def run() -> dict[str, Any]:
            with engine.connect() as conn:
                return incident_kpis(conn, start, end, site)

        try:
            kpis = await asyncio.to_thread(run)
        except ValueError as exc:
            raise HTTPException(422, str(exc)) from exc
        return Response(
            render(name, kpis, site).svg,
            media_type="image/svg+xml",
            headers={"Cache-Control": "no-store"},
        )

    return router
