"""Reads and writes of incidents' escalation state (synchronous; callers run them in a thread).

The escalation columns (``tier``, ``ack_due``, ``resolve_due``, ``resolve_overdue_time``,
``escalations``, ``assigned_to``) are only written here, with a compare-and-set on the tier so
two escalators (or a clock round and a new alert) never both escalate the same step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from artguard.store.tables import incidents
from artguard.triage.repository import ACTIVE_STATUSES

MAX_RECORDS = 100
"""Escalation records kept per incident (the oldest are dropped; the audit log has all)."""


def get_row(conn: Connection, incident_id: str) -> Any:
    return conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()


def due_rows(conn: Connection, now: datetime) -> list[Any]:
    """Active incidents whose acknowledge deadline passed while open, or whose resolve
    deadline passed and the supervisors were not yet told."""
    return list(
        conn.execute(
            select(incidents)
            .where(
                incidents.c.status.in_(ACTIVE_STATUSES),
                or_(
                    and_(incidents.c.status == "open", incidents.c.ack_due <= now),
                    and_(
                        incidents.c.resolve_due <= now,
                        incidents.c.resolve_overdue_time.is_(None),
                    ),
                ),
            )
            .order_by(incidents.c.detected_time)
        )
    )


def save(conn: Connection, row: Any, record: dict[str, Any], values: dict[str, Any]) -> bool:
    """Append ``record`` and set ``values`` if the incident's escalation state is still what
    ``row`` read; False when another writer escalated it meanwhile."""
    records = [*(row.escalations or []), record][-MAX_RECORDS:]
    unchanged = [
        column.is_(None)
        if getattr(row, column.name) is None
        else column == getattr(row, column.name)
        for column in (incidents.c.tier, incidents.c.ack_due, incidents.c.resolve_overdue_time)
    ]
    result = conn.execute(
        update(incidents)
        .where(incidents.c.id == row.id, *unchanged)
        .values(escalations=records, **values)
    )
    return result.rowcount == 1
