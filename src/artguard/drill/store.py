"""Drill runs in the database: :func:`save` a :class:`DrillResult`, read it back whole
(:func:`get`, :func:`latest`) or list the runs' headline figures (:func:`list_runs`).

The summary columns of ``drill_runs`` hold :class:`DrillFigures` for lists and sorting; the
``result`` column holds the whole result (:mod:`artguard.drill.codec`), which is what reports
read.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, select
from sqlalchemy.exc import IntegrityError

from artguard.drill.codec import from_data, to_data
from artguard.drill.result import DrillResult
from artguard.drill.summary import DrillFigures
from artguard.events import utcnow
from artguard.store.audit import AuditLog
from artguard.store.db import writing
from artguard.store.tables import drill_runs

Bind = Engine | Connection
AUDIT_ACTOR = "system:drill"
AUDIT_ACTION = "drill.stored"
MAX_LIST = 500

_SUMMARY = [c for c in drill_runs.c if c.name != "result"]


@contextmanager
def _reading(bind: Bind) -> Iterator[Connection]:
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as conn:
            yield conn


def save(engine: Engine, result: DrillResult, audit: AuditLog | None = None) -> str:
    """Store ``result`` and return its run id (``result.id`` if set, else a new one).

    The stored result carries that id and its finished time (``result.finished_time``, or now).
    With ``audit``, an entry by ``system:drill`` records the run and its headline figures.
    ``ValueError`` when the result cannot be stored (a naive time, non-JSON ``extra``).
    """
    run_id = result.id or uuid.uuid4().hex
    if len(run_id) > drill_runs.c.id.type.length:
        raise ValueError(f"drill id {run_id[:40]!r}… is longer than {drill_runs.c.id.type.length}")
    finished = result.finished_time or utcnow()
    if finished.tzinfo is None:
        raise ValueError("drill finished_time must be timezone-aware")
    stored = replace(result, id=run_id, finished_time=finished)
    figures = DrillFigures.of(stored)
    row = figures.as_dict()
    row.update(finished_time=finished, result=to_data(stored))
    try:
        with writing(engine) as conn:
            conn.execute(insert(drill_runs).values(**row))
    except IntegrityError:
        if get(engine, run_id) is not None:
            raise ValueError(f"a drill with id {run_id!r} is already stored") from None
        raise
    if audit is not None:
        details = {k: v for k, v in figures.as_dict().items() if k != "id"}
        audit.append(AUDIT_ACTOR, AUDIT_ACTION, run_id, details)
    return run_id


def _load(row: Row[Any]) -> DrillResult:
    return from_data(row.result)


def get(bind: Bind, run_id: str) -> DrillResult | None:
    """The stored drill ``run_id``; None when there is none."""
    with _reading(bind) as conn:
        row = conn.execute(select(drill_runs.c.result).where(drill_runs.c.id == run_id)).first()
    return _load(row) if row else None


def latest(
    bind: Bind, before: datetime | None = None, site_id: str | None = None
) -> DrillResult | None:
    """The drill that finished last (before ``before``, of site ``site_id``, if given); None
    when there is none."""
    stmt = select(drill_runs.c.result)
    if before is not None:
        stmt = stmt.where(drill_runs.c.finished_time < before)
    if site_id is not None:
        stmt = stmt.where(drill_runs.c.site_id == site_id)
    stmt = stmt.order_by(drill_runs.c.finished_time.desc(), drill_runs.c.id.desc()).limit(1)
    with _reading(bind) as conn:
        row = conn.execute(stmt).first()
    return _load(row) if row else None


def list_runs(bind: Bind, limit: int = 20, site_id: str | None = None) -> list[DrillFigures]:
    """The headline figures of the ``limit`` most recent drills (of site ``site_id``, if
    given), newest first."""
    if not 1 <= limit <= MAX_LIST:
        raise ValueError(f"limit: expected 1..{MAX_LIST}, got {limit}")
    stmt = select(*_SUMMARY)
    if site_id is not None:
        stmt = stmt.where(drill_runs.c.site_id == site_id)
    stmt = stmt.order_by(drill_runs.c.finished_time.desc(), drill_runs.c.id.desc()).limit(limit)
    with _reading(bind) as conn:
        rows = conn.execute(stmt).all()
    return [DrillFigures(**row._asdict()) for row in rows]
