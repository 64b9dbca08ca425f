"""Persistence of the learned visitor model and the watch flags (same code on SQLite and
PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update

from artguard.events import WatchFlag, utcnow
from artguard.store.db import writing
from artguard.store.tables import visitor_models, watch_flags
from artguard.visitors.model import BehaviourModel


def save_model(engine: Engine, site_id: str, model: BehaviourModel) -> None:
    """Replace the site's stored model with ``model``."""
    row = {
        "site_id": site_id,
        "model": model.to_json(),
        "visitors": model.visitors,
        "updated_time": utcnow(),
    }
    with writing(engine) as conn:
        conn.execute(delete(visitor_models).where(visitor_models.c.site_id == site_id))
        conn.execute(visitor_models.insert().values(**row))


def load_model(engine: Engine, site_id: str) -> tuple[BehaviourModel, datetime | None]:
    """The stored model (empty when none) and when it was saved.

    A stored model that cannot be read raises ``ValueError`` naming the site: better a clear
    refusal than flags judged against garbage.
    """
    with engine.connect() as conn:
        row = conn.execute(
            select(visitor_models.c.model, visitor_models.c.updated_time).where(
                visitor_models.c.site_id == site_id
            )
        ).first()
    if row is None:
        return BehaviourModel(), None
    try:
        return BehaviourModel.from_json(row.model), row.updated_time
    except ValueError as exc:
        raise ValueError(f"stored visitor model of site {site_id!r}: {exc}") from None


def save_flag(engine: Engine, flag: WatchFlag) -> None:
    """Record a raised, updated or cleared flag (one row per visitor, newest state)."""
    values: dict[str, Any] = {
        "status": flag.status,
        "updated_time": flag.site_time,
        "room_id": flag.room_id,
        "floor_xy": list(flag.floor_xy) if flag.floor_xy else None,
        "reason_kinds": list(flag.reason_kinds),
        "reasons": list(flag.reasons),
        "evidence": dict(flag.evidence),
        "cameras": list(flag.cameras),
        "tracks": list(flag.tracks),
        "learned": flag.learned,
        "cleared_time": flag.site_time if flag.status == "cleared" else None,
    }
    with writing(engine) as conn:
        done = conn.execute(
            update(watch_flags).where(watch_flags.c.visitor_id == flag.visitor_id).values(**values)
        )
        if done.rowcount == 0:
            conn.execute(
                watch_flags.insert().values(
                    visitor_id=flag.visitor_id,
                    first_seen=flag.first_seen,
                    raised_time=flag.site_time,
                    **values,
                )
            )


def load_flags(
    engine: Engine, *, active_only: bool = True, since: datetime | None = None, limit: int = 200
) -> list[dict[str, Any]]:
    """Flags, newest first: the active ones, or all updated since ``since``."""
    stmt = select(watch_flags).order_by(watch_flags.c.updated_time.desc()).limit(limit)
    if active_only:
        stmt = stmt.where(watch_flags.c.status != "cleared")
    if since is not None:
        stmt = stmt.where(watch_flags.c.updated_time >= since)
    with engine.connect() as conn:
        rows = conn.execute(stmt).mappings().all()
    return [_flag_json(dict(row)) for row in rows]


def purge_flags_before(engine: Engine, before: datetime) -> int:
    """Delete cleared flags last updated before ``before``; returns how many."""
    with writing(engine) as conn:
        done = conn.execute(
            delete(watch_flags).where(
                watch_flags.c.status == "cleared", watch_flags.c.updated_time < before
            )
        )
    return done.rowcount or 0


def _flag_json(row: dict[str, Any]) -> dict[str, Any]:
    for key in ("first_seen", "raised_time", "updated_time", "cleared_time"):
        if row[key] is not None:
            row[key] = row[key].isoformat()
    return row
