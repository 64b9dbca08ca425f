"""Door decisions over HTTP: ``POST /api/access/decide`` and the site's threat level.

``decide`` is called by readers and panels, so it takes a device token (``Authorization:
Bearer`` or ``X-Device-Token``) that must cover the reader, like event ingestion.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from datetime import datetime
from typing import Any

import cv2
import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from artguard.access.request import AccessRequest, RequestError
from artguard.access.service import AccessService
from artguard.api.guard import actor_of
from artguard.api.routes_events import bearer_token
from artguard.events import utcnow
from artguard.ingest.tokens import DeviceTokens
from artguard.site.access_policy import THREAT_LEVELS

MAX_FACE_FRAMES = 150
"""About 5 s at 30 frames/s: the time limit and some margin."""
MAX_FACE_BODY = 24 * 1024 * 1024
MAX_DECIDE_BODY = 64 * 1024


class DecideBody(BaseModel):
    """What a reader sends."""

    model_config = ConfigDict(extra="forbid")

    credential_id: str = Field(min_length=1, max_length=128)
    reader_id: str = Field(min_length=1, max_length=128)
    factors: list[str] = Field(default_factory=lambda: ["card"], min_length=1)
    at: AwareDatetime | None = Field(default=None, description="Default: now.")
    request_id: str | None = Field(default=None, max_length=128)


class FaceFrame(BaseModel):
    model_config = ConfigDict(extra="forbid")

    t: float = Field(ge=0.0, description="Seconds since the prompt was shown.")
    jpeg: str = Field(min_length=4, description="The frame as base64 JPEG (or PNG).")


class FaceBody(BaseModel):
    """A reader's answer to a face challenge."""

    model_config = ConfigDict(extra="forbid")

    credential_id: str = Field(min_length=1, max_length=128)
    reader_id: str = Field(min_length=1, max_length=128)
    nonce: str = Field(min_length=1, max_length=64)
    factors: list[str] = Field(default_factory=lambda: ["card"], min_length=1)
    at: AwareDatetime | None = None
    frames: list[FaceFrame] = Field(min_length=2, max_length=MAX_FACE_FRAMES)


def decode_jpeg(text: str, index: int) -> np.ndarray:
    """One frame from base64; a :class:`RequestError` naming ``frames.<i>`` if it is not an
    image."""
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise RequestError(f"frames.{index}.jpeg", f"not base64: {exc}") from None
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise RequestError(f"frames.{index}.jpeg", "not a JPEG or PNG image")
    return image


class ThreatBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: str
    reason: str = Field(min_length=1, max_length=2000)
    actor: str | None = Field(
        default=None, max_length=128, description="Ignored: the signed-in user is the actor."
    )


def _answer(status: int, loc: list[Any], message: str) -> tuple[int, Any, dict[str, str]]:
    """A problem as (status, body, headers): ``{"detail": [{"loc", "msg"}]}``."""
    return status, {"detail": [{"loc": loc, "msg": message}]}, {}


def _problem(status: int, loc: list[Any], message: str) -> JSONResponse:
    status, content, _ = _answer(status, loc, message)
    return JSONResponse(status_code=status, content=content)


def _validation_detail(exc: ValidationError) -> dict[str, Any]:
    """A pydantic error as the API's 422 body: every bad field with where it is."""
    return {
        "detail": [{"loc": ["body", *map(str, e["loc"])], "msg": e["msg"]} for e in exc.errors()]
    }


def _validation_problem(exc: ValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content=_validation_detail(exc))


Answer = tuple[int, Any, dict[str, str]]
"""HTTP status, JSON content, extra headers."""


async def decide_answer(
    access: AccessService, tokens: DeviceTokens, raw: bytes, token: str | None
) -> Answer:
    """``POST /api/access/decide``, whichever way the request came in (the FastAPI route or
    :class:`ReaderFastPath`)."""
    try:
        body = DecideBody.model_validate_json(raw)
    except ValidationError as exc:
        return 422, _validation_detail(exc), {}
    grant = tokens.verify(token)  # cached: a dict lookup on the hot path
    if grant is None:
        return (
            401,
            {"detail": "missing, unknown or revoked device token"},
            {"WWW-Authenticate": "Bearer"},
        )
    if not grant.allows(body.reader_id):
        return _answer(
            403,
            ["body", "reader_id"],
            f"token {grant.name!r} may not ask for reader {body.reader_id!r}",
        )
    try:
        access_request = AccessRequest.make(
            body.credential_id, body.reader_id, body.at or utcnow(), body.factors, body.request_id
        )
    except RequestError as exc:
        return _answer(422, ["body", exc.field], exc.message)
    decision = await access.decide(access_request)
    answer = decision.as_dict()
    challenge = access.challenge(decision)
    if challenge is not None:
        answer["challenge"] = challenge
    return 200, answer, {}


class ReaderFastPath:
    """Serves ``POST /api/access/decide`` before FastAPI's routing and dependency machinery,
    which at hundreds of door requests a second cost more than the decision; every other
    request goes on to the app. Same code, same answers (:func:`decide_answer`)."""

    PATH = "/api/access/decide"

    def __init__(self, app: ASGIApp, access: AccessService, tokens: DeviceTokens) -> None:
        self.app = app
        self.access = access
        self.tokens = tokens

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_DECIDE_BODY:
                await _send_json(send, 413, {"detail": "body too large"}, {})
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        status, content, headers = await decide_answer(
            self.access, self.tokens, b"".join(chunks), _bearer(scope)
        )
        await _send_json(send, status, content, headers)


def _bearer(scope: Scope) -> str | None:
    """The device token from ``Authorization: Bearer`` or ``X-Device-Token``."""
    device_token = None
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
        elif name == b"x-device-token":
            device_token = value.decode("latin-1") or None
    return device_token


async def _send_json(send: Send, status: int, content: Any, headers: dict[str, str]) -> None:
    body = json.dumps(content, separators=(",", ":")).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in headers.items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": body})


def access_router(access: AccessService, tokens: DeviceTokens) -> APIRouter:
    router = APIRouter(tags=["access control"])

    @router.post(
        "/api/access/decide",
        summary="Decide a door request: grant, deny or step_up, with risk and reasons",
        responses={
            200: {"description": "The decision (recorded and audited before this answer)"},
            401: {"description": "Missing or unknown device token"},
            403: {"description": "The token does not cover this reader"},
            422: {"description": "The request names a bad field"},
        },
    )
    async def decide(request: Request) -> JSONResponse:
        status, content, headers = await decide_answer(
            access, tokens, await request.body(), bearer_token(request)
        )
        return JSONResponse(content, status_code=status, headers=headers)

    @router.post(
        "/api/access/face",
        summary="Answer a face challenge: frames of the person making the prompted movement",
        responses={
            200: {"description": "The decision with the face presented (or denied, with why)"},
            401: {"description": "Missing or unknown device token"},
            403: {"description": "The token does not cover this reader"},
            413: {"description": "Body too large"},
            422: {"description": "A bad field or frame (named)"},
        },
    )
    async def face(request: Request) -> JSONResponse:
        raw = await request.body()
        if len(raw) > MAX_FACE_BODY:
            return _problem(413, ["body"], f"body of {len(raw)} bytes exceeds {MAX_FACE_BODY}")
        try:
            body = FaceBody.model_validate_json(raw)
        except ValidationError as exc:
            return _validation_problem(exc)
        grant = await asyncio.to_thread(tokens.verify, bearer_token(request))
        if grant is None:
            return JSONResponse(
                status_code=401,
                content={"detail": "missing, unknown or revoked device token"},
                headers={"WWW-Authenticate": "Bearer"},
            )
        if not grant.allows(body.reader_id):
            return _problem(
                403,
                ["body", "reader_id"],
                f"token {grant.name!r} may not answer for reader {body.reader_id!r}",
            )
        if access.faces is None:
            return _problem(422, ["body", "nonce"], "face step-up is not configured on this site")
        try:
            frames = [(f.t, decode_jpeg(f.jpeg, i)) for i, f in enumerate(body.frames)]
            access_request = AccessRequest.make(
                body.credential_id, body.reader_id, body.at or utcnow(), body.factors
            )
        except RequestError as exc:
            return _problem(422, ["body", *exc.field.split(".")], exc.message)
        decision, outcome = await access.decide_with_face(access_request, body.nonce, frames)
        return JSONResponse(
            decision.as_dict()
            | {"face": {"passed": outcome.passed, "reason": outcome.reason, **outcome.details}}
        )

    @router.get("/api/access/threat-level", summary="The site's current threat level")
    async def get_threat_level() -> dict[str, Any]:
        state = access.pdp.state
        return {"level": state.threat_level, "reason": state.threat_reason}

    @router.put(
        "/api/access/threat-level",
        summary="Set the threat level (normal, elevated, lockdown); audited",
    )
    async def put_threat_level(request: Request) -> JSONResponse:
        try:
            body = ThreatBody.model_validate_json(await request.body())
        except ValidationError as exc:
            return _validation_problem(exc)
        if body.level not in THREAT_LEVELS:
            return _problem(
                422,
                ["body", "level"],
                f"unknown threat level {body.level!r}; expected one of {', '.join(THREAT_LEVELS)}",
            )
        await access.set_threat_level(body.level, actor=actor_of(request), reason=body.reason)
        return JSONResponse({"level": body.level, "reason": body.reason})

    @router.get("/api/access/presence", summary="Where each person was last let in")
    async def presence() -> list[dict[str, Any]]:
        site = access.site
        return [
            {
                "person_id": person_id,
                "name": site.person(person_id).name,
                "room_id": p.room_id,
                "since": _iso(p.at),
                "door_id": p.door_id,
            }
            for person_id, p in sorted(access.pdp.state.where.items())
        ]

    return router


def _iso(at: datetime) -> str:
    return at.isoformat()
