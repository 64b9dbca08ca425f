"""User administration over HTTP (``users.manage``): list, create, change role, disable or
enable, reset a password. Every change is audited with the signed-in admin as actor; a
disabled user's sessions end at once."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from artguard.api.guard import require_principal
from artguard.api.routes_auth import field_problem
from artguard.auth.passwords import PasswordRejected, check_policy
from artguard.auth.roles import UnknownRole, check_role
from artguard.auth.service import AuthService
from artguard.auth.users import UserError, UserNotFound


class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)
    role: str


class UserChange(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    role: str | None = None
    disabled: bool | None = None
    password: str | None = Field(default=None, min_length=1, max_length=1024)


def users_router(auth: AuthService) -> APIRouter:
    router = APIRouter(tags=["users"])

    @router.get("/api/users", summary="Users, their roles and last sign-in")
    async def list_users() -> list[dict[str, Any]]:
        return [u.as_dict() for u in await asyncio.to_thread(auth.users.list)]

    @router.post(
        "/api/users",
        status_code=201,
        summary="Create a user (audited)",
        responses={422: {"description": "Taken username, unknown role or weak password"}},
    )
    async def create_user(body: NewUser, request: Request) -> JSONResponse:
        actor = require_principal(request).username
        try:
            user = await asyncio.to_thread(
                auth.create_user, actor, body.username, body.password, body.role
            )
        except UserError as exc:
            return field_problem(422, exc)
        return JSONResponse(user.as_dict(), status_code=201)

    @router.patch(
        "/api/users/{username}",
        summary="Change a user's role, disable/enable them or reset their password (audited)",
        responses={404: {"description": "No such user"}, 422: {"description": "Bad value"}},
    )
    async def change_user(username: str, body: UserChange, request: Request) -> JSONResponse:
        actor = require_principal(request).username

        def apply() -> dict[str, Any]:
            # Check every given value first, so a bad one changes nothing.
            if body.role is not None:
                check_role(body.role)
            if body.password is not None:
                check_policy(body.password, username)
            user = None
            if body.role is not None:
                user = auth.set_role(actor, username, body.role)
            if body.disabled is not None:
                user = auth.set_disabled(actor, username, body.disabled)
            if body.password is not None:
                user = auth.change_password(actor, username, body.password)
            user = user or auth.users.get(username)
            if user is None:
                raise UserNotFound(username)
            return user.as_dict()

        try:
            return JSONResponse(await asyncio.to_thread(apply))
        except UserNotFound as exc:
            return JSONResponse(status_code=404, content={"detail": str(exc)})
        except UnknownRole as exc:
            return field_problem(422, ValueError(f"role: {exc}"))
        except (UserError, PasswordRejected) as exc:
            return field_problem(422, exc)

    return router
