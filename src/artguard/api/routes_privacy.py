"""Privacy governance over HTTP (docs/privacy.md):

* ``GET /api/privacy/subjects/{person_id}/export`` - everything about a person (JSON or zip);
* ``POST /api/privacy/subjects/{person_id}/erase`` - erase / pseudonymise, audited;
* ``GET /api/privacy/ropa`` - the record of processing (JSON, Markdown or HTML);
* ``GET /api/decisions/{decision_id}/logic`` - the logic of an alert or access decision;
* ``GET /api/audit`` - audit entries, filtered and paged; ``GET /api/audit/verify`` - the
  chain's status (:func:`audit_view_router`).

Who may call which is in :mod:`artguard.api.authz`. Export and erasure are recorded in the
audit log under the signed-in user's name with the counts, never the data.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from artguard.api.guard import actor_of
from artguard.privacy.audit_view import AuditQuery, AuditQueryError, audit_page, verification
from artguard.privacy.erase import erase_subject
from artguard.privacy.export import ExportOptions, export_subject, write_zip
from artguard.privacy.logic import DecisionNotFound, explain_decision
from artguard.privacy.ropa import build_ropa, to_html, to_markdown
from artguard.privacy.subjects import SubjectError
from artguard.site import Site
from artguard.store.audit import AuditLog

if TYPE_CHECKING:
    from artguard.biometrics.templates import TemplateStore


class ErasureRequest(BaseModel):
    actor: str | None = Field(
        default=None, max_length=128, description="Ignored: the signed-in user erases."
    )
    reason: str = Field(
        min_length=1, max_length=500, description="Why, e.g. the request's reference."
    )
    credentials: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Extra credential ids to search for (a person no longer in the site file).",
    )


def privacy_router(
    engine: Engine, site: Site, audit: AuditLog, templates: TemplateStore | None
) -> APIRouter:
    router = APIRouter(tags=["privacy"])

    @router.get("/api/privacy/subjects/{person_id}/export", response_model=None)
    async def export(
        person_id: str,
        request: Request,
        format: Literal["json", "zip"] = "json",
        include_descriptors: bool = False,
        credential: Annotated[list[str] | None, Query(max_length=50)] = None,
    ) -> dict[str, Any] | Response:
        """Everything stored about the person; ``include_descriptors`` adds the decrypted face
        descriptors (only on the subject's explicit request)."""
        options = ExportOptions(include_descriptors, tuple(credential or ()))
        try:
            document = await asyncio.to_thread(
                export_subject, engine, site, person_id, actor_of(request), templates, options
            )
        except SubjectError as exc:
            raise HTTPException(422, str(exc)) from exc
        if format == "json":
            return document
        data = await asyncio.to_thread(_zip_bytes, document)
        name = f"artguard-export-{document['person_id']}.zip"
        return Response(
            data,
            media_type="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.post("/api/privacy/subjects/{person_id}/erase")
    async def erase(person_id: str, body: ErasureRequest, request: Request) -> dict[str, Any]:
        """Erase the face template and pseudonymise records naming the person; audited."""
        try:
            report = await asyncio.to_thread(
                erase_subject,
                engine,
                site,
                person_id,
                actor_of(request),
                body.reason,
                templates,
                tuple(body.credentials),
            )
        except SubjectError as exc:
            raise HTTPException(422, str(exc)) from exc
        return report.as_dict()

    @router.get("/api/privacy/ropa", response_model=None)
    async def ropa(
        format: Literal["json", "md", "html"] = "json",
    ) -> dict[str, Any] | Response:
        """The record of processing / DPIA summary, generated from the site file."""
        record = build_ropa(site)
        if format == "md":
            return PlainTextResponse(to_markdown(record), media_type="text/markdown")
        if format == "html":
            return HTMLResponse(to_html(record))
        return record

    @router.get("/api/decisions/{decision_id}/logic")
    async def logic(decision_id: str) -> dict[str, Any]:
        """Rule, inputs, thresholds, model and version behind an alert or access decision."""
        try:
            return await asyncio.to_thread(explain_decision, engine, site, decision_id)
        except DecisionNotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    return router


def audit_view_router(engine: Engine, audit: AuditLog) -> APIRouter:
    """``GET /api/audit`` with time, actor, action-prefix filters and cursor paging, and
    ``GET /api/audit/verify`` with an ``ok``/``broken`` status.

    :func:`artguard.api.app.create_app` includes it: these are the only audit routes.
    """
    router = APIRouter(tags=["audit"])

    @router.get("/api/audit")
    async def audit_entries(
        since: datetime | None = None,
        until: datetime | None = None,
        actor: str | None = None,
        action: Annotated[
            str | None, Query(description="An action, or a prefix like privacy.*")
        ] = None,
        subject: str | None = None,
        limit: int = 100,
        cursor: Annotated[int | None, Query(description="next_cursor of the last page")] = None,
        newest_first: bool = False,
    ) -> dict[str, Any]:
        """Audit entries matching the filters, one page at a time."""
        try:
            query = AuditQuery(since, until, actor, action, subject, limit, cursor, newest_first)
        except AuditQueryError as exc:
            raise HTTPException(422, str(exc)) from exc
        return await asyncio.to_thread(audit_page, engine, query)

    @router.get("/api/audit/verify")
    async def audit_verify() -> dict[str, Any]:
        """Walk the hash chain: ``ok``, or ``broken`` with the first bad entry and why."""
        return await asyncio.to_thread(verification, audit)

    return router


def _zip_bytes(document: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    write_zip(document, buffer)
    return buffer.getvalue()
