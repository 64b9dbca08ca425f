"""An incident's procedure as the API returns it: steps with status, who and when, the path
taken, the current step, steps kept from an earlier pattern's procedure, and every action."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from artguard.triage import procedure_store as store
from artguard.triage.procedure_flow import Flow, StepRecord


def describe(current: store.Attached, rows: list[Any]) -> dict[str, Any]:
    """The procedure of one incident as the API returns it."""
    flow = Flow(current.procedure)
    latest = store.latest(rows)
    records = flow.usable(latest)
    closed = current.closed_time is not None
    statuses = flow.statuses(records, closed=closed)
    route = flow.route(records)
    steps = []
    for step in current.procedure.steps:
        if step.id in {s["id"] for s in steps}:
            continue
        record = records.get(step.id)
        steps.append(
            {
                "id": step.id,
                "text": step.text,
                "required": step.required,
                "question": step.is_question,
                "options": dict(step.options) if step.options else None,
                "next": step.next,
                "status": statuses[step.id],
                "on_path": step.id in route.steps,
                **_record_fields(record),
            }
        )
    earlier = [
        {"id": r.step_id, "pattern": r.pattern, "status": _status_word(r), **_record_fields(r)}
        for step_id, r in latest.items()
        if step_id not in records
    ]
    pending = [s for s in steps if s["status"] == "pending"]
    return {
        "incident_id": current.incident_id,
        "pattern": current.pattern,
        "title": current.procedure.title,
        "attached_time": _iso(current.attached_time),
        "closed_time": _iso(current.closed_time),
        "changes": current.changes,
        "current_step": None if closed else flow.current(records),
        "complete": not pending,
        "path": route.steps,
        "steps": steps,
        "earlier_steps": earlier,
        "history": [
            {
                "step_id": row.step_id,
                "pattern": row.pattern,
                "action": row.action,
                "cause": row.cause,
                "answer": row.answer,
                "note": row.note,
                "actor": row.actor,
                "time": _iso(row.time),
            }
            for row in rows
        ],
    }


def _record_fields(record: StepRecord | None) -> dict[str, Any]:
    if record is None:
        return {"answer": None, "note": None, "actor": None, "time": None, "cause": None}
    return {
        "answer": record.answer,
        "note": record.note,
        "actor": record.actor,
        "time": _iso(record.time),
        "cause": record.cause,
    }


def _status_word(record: StepRecord) -> str:
    return "done" if record.completed else "skipped"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
