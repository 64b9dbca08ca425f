"""Retention: how long each kind of data is kept, and the purge that enforces it.

Rules per kind (a limit of ``None`` keeps that kind forever):

- events: by ``received_time``, every kind except access attempts and decisions;
- access: ``access_attempt`` and ``access_decision`` events (who badged where, when), by
  ``received_time``: personal data with a limit of its own;
- incidents: only closed ones (resolved or false alarm), by the time they were closed,
  together with their alerts;
- alerts: by ``raised_time``, if they belong to no incident (an incident's alerts are its
  evidence and live as long as it does);
- snapshots: files under the snapshots folder, by modification time;
- originals: unblurred evidence originals (a folder of their own), by modification time;
- watch_flags: visitor watch flags (anonymous visitor ids, positions, reasons), by
  ``updated_time``;
- biometric_templates: face templates, through a :class:`TemplatePurger` (the template key is
  configuration, so the caller brings it): past their own consent period, enrolled longer ago
  than the limit, or whose person left the site;
- audit: the oldest entries, through :meth:`AuditLog.purge_before`, which keeps the chain
  verifiable.

Rows go in batches of their own short transactions so a big purge never holds the database's
write lock for long. Each run ends with one ``retention.purge`` audit entry with the counts per
kind, the limits, the kinds that had a limit but could not be purged (``skipped``, with why)
and any problem; a run that fails part-way still writes its entry (with ``error``) before the
exception goes on.
"""

from __future__ import annotations

import logging
import os
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Delete, Engine, delete, func, select

from artguard.store.audit import AuditLog
from artguard.store.db import writing
from artguard.store.tables import alerts, events, incidents, watch_flags

logger = logging.getLogger(__name__)

RETENTION_ACTOR = "system:retention"
CLOSED_STATUSES = ("resolved", "false_alarm")
ACCESS_KINDS = ("access_attempt", "access_decision")
"""Event kinds kept by the ``access`` limit instead of the ``events`` one."""


class TemplatePurger(Protocol):
    """Erases expired face templates (see :mod:`artguard.privacy.template_retention`)."""

    def purge_templates(self, now: datetime, max_age: timedelta | None) -> tuple[int, list[str]]:
        """Erase what is due; returns (how many were erased, problems found on the way)."""
        ...


@dataclass(frozen=True)
class RetentionPolicy:
    """How long each kind of data is kept; ``None`` keeps it forever."""

    events: timedelta | None = None
    alerts: timedelta | None = None
    incidents: timedelta | None = None
    snapshots: timedelta | None = None
    audit: timedelta | None = None
    originals: timedelta | None = None
    access: timedelta | None = None
    watch_flags: timedelta | None = None
    biometric_templates: timedelta | None = None

    def __post_init__(self) -> None:
        for kind, limit in asdict(self).items():
            if limit is not None and limit <= timedelta(0):
                raise ValueError(f"retention for {kind} must be positive, got {limit}")

    @classmethod
    def from_settings(cls, retention: object) -> RetentionPolicy:
        """From anything with these attributes (a missing one: kept forever), e.g. the site
        model's ``site.retention``."""
        return cls(**{f.name: getattr(retention, f.name, None) for f in fields(cls)})

    def describe(self) -> dict[str, float | None]:
        """Limits in days (None = forever), for the audit log and reports."""
        return {
            kind: None if limit is None else limit.total_seconds() / 86400
            for kind, limit in asdict(self).items()
        }


@dataclass(frozen=True)
class PurgeReport:
    """How many of each kind one purge deleted."""

    events: int = 0
    alerts: int = 0
    incidents: int = 0
    snapshots: int = 0
    audit: int = 0
    originals: int = 0
    access: int = 0
    watch_flags: int = 0
    biometric_templates: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def purge(
    engine: Engine,
    policy: RetentionPolicy,
    now: datetime,
    snapshots_dir: Path,
    batch_size: int = 1000,
    *,
    originals_dir: Path | None = None,
    templates: TemplatePurger | None = None,
) -> PurgeReport:
    """Delete everything older than the policy allows and record the purge in the audit log."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    deleted = dict.fromkeys(PurgeReport().as_dict(), 0)
    skipped: dict[str, str] = {}
    problems: list[str] = []
    log = AuditLog(engine)
    try:
        if policy.events is not None:
            deleted["events"] = _purge_events(engine, now - policy.events, batch_size)
        if policy.access is not None:
            deleted["access"] = _purge_events(
                engine, now - policy.access, batch_size, access_only=True
            )
        if policy.incidents is not None:
            deleted["incidents"], deleted["alerts"] = _purge_incidents(
                engine, now - policy.incidents, batch_size
            )
        if policy.alerts is not None:
            deleted["alerts"] += _purge_loose_alerts(engine, now - policy.alerts, batch_size)
        if policy.watch_flags is not None:
            deleted["watch_flags"] = _purge_watch_flags(
                engine, now - policy.watch_flags, batch_size
            )
        if policy.snapshots is not None:
            deleted["snapshots"] = _purge_files(snapshots_dir, now - policy.snapshots)
        if policy.originals is not None:
            if originals_dir is None:
                skipped["originals"] = "no originals folder given"
            else:
                deleted["originals"] = _purge_files(originals_dir, now - policy.originals)
        if templates is None:
            if policy.biometric_templates is not None:
                skipped["biometric_templates"] = "no template key configured"
        else:
            deleted["biometric_templates"], found = templates.purge_templates(
                now, policy.biometric_templates
            )
            problems.extend(found)
        if policy.audit is not None:
            deleted["audit"] = log.purge_before(now - policy.audit, actor=RETENTION_ACTOR, at=now)
    except Exception as exc:
        try:
            error = f"{type(exc).__name__}: {exc}"
            _record(log, now, policy, deleted, skipped, problems, error=error)
        except Exception:  # e.g. the database went away: the original error is the news
            logger.exception("could not record the failed purge in the audit log")
        raise
    _record(log, now, policy, deleted, skipped, problems)
    return PurgeReport(**deleted)


def _record(
    log: AuditLog,
    now: datetime,
    policy: RetentionPolicy,
    deleted: dict[str, int],
    skipped: dict[str, str],
    problems: list[str],
    error: str | None = None,
) -> None:
    """The run's one ``retention.purge`` entry: counts per kind, limits, what could not run."""
    details: dict[str, Any] = {"deleted": deleted, "limits_days": policy.describe()}
    if skipped:
        details["skipped"] = skipped
    if problems:
        details["problems"] = problems[:50]
    if error is not None:
        details["error"] = error[:500]
    log.append(RETENTION_ACTOR, "retention.purge", None, details, at=now)


def _purge_events(
    engine: Engine, cutoff: datetime, batch_size: int, *, access_only: bool = False
) -> int:
    """Events received before ``cutoff``: access kinds only, or every other kind."""
    kind = events.c.kind.in_(ACCESS_KINDS) if access_only else events.c.kind.not_in(ACCESS_KINDS)
    batch = (
        select(events.c.seq)
        .where(events.c.received_time < cutoff, kind)
        .order_by(events.c.seq)
        .limit(batch_size)
    )
    return _delete_in_batches(engine, delete(events).where(events.c.seq.in_(batch)))


def _purge_watch_flags(engine: Engine, cutoff: datetime, batch_size: int) -> int:
    batch = (
        select(watch_flags.c.visitor_id)
        .where(watch_flags.c.updated_time < cutoff)
        .limit(batch_size)
    )
    return _delete_in_batches(
        engine, delete(watch_flags).where(watch_flags.c.visitor_id.in_(batch))
    )


def _purge_loose_alerts(engine: Engine, cutoff: datetime, batch_size: int) -> int:
    batch = (
        select(alerts.c.id)
        .where(alerts.c.raised_time < cutoff, alerts.c.incident_id.is_(None))
        .limit(batch_size)
    )
    return _delete_in_batches(engine, delete(alerts).where(alerts.c.id.in_(batch)))


def _delete_in_batches(engine: Engine, statement: Delete) -> int:
    """Run a delete limited by a batch subquery until it finds nothing left."""
    total = 0
    while True:
        with writing(engine) as conn:
            deleted = conn.execute(statement).rowcount
        total += deleted
        if deleted == 0:
            return total


def _purge_incidents(engine: Engine, cutoff: datetime, batch_size: int) -> tuple[int, int]:
    """Closed incidents older than ``cutoff`` and their alerts; returns (incidents, alerts)."""
    closed_time = func.coalesce(incidents.c.resolved_time, incidents.c.updated_time)
    expired = (
        select(incidents.c.id)
        .where(incidents.c.status.in_(CLOSED_STATUSES), closed_time < cutoff)
        .limit(batch_size)
    )
    incident_count = alert_count = 0
    while True:
        with writing(engine) as conn:
            ids = list(conn.execute(expired).scalars())
            if not ids:
                return incident_count, alert_count
            alert_count += conn.execute(
                delete(alerts).where(alerts.c.incident_id.in_(ids))
            ).rowcount
            incident_count += conn.execute(
                delete(incidents).where(incidents.c.id.in_(ids))
            ).rowcount


def _purge_files(folder: Path, cutoff: datetime) -> int:
    """Delete files under ``folder`` last modified before ``cutoff``, and old empty folders.

    Symbolic links are removed as links (by their own time) and never followed, so a link
    cannot lead the purge outside the data directory. A folder must be empty and itself older
    than ``cutoff`` to go (one emptied just now has a fresh time and goes on a later run), so a
    camera that has just created its folder never loses it before writing into it.
    """
    if not folder.is_dir():
        return 0
    limit = cutoff.timestamp()
    deleted = 0
    for root, dirs, files in os.walk(folder, topdown=False, followlinks=False):
        for name in files:
            path = Path(root, name)
            try:
                if path.lstat().st_mtime < limit:
                    path.unlink()
                    deleted += 1
            except FileNotFoundError:  # removed meanwhile
                continue
        for name in dirs:
            path = Path(root, name)
            if path.is_symlink():
                if path.lstat().st_mtime < limit:
                    path.unlink()
                    deleted += 1
                continue
            try:
                if path.lstat().st_mtime < limit:
                    path.rmdir()  # only succeeds when empty
            except OSError:
                continue
    return deleted
