"""Standard operating procedures: the procedure per pattern, and each incident's steps."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from artguard.api.guard import actor_of
from artguard.triage.procedure_flow import InvalidStepAction, StepRefused, UnknownStep
from artguard.triage.procedures import ProcedureNotFound, ProcedureService


class StepRequest(BaseModel):
    """One operator action on one step."""

    model_config = ConfigDict(extra="forbid")

    actor: str | None = Field(
        default=None,
        max_length=128,
        description="Ignored (kept for old clients): the signed-in user is the actor.",
    )
    action: Literal["done", "answer", "skip"] = Field(
        description="done: the step was carried out; answer: a question's answer; skip: not "
        "done, with the reason in `note`."
    )
    answer: str | None = Field(
        default=None, max_length=64, description="For `answer`: one of the step's options."
    )
    note: str | None = Field(
        default=None, max_length=2000, description="A note; for `skip`, the reason (required)."
    )


def procedures_router(procedures: ProcedureService) -> APIRouter:
    router = APIRouter(tags=["procedures"])

    @router.get("/api/procedures", summary="The procedure in effect for each pattern")
    async def list_procedures() -> dict[str, Any]:
        """The site's own procedures where it has them, else the built-in defaults."""
        return {
            pattern: procedure.model_dump(mode="json", exclude_none=True)
            for pattern, procedure in sorted(procedures.procedures.items())
        }

    @router.get("/api/incidents/{incident_id}/procedure", summary="An incident's procedure")
    async def get_procedure(incident_id: str) -> dict[str, Any]:
        """Steps with their status (pending, done, skipped, not_applicable), who acted and
        when, the path taken, the current step and every action in order."""
        try:
            return await procedures.view(incident_id)
        except ProcedureNotFound as exc:
            raise HTTPException(404, str(exc)) from exc

    @router.post("/api/incidents/{incident_id}/steps/{step_id}", summary="Act on a procedure step")
    async def act_on_step(
        incident_id: str, step_id: str, body: StepRequest, request: Request
    ) -> dict[str, Any]:
        """Mark a step done, answer a question or skip a step (with a reason). Doing a step
        while earlier steps on the path are pending records those skipped; skipped required
        steps notify the supervisor. Returns the procedure as after the action."""
        try:
            return await procedures.act(
                incident_id,
                step_id,
                actor=actor_of(request),
                action=body.action,
                answer=body.answer,
                note=body.note,
            )
        except (ProcedureNotFound, UnknownStep) as exc:
            raise HTTPException(404, str(exc)) from exc
        except StepRefused as exc:
            raise HTTPException(409, str(exc)) from exc
        except InvalidStepAction as exc:
            raise HTTPException(422, str(exc)) from exc

    return router
