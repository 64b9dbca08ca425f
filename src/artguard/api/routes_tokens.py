"""Device tokens over HTTP (``tokens.manage``): list, create, rotate, revoke.

The same operations as ``artguard tokens ...``; each is audited with the signed-in user as
actor. A token is shown in clear once, in the answer that creates it.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from artguard.api.guard import require_principal
from artguard.events import utcnow
from artguard.ingest.tokens import ALL_DEVICES, DeviceTokens, TokenInfo
from artguard.site import Site
from artguard.store.audit import AuditLog

MAX_GRACE_S = 30 * 24 * 3600


class NewToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=128, description="Who sends, e.g. 'panel-east'.")
    devices: list[str] = Field(min_length=1, description="Device ids it may send for; '*' any.")


class Rotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grace_s: int = Field(
        default=0, ge=0, le=MAX_GRACE_S, description="Seconds the old token keeps working."
    )


def token_dict(info: TokenInfo) -> dict[str, Any]:
    now = utcnow()
    revoked = info.revoked_time
    return {
        "token_id": info.token_id,
        "name": info.name,
        "devices": info.devices,
        "created_time": info.created_time.isoformat(),
        "revoked_time": revoked.isoformat() if revoked else None,
        "active": revoked is None or revoked > now,
    }


def tokens_router(tokens: DeviceTokens, audit: AuditLog, site: Site) -> APIRouter:
    router = APIRouter(tags=["device tokens"])

    @router.get("/api/tokens", summary="Device tokens (never the tokens themselves)")
    async def list_tokens() -> list[dict[str, Any]]:
        return [token_dict(t) for t in await asyncio.to_thread(tokens.list)]

    @router.post(
        "/api/tokens",
        status_code=201,
        summary="Create a device token; the clear token is in this answer only",
        responses={422: {"description": "Unknown device ids (named)"}},
    )
    async def create_token(body: NewToken, request: Request) -> JSONResponse:
        actor = require_principal(request).username
        known = site.device_ids()
        unknown = [d for d in body.devices if d != ALL_DEVICES and d not in known]
        if unknown:
            return JSONResponse(
                status_code=422,
                content={
                    "detail": [
                        {
                            "loc": ["body", "devices"],
                            "msg": f"unknown device(s) on site {site.id!r}: {', '.join(unknown)}",
                        }
                    ]
                },
            )

        def create() -> tuple[str, str]:
            token_id, token = tokens.create(body.name, body.devices)
            audit.append(
                actor,
                "device_token.created",
                token_id,
                {"name": body.name, "devices": sorted(set(body.devices))},
            )
            return token_id, token

        token_id, token = await asyncio.to_thread(create)
        return JSONResponse({"token_id": token_id, "token": token}, status_code=201)

    @router.post(
        "/api/tokens/{token_id}/rotate",
        summary="A new token for the same devices; the old one ends after grace_s",
        responses={404: {"description": "No active token with this id"}},
    )
    async def rotate_token(token_id: str, body: Rotation, request: Request) -> JSONResponse:
        actor = require_principal(request).username

        def rotate() -> dict[str, Any]:
            new_id, token, ends = tokens.rotate(token_id, timedelta(seconds=body.grace_s))
            audit.append(
                actor,
                "device_token.rotated",
                token_id,
                {"new_token_id": new_id, "old_ends": ends.isoformat(), "grace_s": body.grace_s},
            )
            return {
                "token_id": new_id,
                "token": token,
                "old_token_id": token_id,
                "old_ends": ends.isoformat(),
            }

        try:
            return JSONResponse(await asyncio.to_thread(rotate))
        except LookupError as exc:
            return JSONResponse(status_code=404, content={"detail": str(exc)})

    @router.delete(
        "/api/tokens/{token_id}",
        status_code=204,
        summary="Revoke a device token now",
        responses={404: {"description": "No active token with this id"}},
    )
    async def revoke_token(token_id: str, request: Request) -> Response:
        actor = require_principal(request).username

        def revoke() -> bool:
            if not tokens.revoke(token_id):
                return False
            audit.append(actor, "device_token.revoked", token_id, {})
            return True

        if not await asyncio.to_thread(revoke):
            return JSONResponse(
                status_code=404, content={"detail": f"no active token {token_id!r}"}
            )
        return Response(status_code=204)

    return router
