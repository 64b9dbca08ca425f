"""``POST /api/events``: device ingestion over HTTP."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from artguard.ingest.service import AuthError, IngestService

MAX_BODY_BYTES = 8 * 1024 * 1024


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("x-device-token") or None


def _problem(status: int, field: str, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse(
        status_code=status,
        content={"detail": [{"loc": ["body", field], "msg": message}], **extra},
    )


def split_items(body: Any) -> list[Any] | None:
    """An event object, a list of them, or ``{"events": [...]}`` -> the list; None if neither."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        if set(body) == {"events"} and isinstance(body["events"], list):
            return body["events"]
        return [body]
    return None


def events_router(ingest: IngestService) -> APIRouter:
    router = APIRouter(tags=["ingestion"])

    @router.post(
        "/api/events",
        summary="Send device events (one, a list, or {'events': [...]})",
        responses={
            200: {"description": "All accepted (new or already stored)"},
            401: {"description": "Missing, unknown or revoked device token"},
            413: {"description": "Body too large"},
            422: {"description": "Some or all items rejected; accepted ones are stored"},
        },
    )
    async def post_events(request: Request) -> JSONResponse:
        raw = await request.body()
        if len(raw) > MAX_BODY_BYTES:
            return _problem(413, "(body)", f"body of {len(raw)} bytes exceeds {MAX_BODY_BYTES}")
        try:
            body = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            ingest.counters.rejected += 1
            where = f" at line {exc.lineno} column {exc.colno}" if hasattr(exc, "lineno") else ""
            return _problem(422, "(body)", f"malformed JSON{where}: {exc}")
        items = split_items(body)
        if items is None:
            ingest.counters.rejected += 1
            return _problem(
                422, "(body)", 'expected an event object, a list of events, or {"events": [...]}'
            )
        source = f"http:{request.client.host if request.client else 'unknown'}"
        try:
            result = await ingest.submit(items, token=bearer_token(request), source=source)
        except AuthError as exc:
            return JSONResponse(
                status_code=401,
                content={"detail": str(exc)},
                headers={"WWW-Authenticate": "Bearer"},
            )
        content = result.as_dict()
        if result.rejected:
            content["detail"] = [
                {
                    "loc": ["body", r.index, *r.field.split(".")],
                    "msg": r.message,
                    "event_id": r.event_id,
                }
                for r in result.rejected
            ]
            return JSONResponse(status_code=422, content=content)
        return JSONResponse(status_code=200, content=content)

    return router
