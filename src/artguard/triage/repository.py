"""Reads and writes of alerts and incidents (synchronous; callers run them in a thread)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, or_, select, update

from artguard.events import Alert, Severity
from artguard.store.tables import alerts, incidents
from artguard.triage.correlation import Candidate
from artguard.triage.signals import AlertFacts

ACTIVE_STATUSES = ("open", "acknowledged")
MAX_SOURCE_EVENTS = 50


@dataclass(frozen=True)
class AlertFiling:
    """What happened to an alert in triage."""

    incident_id: str
    alert_id: str
    change: str  # "opened", "alert_added", "alert_repeated" or "duplicate" (already filed)


def find_repeat(conn: Connection, alert: Alert) -> Any:
    """An alert with the same dedup key in an active incident, if any."""
    return conn.execute(
        select(alerts.c.id, alerts.c.incident_id, alerts.c.source_event_ids)
        .join(incidents, incidents.c.id == alerts.c.incident_id)
        .where(alerts.c.dedup_key == alert.dedup_key, incidents.c.status.in_(ACTIVE_STATUSES))
        .order_by(alerts.c.raised_time.desc())
        .limit(1)
    ).first()


def recent_candidates(conn: Connection, since: datetime) -> list[Candidate]:
    """Active incidents whose last alert is at or after ``since``, each with its alerts."""
    rows = conn.execute(
        select(incidents.c.id.label("incident"), incidents.c.last_alert_time, alerts)
        .join(alerts, alerts.c.incident_id == incidents.c.id)
        .where(
            incidents.c.status.in_(ACTIVE_STATUSES),
            incidents.c.last_alert_time >= since,
        )
        .order_by(incidents.c.id)
    )
    found: dict[str, Candidate] = {}
    for row in rows:
        candidate = found.get(row.incident)
        if candidate is None:
            candidate = found[row.incident] = Candidate(row.incident, row.last_alert_time, [])
        candidate.alerts.append(AlertFacts.from_row(row))
    return list(found.values())


def incident_alert_facts(conn: Connection, incident_id: str) -> list[AlertFacts]:
    rows = conn.execute(select(alerts).where(alerts.c.incident_id == incident_id))
    return [AlertFacts.from_row(row) for row in rows]


def worst_alert_title(conn: Connection, incident_id: str) -> str:
    """The title of the incident's most severe alert (the earliest among equals)."""
    rows = list(
        conn.execute(
            select(alerts.c.severity, alerts.c.title, alerts.c.first_event_time).where(
                alerts.c.incident_id == incident_id
            )
        )
    )
    worst = min(rows, key=lambda r: (-Severity(r.severity).rank, r.first_event_time))
    return str(worst.title)


def set_assessment(conn: Connection, incident_id: str, values: dict[str, Any]) -> None:
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(**values))


def record_repeat(conn: Connection, repeat: Any, alert: Alert, now: datetime) -> AlertFiling:
    sources = list(repeat.source_event_ids)
    sources = (sources + [e for e in alert.source_event_ids if e not in sources])[
        -MAX_SOURCE_EVENTS:
    ]
    conn.execute(
        update(alerts)
        .where(alerts.c.id == repeat.id)
        .values(
            repeat_count=alerts.c.repeat_count + 1,
            last_seen_time=alert.site_time,
            source_event_ids=sources,
        )
    )
    conn.execute(
        update(incidents)
        .where(incidents.c.id == repeat.incident_id)
        .values(last_alert_time=alert.site_time, updated_time=now)
    )
    return AlertFiling(repeat.incident_id, repeat.id, "alert_repeated")


def insert_alert(
    conn: Connection, alert: Alert, incident_id: str, correlation: str | None = None
) -> None:
    conn.execute(
        alerts.insert().values(
            id=alert.id,
            rule=alert.rule,
            severity=alert.severity.value,
            title=alert.title,
            device_id=alert.device_id,
            room_id=alert.room_id,
            artwork_id=alert.artwork_id,
            dedup_key=alert.dedup_key,
            first_event_time=alert.first_event_time,
            raised_time=alert.received_time or alert.site_time,
            last_seen_time=alert.site_time,
            repeat_count=1,
            reasons=list(alert.reasons),
            evidence=dict(alert.evidence),
            source_event_ids=list(alert.source_event_ids)[-MAX_SOURCE_EVENTS:],
            incident_id=incident_id,
            correlation=correlation[:300] if correlation else None,
        )
    )


def open_incident(conn: Connection, incident_id: str, alert: Alert, now: datetime) -> None:
    conn.execute(
        incidents.insert().values(
            id=incident_id,
            title=alert.title,
            status="open",
            severity=alert.severity.value,
            pattern=alert.rule,
            room_id=alert.room_id,
            owner=None,
            alert_count=1,
            first_event_time=alert.first_event_time,
            detected_time=alert.received_time or now,
            last_alert_time=alert.site_time,
            updated_time=now,
        )
    )


def add_to_incident(conn: Connection, incident_id: str, alert: Alert, now: datetime) -> None:
    row = conn.execute(
        select(incidents.c.severity, incidents.c.first_event_time, incidents.c.title).where(
            incidents.c.id == incident_id
        )
    ).one()
    current = Severity(row.severity)
    values: dict[str, Any] = {
        "alert_count": incidents.c.alert_count + 1,
        "last_alert_time": alert.site_time,
        "updated_time": now,
        "first_event_time": min(row.first_event_time, alert.first_event_time),
    }
    if alert.severity.rank > current.rank:
        values["severity"] = alert.severity.value
        values["title"] = alert.title
    conn.execute(update(incidents).where(incidents.c.id == incident_id).values(**values))


def get_alert_row(conn: Connection, alert_id: str) -> Any:
    return conn.execute(select(alerts).where(alerts.c.id == alert_id)).first()


def get_incident_row(conn: Connection, incident_id: str) -> Any:
    return conn.execute(select(incidents).where(incidents.c.id == incident_id)).first()


def set_status(conn: Connection, incident_id: str, expected: str, values: dict[str, Any]) -> bool:
    """Compare-and-set the status so two operators cannot both move the same incident."""
    result = conn.execute(
        update(incidents)
        .where(and_(incidents.c.id == incident_id, incidents.c.status == expected))
        .values(**values)
    )
    return result.rowcount == 1


def list_incident_rows(
    conn: Connection, *, statuses: list[str] | None, limit: int, offset: int = 0
) -> list[Any]:
    stmt = select(incidents)
    if statuses:
        stmt = stmt.where(incidents.c.status.in_(statuses))
    stmt = stmt.order_by(incidents.c.detected_time.desc()).limit(limit).offset(offset)
    return list(conn.execute(stmt))


def list_alert_rows(
    conn: Connection,
    *,
    incident_id: str | None = None,
    since: datetime | None = None,
    rule: str | None = None,
    limit: int = 100,
) -> list[Any]:
    stmt = select(alerts)
    if incident_id is not None:
        stmt = stmt.where(alerts.c.incident_id == incident_id)
    if since is not None:
        stmt = stmt.where(or_(alerts.c.raised_time >= since, alerts.c.last_seen_time >= since))
    if rule is not None:
        stmt = stmt.where(alerts.c.rule == rule)
    return list(conn.execute(stmt.order_by(alerts.c.raised_time.desc()).limit(limit)))
