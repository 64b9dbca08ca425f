"""Storage of what the actions did: playbook runs, incident actions, door commands, deliveries.

Plain SQLAlchemy Core on the tables of migration ``0008``; every function is synchronous and
takes the engine, so services call them with ``asyncio.to_thread``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from artguard.store.db import writing
from artguard.store.tables import (
    alerts,
    door_commands,
    incident_actions,
    incidents,
    notification_deliveries,
    playbook_runs,
)


@dataclass(frozen=True)
class ActionRecord:
    """One action taken for an incident, as stored."""

    incident_id: str
    playbook_id: str | None
    action: str
    target: str | None
    status: str
    detail: str | None
    actor: str
    started_time: datetime
    finished_time: datetime | None


def claim_run(engine: Engine, incident_id: str, playbook_id: str, now: datetime) -> bool:
    """Record that ``playbook_id`` runs for ``incident_id``; False when it already has (the
    primary key makes this safe against two runners and across restarts)."""
    try:
        with writing(engine) as conn:
            conn.execute(
                insert(playbook_runs).values(
                    incident_id=incident_id, playbook_id=playbook_id, started_time=now
                )
            )
    except IntegrityError:
        return False
    return True


def finish_run(engine: Engine, incident_id: str, playbook_id: str, now: datetime) -> None:
    with writing(engine) as conn:
        conn.execute(
            update(playbook_runs)
            .where(playbook_runs.c.incident_id == incident_id)
            .where(playbook_runs.c.playbook_id == playbook_id)
            .values(finished_time=now)
        )


def runs_for(engine: Engine, incident_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(playbook_runs)
            .where(playbook_runs.c.incident_id == incident_id)
            .order_by(playbook_runs.c.started_time)
        ).all()
    return [dict(row._mapping) for row in rows]


def add_action(engine: Engine, record: ActionRecord) -> int:
    with writing(engine) as conn:
        result = conn.execute(insert(incident_actions).values(**record.__dict__))
    return int(result.inserted_primary_key[0])  # type: ignore[index]


def actions_for(engine: Engine, incident_id: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(incident_actions)
            .where(incident_actions.c.incident_id == incident_id)
            .order_by(incident_actions.c.id)
        ).all()
    return [dict(row._mapping) for row in rows]


def add_command(engine: Engine, values: dict[str, Any]) -> None:
    with writing(engine) as conn:
        conn.execute(insert(door_commands).values(**values))


def finish_command(engine: Engine, command_id: str, values: dict[str, Any]) -> None:
    with writing(engine) as conn:
        conn.execute(update(door_commands).where(door_commands.c.id == command_id).values(**values))


def commands_for(engine: Engine, door_id: str, limit: int = 100) -> list[dict[str, Any]]:
    """The door's latest commands, newest first."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(door_commands)
            .where(door_commands.c.door_id == door_id)
            .order_by(door_commands.c.sent_time.desc(), door_commands.c.id)
            .limit(limit)
        ).all()
    return [dict(row._mapping) for row in rows]


def add_delivery(engine: Engine, values: dict[str, Any]) -> None:
    with writing(engine) as conn:
        conn.execute(insert(notification_deliveries).values(**values))


def deliveries_for(
    engine: Engine, *, incident_id: str | None = None, notification_id: str | None = None
) -> list[dict[str, Any]]:
    query = select(notification_deliveries).order_by(notification_deliveries.c.id)
    if incident_id is not None:
        query = query.where(notification_deliveries.c.incident_id == incident_id)
    if notification_id is not None:
        query = query.where(notification_deliveries.c.notification_id == notification_id)
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query).all()]


def incident_rooms(engine: Engine, incident_id: str) -> set[str]:
    """Every room the incident's alerts name."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(alerts.c.room_id).where(alerts.c.incident_id == incident_id).distinct()
        ).all()
    return {row.room_id for row in rows if row.room_id}


def get_incident(engine: Engine, incident_id: str) -> dict[str, Any] | None:
    """The incident's row as a mapping, or None when there is no such incident."""
    with engine.connect() as conn:
        row = conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()
    return None if row is None else dict(row._mapping)
