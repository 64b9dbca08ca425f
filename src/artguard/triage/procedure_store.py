"""Storage of incidents' procedures and step actions (SQLAlchemy Core, inside the caller's
transaction)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from artguard.site.procedures import Procedure
from artguard.store.tables import incident_procedures, incident_step_actions, incidents
from artguard.triage.procedure_flow import StepRecord


@dataclass(frozen=True)
class Attached:
    """The procedure attached to one incident."""

    incident_id: str
    pattern: str
    procedure: Procedure
    attached_time: datetime
    changes: list[dict[str, Any]]
    closed_time: datetime | None


def get_attached(conn: Connection, incident_id: str, *, lock: bool = False) -> Attached | None:
    """The incident's procedure; ``lock`` holds its row until the transaction ends (PostgreSQL;
    SQLite writers are serialised anyway), so two operators' actions are applied one by one."""
    query = select(incident_procedures).where(incident_procedures.c.incident_id == incident_id)
    if lock:
        query = query.with_for_update()
    row = conn.execute(query).first()
    if row is None:
        return None
    return Attached(
        incident_id=row.incident_id,
        pattern=row.pattern,
        procedure=Procedure.model_validate(row.procedure),
        attached_time=row.attached_time,
        changes=list(row.changes or []),
        closed_time=row.closed_time,
    )


def attach(
    conn: Connection, incident_id: str, pattern: str, procedure: Procedure, at: datetime
) -> None:
    conn.execute(
        insert(incident_procedures).values(
            incident_id=incident_id,
            pattern=pattern,
            procedure=procedure.model_dump(mode="json", exclude_none=True),
            attached_time=at,
            changes=[],
            closed_time=None,
        )
    )


def replace(
    conn: Connection, current: Attached, pattern: str, procedure: Procedure, at: datetime
) -> None:
    change = {"time": at.isoformat(), "from": current.pattern, "to": pattern}
    conn.execute(
        update(incident_procedures)
        .where(incident_procedures.c.incident_id == current.incident_id)
        .values(
            pattern=pattern,
            procedure=procedure.model_dump(mode="json", exclude_none=True),
            changes=[*current.changes, change],
        )
    )


def close(conn: Connection, incident_id: str, at: datetime) -> None:
    conn.execute(
        update(incident_procedures)
        .where(incident_procedures.c.incident_id == incident_id)
        .values(closed_time=at)
    )


def add_actions(
    conn: Connection, incident_id: str, records: list[StepRecord], procedure: Procedure
) -> None:
    """Append step actions; the step's text and whether it was required are kept with each."""
    steps = {step.id: step for step in procedure.steps}
    if not records:
        return
    conn.execute(
        insert(incident_step_actions),
        [
            {
                "incident_id": incident_id,
                "pattern": r.pattern or "",
                "step_id": r.step_id,
                "step_text": steps[r.step_id].text,
                "required": steps[r.step_id].required,
                "action": r.action,
                "cause": r.cause,
                "answer": r.answer,
                "note": r.note,
                "actor": r.actor,
                "time": r.time,
            }
            for r in records
        ],
    )


def history(conn: Connection, incident_id: str) -> list[Any]:
    """Every step action of the incident, oldest first (rows)."""
    return list(
        conn.execute(
            select(incident_step_actions)
            .where(incident_step_actions.c.incident_id == incident_id)
            .order_by(incident_step_actions.c.id)
        )
    )


def latest(rows: list[Any]) -> dict[str, StepRecord]:
    """Each step's latest action, from :func:`history`'s rows."""
    out: dict[str, StepRecord] = {}
    for row in rows:
        out[row.step_id] = StepRecord(
            step_id=row.step_id,
            action=row.action,
            actor=row.actor,
            time=row.time,
            cause=row.cause,
            answer=row.answer,
            note=row.note,
            pattern=row.pattern,
        )
    return out


def incident_row(conn: Connection, incident_id: str) -> Any:
    return conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()


def active_with_pattern(conn: Connection, patterns: list[str]) -> list[Any]:
    """Active incidents named by one of ``patterns`` that have no procedure attached yet."""
    attached = select(incident_procedures.c.incident_id)
    return list(
        conn.execute(
            select(incidents.c.id, incidents.c.pattern).where(
                incidents.c.status.in_(["open", "acknowledged"]),
                incidents.c.pattern.in_(patterns),
                incidents.c.id.not_in(attached),
            )
        )
    )
