"""Alert evidence: ``/api/alerts/{id}/evidence`` (metadata), ``.../snapshot.jpg``,
``.../clip.webm`` (or ``.../clip.avi``) and ``.../original.jpg``.

Clips are VP8 WebM, which browsers play inline; those recorded before WebM, or by an OpenCV
without a VP8 encoder, are MJPG AVI and stay downloadable at ``clip.avi``. Each clip route
serves only its own format, and the metadata's ``clip_url`` names the one that exists.

The snapshot and clip have faces blurred (unless the site turned blurring off). The unblurred
original exists only when the site keeps originals, and every fetch of it is written to the
audit log (``evidence.original_viewed``) with who asked (the signed-in user; an ``actor``
query parameter is accepted for old clients and ignored) and why (``reason``, optional).

Triage folds a repeat of the same cause into the first alert (its ``repeat_count``); each
repeat was a separate alert on the bus with its own snapshot. The metadata of the stored alert
lists them under ``repeats`` (the snapshots with the same dedup key taken between the alert's
first and last sighting), each fetched by its own alert id.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from pathlib import PurePath
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import FileResponse
from sqlalchemy import Engine

from artguard.api.guard import actor_of
from artguard.evidence.clip import AVI, WEBM, ClipFormat
from artguard.evidence.store import EvidenceNotFound, EvidenceStore, StoredEvidence
from artguard.store.audit import AuditLog
from artguard.triage import repository as repo

ORIGINAL_VIEWED = "evidence.original_viewed"


def _clip_url(base: str, clip_name: str | None) -> str | None:
    """The route of a stored clip, by the suffix of its file (``.webm``, or ``.avi`` for old
    clips); ``None`` when there is no clip."""
    return f"{base}/clip{PurePath(clip_name).suffix}" if clip_name else None


def _summary(sidecar: dict[str, Any]) -> dict[str, Any]:
    alert_id = sidecar["alert_id"]
    base = f"/api/alerts/{alert_id}/evidence"
    return {
        "alert_id": alert_id,
        "alert_time": sidecar.get("alert_time"),
        "frame_time": sidecar.get("frame_time"),
        "track_id": sidecar.get("track_id"),
        "people": sidecar.get("people"),
        "snapshot_url": f"{base}/snapshot.jpg",
        "clip_url": _clip_url(base, sidecar.get("clip")),
    }


def _within(sidecar: dict[str, Any], start: datetime, end: datetime) -> bool:
    try:
        at = datetime.fromisoformat(str(sidecar.get("alert_time")))
    except ValueError:
        return False
    if start.tzinfo is None:  # SQLite hands back naive UTC
        at = at.replace(tzinfo=None) - (at.utcoffset() or timedelta(0))
    return start <= at <= end


def evidence_router(store: EvidenceStore, audit: AuditLog, engine: Engine) -> APIRouter:
    router = APIRouter(tags=["evidence"])

    async def find(alert_id: str) -> StoredEvidence:
        try:
            return await asyncio.to_thread(store.find, alert_id)
        except EvidenceNotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    def metadata_of(alert_id: str) -> dict[str, Any]:
        try:
            own: StoredEvidence | None = store.find(alert_id)
        except EvidenceNotFound:
            own = None
        with engine.connect() as conn:
            row = repo.get_alert_row(conn, alert_id)
        repeats = []
        if row is not None and row.repeat_count > 1:
            repeats = [
                _summary(sidecar)
                for sidecar in store.sidecars_between(row.first_event_time, row.last_seen_time)
                if sidecar.get("dedup_key") == row.dedup_key
                and sidecar.get("alert_id") != alert_id
                and _within(sidecar, row.first_event_time, row.last_seen_time)
            ]
        if own is None and not repeats:
            raise EvidenceNotFound(f"no evidence stored for alert {alert_id!r}")
        body: dict[str, Any] = dict(own.sidecar) if own else {"alert_id": alert_id}
        base = f"/api/alerts/{alert_id}/evidence"
        body |= {
            "snapshot_url": f"{base}/snapshot.jpg" if own else None,
            "clip_url": _clip_url(base, own.clip.name if own and own.clip else None),
            "original_url": f"{base}/original.jpg" if own and own.original else None,
            "repeats": sorted(repeats, key=lambda r: r["alert_time"]),
        }
        return body

    @router.get(
        "/api/alerts/{alert_id}/evidence",
        summary="An alert's stored evidence, and that of the repeats folded into it",
    )
    async def metadata(alert_id: str) -> dict[str, Any]:
        try:
            return await asyncio.to_thread(metadata_of, alert_id)
        except EvidenceNotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    @router.get(
        "/api/alerts/{alert_id}/evidence/snapshot.jpg",
        summary="The alert's snapshot (faces blurred, overlays drawn)",
        response_class=FileResponse,
    )
    async def snapshot(alert_id: str) -> FileResponse:
        found = await find(alert_id)
        return FileResponse(found.snapshot, media_type="image/jpeg")

    async def clip(alert_id: str, clip_format: ClipFormat, inline: bool) -> FileResponse:
        found = await find(alert_id)
        if found.clip is None:
            raise HTTPException(404, f"no clip stored for alert {alert_id!r}")
        if found.clip.suffix != clip_format.suffix:
            url = _clip_url(f"/api/alerts/{alert_id}/evidence", found.clip.name)
            raise HTTPException(
                404, f"the clip of alert {alert_id!r} is not {clip_format.suffix}: see {url}"
            )
        return FileResponse(
            found.clip,
            media_type=clip_format.media_type,
            filename=found.clip.name,
            content_disposition_type="inline" if inline else "attachment",
        )

    @router.get(
        "/api/alerts/{alert_id}/evidence/clip.webm",
        summary="The alert's clip (VP8 WebM, faces blurred, plays inline), when clips are on",
        response_class=FileResponse,
    )
    async def clip_webm(alert_id: str) -> FileResponse:
        return await clip(alert_id, WEBM, inline=True)

    @router.get(
        "/api/alerts/{alert_id}/evidence/clip.avi",
        summary="The alert's clip when it is MJPG AVI (recorded before WebM, or by an OpenCV "
        "without VP8), a download",
        response_class=FileResponse,
    )
    async def clip_avi(alert_id: str) -> FileResponse:
        return await clip(alert_id, AVI, inline=False)

    @router.get(
        "/api/alerts/{alert_id}/evidence/original.jpg",
        summary="The unblurred original frame, when the site keeps originals (audited)",
        response_class=FileResponse,
    )
    async def original(
        alert_id: str,
        request: Request,
        actor: Annotated[
            str | None, Query(max_length=128, description="Ignored: the signed-in user asks.")
        ] = None,
        reason: Annotated[str | None, Query(max_length=500, description="Why.")] = None,
    ) -> FileResponse:
        found = await find(alert_id)
        if found.original is None:
            raise HTTPException(
                404,
                f"no unblurred original kept for alert {alert_id!r} (the site does not keep "
                "originals, or retention.originals has purged it)",
            )
        details = {"camera_id": found.sidecar.get("camera_id"), "reason": reason}
        await asyncio.to_thread(audit.append, actor_of(request), ORIGINAL_VIEWED, alert_id, details)
        return FileResponse(found.original, media_type="image/jpeg")

    return router
