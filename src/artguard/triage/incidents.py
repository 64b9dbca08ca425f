"""Incidents: alerts grouped by cause, place and time, and their operator lifecycle.

``open -> acknowledged -> resolved | false_alarm`` (an open incident may also be resolved or
marked a false alarm directly). Every filing and transition is written to the audit log with
its actor and announced on the bus, so the dashboard and integrations see it at once.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine

from artguard.bus import Bus
from artguard.events import (
    Alert,
    EventBase,
    IncidentChanged,
    OperatorAction,
    Severity,
    new_id,
    utcnow,
)
from artguard.site import Site
from artguard.store.audit import AuditLog
from artguard.store.db import writing
from artguard.triage import correlation
from artguard.triage import repository as repo
from artguard.triage.assess import assess, incident_title
from artguard.triage.feedback import Feedback
from artguard.triage.repository import AlertFiling
from artguard.triage.signals import AlertFacts

log = logging.getLogger(__name__)

CORRELATION_WINDOW = timedelta(minutes=5)

# status -> statuses it may move to
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "resolved", "false_alarm"}),
    "acknowledged": frozenset({"resolved", "false_alarm"}),
    "resolved": frozenset(),
    "false_alarm": frozenset(),
}


class IncidentNotFound(LookupError):
    pass


class TransitionError(ValueError):
    """The incident is not in a state that allows this action."""


@dataclass(frozen=True)
class Transition:
    action: str  # the verb an operator uses
    target: str  # the status it leads to
    time_column: str | None


ACTIONS: dict[str, Transition] = {
    "acknowledge": Transition("acknowledge", "acknowledged", "acknowledged_time"),
    "resolve": Transition("resolve", "resolved", "resolved_time"),
    "false_alarm": Transition("false_alarm", "false_alarm", "resolved_time"),
}


def new_incident_id() -> str:
    return "inc-" + new_id()[:12]


class IncidentManager:
    """Files alerts into incidents and carries out operators' transitions."""

    def __init__(
        self,
        engine: Engine,
        bus: Bus,
        audit: AuditLog,
        *,
        correlation_window: timedelta = CORRELATION_WINDOW,
        site: Site | None = None,
        feedback: Feedback | None = None,
    ) -> None:
        """``site`` gives room adjacency, security levels, artwork tiers and opening hours to
        correlation and scoring; without it only same device / room / artwork correlate.
        ``feedback`` learns from closing verdicts and adjusts scoring (default: on)."""
        self._site = site
        self.feedback = feedback or Feedback(engine, audit, site)
        self._engine = engine
        self._bus = bus
        self._audit = audit
        self._window = correlation_window

    @property
    def site(self) -> Site | None:
        return self._site

    def attach(self) -> None:
        self._bus.subscribe("triage", self.handle, kinds={"alert"})

    async def handle(self, event: EventBase) -> None:
        if isinstance(event, Alert):
            await self.file(event)

    async def file(self, alert: Alert) -> AlertFiling:
        """Store the alert and attach it to a new or existing incident."""
        filing, row = await asyncio.to_thread(self._file_sync, alert)
        if row is not None:
            await self._announce(row, filing.change)
        return filing

    def _file_sync(self, alert: Alert) -> tuple[AlertFiling, Any]:
        now = utcnow()
        with writing(self._engine) as conn:
            known = repo.get_alert_row(conn, alert.id)
            if known is not None:  # the same alert again (a recovery replay): nothing changes
                filing = AlertFiling(known.incident_id, alert.id, "duplicate")
                return filing, None
            repeat = repo.find_repeat(conn, alert)
            if repeat is not None:
                filing = repo.record_repeat(conn, repeat, alert, now)
                self._reassess(conn, filing.incident_id)  # the repeat count is listed
            else:
                facts = AlertFacts.from_alert(alert)
                candidates = repo.recent_candidates(conn, alert.site_time - self._window)
                joined = correlation.choose(facts, candidates, self._site)
                if joined is None:
                    incident_id = new_incident_id()
                    repo.open_incident(conn, incident_id, alert, now)
                    change = "opened"
                else:
                    incident_id = joined.incident_id
                    repo.add_to_incident(conn, incident_id, alert, now)
                    change = "alert_added"
                repo.insert_alert(conn, alert, incident_id, joined.reason if joined else None)
                self._reassess(conn, incident_id)
                filing = AlertFiling(incident_id, alert.id, change)
            row = repo.get_incident_row(conn, filing.incident_id)
        if filing.change != "alert_repeated":
            self._audit.append_many(
                [
                    {
                        "actor": f"rule:{alert.rule}",
                        "action": "alert.raised",
                        "subject": alert.id,
                        "details": {
                            "rule": alert.rule,
                            "severity": alert.severity.value,
                            "title": alert.title,
                            "reasons": list(alert.reasons),
                            "evidence": dict(alert.evidence),
                            "source_event_ids": list(alert.source_event_ids),
                            "incident_id": filing.incident_id,
                        },
                    },
                    {
                        "actor": "system:triage",
                        "action": f"incident.{filing.change}",
                        "subject": filing.incident_id,
                        "details": {
                            "alert_id": alert.id,
                            "severity": row.severity,
                            "score": row.score,
                            "pattern": row.pattern,
                        },
                    },
                ]
            )
        return filing, row

    def _reassess(self, conn: Connection, incident_id: str) -> None:
        """Score and name the incident again from all of its alerts."""
        facts = repo.incident_alert_facts(conn, incident_id)
        result = assess(facts, self._site, self.feedback.adjustments_for(conn, facts))
        values = result.stored()
        values["title"] = incident_title(
            result, repo.worst_alert_title(conn, incident_id), self._site
        )
        repo.set_assessment(conn, incident_id, values)

    async def transition(
        self, incident_id: str, action: str, actor: str, note: str | None = None
    ) -> Any:
        """Carry out ``acknowledge``, ``resolve`` or ``false_alarm``; returns the new row."""
        if action not in ACTIONS:
            raise TransitionError(f"unknown action {action!r}; expected one of {sorted(ACTIONS)}")
        if action == "false_alarm" and not (note and note.strip()):
            raise TransitionError("a false alarm needs a reason (note)")
        row = await asyncio.to_thread(
            self._transition_sync, incident_id, ACTIONS[action], actor, note
        )
        await self._bus.publish(
            OperatorAction(
                device_id="api",
                site_time=utcnow(),
                actor=actor,
                action=f"incident.{action}",
                target_id=incident_id,
                note=note,
            ).received()
        )
        await self._announce(row, ACTIONS[action].target)
        return row

    def _transition_sync(
        self, incident_id: str, transition: Transition, actor: str, note: str | None
    ) -> Any:
        now = utcnow()
        with writing(self._engine) as conn:
            row = repo.get_incident_row(conn, incident_id)
            if row is None:
                raise IncidentNotFound(f"no incident {incident_id!r}")
            if transition.target not in TRANSITIONS[row.status]:
                raise TransitionError(
                    f"incident {incident_id} is {row.status}; cannot {transition.action} it"
                )
            values: dict[str, Any] = {"status": transition.target, "updated_time": now}
            if transition.time_column:
                values[transition.time_column] = now
            if transition.target == "acknowledged" or row.owner is None:
                values["owner"] = row.owner or actor
            if note:
                values["resolution_note"] = note
            if not repo.set_status(conn, incident_id, row.status, values):
                raise TransitionError(f"incident {incident_id} changed meanwhile; reload it")
            new_row = repo.get_incident_row(conn, incident_id)
            learned = self.feedback.record(conn, incident_id, transition.target, note, actor, now)
        self._audit.append(
            actor,
            f"incident.{transition.target}",
            incident_id,
            {"from": row.status, "to": transition.target, "note": note},
        )
        self.feedback.audit_recorded(incident_id, actor, learned)
        return new_row

    async def _announce(self, row: Any, change: str) -> None:
        await self._bus.publish(
            IncidentChanged(
                device_id="triage",
                site_time=row.updated_time,
                incident_id=row.id,
                status=row.status,
                severity=Severity(row.severity),
                title=row.title,
                room_id=row.room_id,
                alert_count=row.alert_count,
                change=change,
                score=row.score,
                pattern=row.pattern,
            ).received()
        )


def durations(row: Any) -> dict[str, float | None]:
    """Time to detect / acknowledge / resolve of one incident, in seconds."""

    def between(start: datetime | None, end: datetime | None) -> float | None:
        if start is None or end is None:
            return None
        return max(0.0, (end - start).total_seconds())

    return {
        "time_to_detect_s": between(row.first_event_time, row.detected_time),
        "time_to_acknowledge_s": between(row.detected_time, row.acknowledged_time),
        "time_to_resolve_s": between(row.detected_time, row.resolved_time),
    }
