"""Signing in and out: ``POST /api/auth/login``, ``POST /api/auth/logout``,
``GET /api/auth/me`` and ``POST /api/auth/password`` (change one's own password).

Login answers the same 401 for an unknown user, a wrong password and a disabled user, and 429
with ``Retry-After`` while the username or the client address is locked out. The session
cookie is ``HttpOnly; SameSite=Strict; Path=/`` and ``Secure`` unless
``ARTGUARD_COOKIE_SECURE=false``; the CSRF token in the answer goes in ``X-CSRF-Token`` on
every state-changing request.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from artguard.api.guard import client_address, require_principal
from artguard.auth.roles import ROLE_PERMISSIONS
from artguard.auth.service import AuthService, SignInFailed, SignInThrottled
from artguard.auth.sessions import Principal
from artguard.auth.users import UserError


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class PasswordBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str = Field(min_length=1, max_length=1024)


def whoami(principal: Principal) -> dict[str, Any]:
    return {
        "user": principal.username,
        "role": principal.role,
        "permissions": sorted(ROLE_PERMISSIONS.get(principal.role, ())),
        "csrf_token": principal.csrf_token,
    }


def field_problem(status: int, exc: Exception) -> JSONResponse:
    """A :class:`UserError` ("field: message") as the API's error body naming the field."""
    field, _, message = str(exc).partition(": ")
    return JSONResponse(
        status_code=status, content={"detail": [{"loc": ["body", field], "msg": message}]}
    )


def auth_router(auth: AuthService) -> APIRouter:
    router = APIRouter(tags=["sign-in"])
    cookie = auth.policy.cookie_name

    @router.post(
        "/api/auth/login",
        summary="Sign in: sets the session cookie, returns the user, role and CSRF token",
        responses={
            401: {"description": "Wrong username or password (same answer for every reason)"},
            429: {"description": "Too many failures: locked out, see Retry-After"},
        },
    )
    async def login(body: LoginBody, request: Request) -> JSONResponse:
        address = client_address(request.scope)
        try:
            done = await asyncio.to_thread(auth.sign_in, body.username, body.password, address)
        except SignInThrottled as exc:
            return JSONResponse(
                status_code=429,
                content={"detail": "too many failed sign-ins; try again later"},
                headers={"Retry-After": str(exc.retry_after_s)},
            )
        except SignInFailed as exc:
            return JSONResponse(status_code=401, content={"detail": str(exc)})
        response = JSONResponse(whoami(done.principal), headers={"Cache-Control": "no-store"})
        response.set_cookie(
            cookie,
            done.token,
            httponly=True,
            secure=auth.policy.cookie_secure,
            samesite="strict",
            path="/",
        )
        return response

    @router.post("/api/auth/logout", summary="Sign out: ends this session")
    async def logout(request: Request) -> JSONResponse:
        principal = require_principal(request)
        await asyncio.to_thread(auth.sign_out, principal, client_address(request.scope))
        response = JSONResponse({"signed_out": principal.username})
        response.delete_cookie(
            cookie, path="/", secure=auth.policy.cookie_secure, httponly=True, samesite="strict"
        )
        return response

    @router.get("/api/auth/me", summary="Who is signed in: user, role, permissions, CSRF token")
    async def me(request: Request) -> JSONResponse:
        return JSONResponse(
            whoami(require_principal(request)), headers={"Cache-Control": "no-store"}
        )

    @router.post(
        "/api/auth/password",
        summary="Change one's own password; ends the user's other sessions",
        responses={422: {"description": "Wrong current password or a weak new one (named)"}},
    )
    async def change_password(body: PasswordBody, request: Request) -> JSONResponse:
        principal = require_principal(request)
        try:
            await asyncio.to_thread(
                auth.change_password,
                principal.username,
                principal.username,
                body.new_password,
                current_password=body.current_password,
                keep_session=principal.session_id,
            )
        except UserError as exc:
            return field_problem(422, exc)
        return JSONResponse({"user": principal.username, "password_changed": True})

    return router
