"""Operator feedback on scoring: the adjustments verdicts made, and reverting / re-applying them."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from artguard.api.guard import principal_of
from artguard.triage.feedback import (
    Feedback,
    FeedbackError,
    FeedbackNotFound,
    NothingToChange,
)


class FeedbackChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Who is acting; the signed-in user when there is one (this is then ignored).",
    )
    reason: str = Field(min_length=1, max_length=2000, description="Why (kept in the audit log).")
    incident_id: str | None = Field(
        default=None,
        max_length=64,
        description="Only this incident's verdict on the key; all of the key's when omitted.",
    )


def feedback_router(feedback: Feedback) -> APIRouter:
    router = APIRouter(tags=["triage"])

    def actor_of(request: Request, body: FeedbackChange) -> str:
        principal = principal_of(request)
        if principal is not None:
            return principal.username
        if body.actor is None:
            raise HTTPException(422, "actor: say who is acting (or sign in)")
        return body.actor

    async def call(fn: Any, *args: Any) -> Any:
        try:
            return await asyncio.to_thread(fn, *args)
        except FeedbackNotFound as exc:
            raise HTTPException(404, str(exc)) from exc
        except NothingToChange as exc:
            raise HTTPException(409, str(exc)) from exc
        except FeedbackError as exc:
            raise HTTPException(422, str(exc)) from exc

    @router.get("/api/triage/adjustments", summary="What operators' verdicts changed in scoring")
    async def list_adjustments() -> list[dict[str, Any]]:
        """Per rule, device and time-of-day band: the factor on its alerts' weight, the verdict
        counts, why, recent examples, since when, and the last revert / re-apply."""
        result: list[dict[str, Any]] = await call(feedback.summaries)
        return result

    @router.get("/api/triage/adjustments/{key}", summary="One feedback key")
    async def get_adjustment(key: str) -> dict[str, Any]:
        result: dict[str, Any] = await call(feedback.get, key)
        return result

    @router.post("/api/triage/adjustments/{key}/revert", summary="Undo a key's feedback")
    async def revert(key: str, body: FeedbackChange, request: Request) -> dict[str, Any]:
        """The verdicts stay on record, marked reverted with who and why; scoring ignores them
        from the next assessment on. Audited as ``feedback.reverted``."""
        result: dict[str, Any] = await call(
            feedback.revert, key, actor_of(request, body), body.reason, body.incident_id
        )
        return result

    @router.post("/api/triage/adjustments/{key}/reapply", summary="Redo a key's feedback")
    async def reapply(key: str, body: FeedbackChange, request: Request) -> dict[str, Any]:
        """Reverted verdicts count again. Audited as ``feedback.reapplied``."""
        result: dict[str, Any] = await call(
            feedback.reapply, key, actor_of(request, body), body.reason, body.incident_id
        )
        return result

    return router
