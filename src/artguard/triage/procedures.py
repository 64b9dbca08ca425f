"""Standard operating procedures on incidents: attached by pattern, ticked off by operators.

The :class:`ProcedureService` follows ``incident`` events on the bus. When an incident gets a
named pattern that has a procedure (the site's own, else the built-in default), the procedure
is attached to it (stored as it was then, so editing the site later does not change a running
incident). When the pattern changes, the new pattern's procedure replaces it; steps already
done keep their state where the new procedure has the same step id, and the change is
recorded. Operators mark steps done, answer questions (the answer picks the branch) or skip
them with a reason; doing a step while earlier steps on the path are pending passes those over
(recorded skipped). A skipped required step notifies the supervisor (a ``Notification`` on the
bus). When the incident is resolved or marked a false alarm, the steps still pending on its
path are recorded skipped and the supervisor is notified once, listing the required ones.

Every action is stored in ``incident_step_actions`` with its actor and time, and written to
the audit log. Rules of the path itself: :mod:`artguard.triage.procedure_flow`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from artguard.bus import Bus
from artguard.events import (
    EventBase,
    IncidentChanged,
    Notification,
    OperatorAction,
    Severity,
    utcnow,
)
from artguard.site import Site
from artguard.site.procedures import Procedure, Step
from artguard.store.audit import AuditLog, AuditRecord
from artguard.store.db import writing
from artguard.triage import procedure_store as store
from artguard.triage.procedure_catalog import effective_procedures
from artguard.triage.procedure_flow import Flow, StepRecord
from artguard.triage.procedure_view import describe

log = logging.getLogger(__name__)

SYSTEM_ACTOR = "system:procedures"
CLOSED = frozenset({"resolved", "false_alarm"})
_CLOSING_ACTIONS = {"incident.resolve", "incident.false_alarm"}
_KNOWN_LIMIT = 10_000


class ProcedureNotFound(LookupError):
    """The incident does not exist or has no procedure (HTTP 404)."""


@dataclass(frozen=True)
class Skipped:
    """A skipped step the supervisor hears about."""

    step: Step
    actor: str
    reason: str


@dataclass(frozen=True)
class _Outcome:
    incident: Any  # the incident row
    audit: list[AuditRecord]
    skipped: list[Skipped]  # required steps skipped by this change


class ProcedureService:
    """Attaches procedures to incidents and records operators' step actions."""

    def __init__(
        self,
        engine: Engine,
        bus: Bus,
        audit: AuditLog,
        site: Site | None,
        procedures: dict[str, Procedure] | None = None,
    ) -> None:
        """``procedures`` replaces the effective set (the site's over the defaults)."""
        self._engine = engine
        self._bus = bus
        self._audit = audit
        self._procedures = procedures if procedures is not None else effective_procedures(site)
        self._known: dict[str, str] = {}  # incident -> pattern attached (saves a read per event)
        self._closers: dict[str, str] = {}  # incident -> who is closing it

    @property
    def procedures(self) -> dict[str, Procedure]:
        """The procedure per pattern in effect."""
        return dict(self._procedures)

    def attach(self) -> None:
        self._bus.subscribe("procedures", self.handle, kinds={"incident", "operator_action"})

    async def handle(self, event: EventBase) -> None:
        if isinstance(event, OperatorAction):
            if event.action in _CLOSING_ACTIONS and event.target_id:
                self._closers[event.target_id] = event.actor
            return
        if not isinstance(event, IncidentChanged):
            return
        if event.status in CLOSED:
            actor = self._closers.pop(event.incident_id, SYSTEM_ACTOR)
            self._known.pop(event.incident_id, None)
            outcome = await asyncio.to_thread(
                self._close_sync, event.incident_id, event.pattern, event.status, actor
            )
            if outcome is not None:
                await self._report(outcome, closing=event.status)
            return
        pattern = event.pattern
        if pattern not in self._procedures or self._known.get(event.incident_id) == pattern:
            return
        outcome = await asyncio.to_thread(self._attach_sync, event.incident_id, pattern)
        if len(self._known) >= _KNOWN_LIMIT:
            self._known.clear()
        self._known[event.incident_id] = pattern
        if outcome is not None:
            await self._report(outcome)

    async def sync_active(self) -> int:
        """Attach procedures to active incidents that lack one (incident events missed while
        artguard was down); returns how many were attached."""
        rows = await asyncio.to_thread(self._unattached)
        for row in rows:
            outcome = await asyncio.to_thread(self._attach_sync, row.id, row.pattern)
            if outcome is not None:
                await self._report(outcome)
        return len(rows)

    def _unattached(self) -> list[Any]:
        with self._engine.connect() as conn:
            return store.active_with_pattern(conn, sorted(self._procedures))

    # -- attaching and closing ---------------------------------------------------------------

    def _attach_sync(self, incident_id: str, pattern: str) -> _Outcome | None:
        procedure = self._procedures[pattern]
        now = utcnow()
        try:
            with writing(self._engine) as conn:
                current = store.get_attached(conn, incident_id, lock=True)
                if current is not None and (current.closed_time or current.pattern == pattern):
                    return None
                incident = store.incident_row(conn, incident_id)
                if incident is None:
                    return None
                if current is None:
                    store.attach(conn, incident_id, pattern, procedure, now)
                    record = AuditRecord(
                        SYSTEM_ACTOR,
                        "procedure.attached",
                        incident_id,
                        {"pattern": pattern, "steps": [s.id for s in procedure.steps]},
                        now,
                    )
                    return _Outcome(incident, [record], [])
                store.replace(conn, current, pattern, procedure, now)
                records = Flow(procedure).usable(store.latest(store.history(conn, incident_id)))
        except IntegrityError:  # attached meanwhile by another process
            log.info("procedure of incident %s was attached concurrently", incident_id)
            return None
        record = AuditRecord(
            SYSTEM_ACTOR,
            "procedure.changed",
            incident_id,
            {
                "from": current.pattern,
                "to": pattern,
                "kept": sorted(records),
                "steps": [s.id for s in procedure.steps],
            },
            now,
        )
        return _Outcome(incident, [record], [])

    def _close_sync(
        self, incident_id: str, pattern: str | None, status: str, actor: str
    ) -> _Outcome | None:
        now = utcnow()
        with writing(self._engine) as conn:
            current = store.get_attached(conn, incident_id, lock=True)
            if current is None:
                if pattern not in self._procedures:
                    return None
                store.attach(conn, incident_id, pattern, self._procedures[pattern], now)
                current = store.get_attached(conn, incident_id)
            if current is None or current.closed_time is not None:
                return None
            flow = Flow(current.procedure)
            records = flow.usable(store.latest(store.history(conn, incident_id)))
            pending = flow.pending_on_route(records)
            reason = f"incident marked {status.replace('_', ' ')} with the step not done"
            skips = [
                StepRecord(
                    s.id, "skip", actor, now, "incident_closed", None, reason, current.pattern
                )
                for s in pending
            ]
            store.add_actions(conn, incident_id, skips, current.procedure)
            store.close(conn, incident_id, now)
            incident = store.incident_row(conn, incident_id)
        audit = [_step_audit(incident_id, r, flow.steps[r.step_id]) for r in skips]
        audit.append(
            AuditRecord(
                actor,
                "procedure.closed",
                incident_id,
                {
                    "pattern": current.pattern,
                    "status": status,
                    "skipped": [s.id for s in pending],
                    "required_skipped": [s.id for s in pending if s.required],
                },
                now,
            )
        )
        skipped = [Skipped(s, actor, reason) for s in pending if s.required]
        return _Outcome(incident, audit, skipped)

    # -- operator actions --------------------------------------------------------------------

    async def act(
        self,
        incident_id: str,
        step_id: str,
        *,
        actor: str,
        action: str,
        answer: str | None = None,
        note: str | None = None,
    ) -> dict[str, Any]:
        """Record ``done``, ``answer`` or ``skip`` on a step; returns the procedure view.

        Raises :class:`ProcedureNotFound`, and from the flow ``UnknownStep`` (404),
        ``InvalidStepAction`` (422) or ``StepRefused`` (409).
        """
        outcome, view = await asyncio.to_thread(
            self._act_sync, incident_id, step_id, actor, action, answer, note
        )
        await self._bus.publish(
            OperatorAction(
                device_id="api",
                site_time=utcnow(),
                actor=actor,
                action=f"procedure.{action}",
                target_id=incident_id,
                note=f"step {step_id}" + (f": {answer}" if answer else ""),
            ).received()
        )
        await self._report(outcome)
        return view

    def _act_sync(
        self,
        incident_id: str,
        step_id: str,
        actor: str,
        action: str,
        answer: str | None,
        note: str | None,
    ) -> tuple[_Outcome, dict[str, Any]]:
        now = utcnow()
        with writing(self._engine) as conn:
            current = self._require(conn, incident_id, lock=True)
            flow = Flow(current.procedure)
            records = flow.usable(store.latest(store.history(conn, incident_id)))
            plan = flow.plan(
                records,
                step_id,
                action,
                actor=actor,
                at=now,
                answer=answer,
                note=note.strip() if note else None,
                pattern=current.pattern,
            )
            store.add_actions(conn, incident_id, plan.records, current.procedure)
            incident = store.incident_row(conn, incident_id)
            view = describe(current, store.history(conn, incident_id))
        audit = [_step_audit(incident_id, r, flow.steps[r.step_id]) for r in plan.records]
        skipped = [
            Skipped(flow.steps[r.step_id], actor, r.note or "")
            for r in plan.records
            if r.action == "skip" and flow.steps[r.step_id].required
        ]
        return _Outcome(incident, audit, skipped), view

    async def view(self, incident_id: str) -> dict[str, Any]:
        """The incident's procedure: steps with status, who and when, the current step."""
        return await asyncio.to_thread(self._view_sync, incident_id)

    def _view_sync(self, incident_id: str) -> dict[str, Any]:
        with self._engine.connect() as conn:
            current = self._require(conn, incident_id)
            return describe(current, store.history(conn, incident_id))

    def _require(self, conn: Any, incident_id: str, lock: bool = False) -> store.Attached:
        current = store.get_attached(conn, incident_id, lock=lock)
        if current is not None:
            return current
        incident = store.incident_row(conn, incident_id)
        if incident is None:
            raise ProcedureNotFound(f"no incident {incident_id!r}")
        raise ProcedureNotFound(
            f"incident {incident_id!r} has no procedure: its pattern {incident.pattern!r} has "
            f"none (procedures exist for: {', '.join(sorted(self._procedures))})"
        )

    # -- audit and notifications -------------------------------------------------------------

    async def _report(self, outcome: _Outcome, closing: str | None = None) -> None:
        if outcome.audit:
            await asyncio.to_thread(self._audit.append_many, outcome.audit)
        if not outcome.skipped:
            return
        incident = outcome.incident
        if closing is not None:
            await self._bus.publish(_closing_notice(incident, outcome.skipped, closing))
            return
        await self._bus.publish_many([_skip_notice(incident, s) for s in outcome.skipped])


def _step_audit(incident_id: str, record: StepRecord, step: Step) -> AuditRecord:
    verb = {"done": "step_done", "answer": "step_answered", "skip": "step_skipped"}
    details: dict[str, Any] = {
        "step": record.step_id,
        "pattern": record.pattern,
        "required": step.required,
        "cause": record.cause,
    }
    if record.answer is not None:
        details["answer"] = record.answer
    if record.note:
        details["note"] = record.note
    return AuditRecord(
        record.actor, f"procedure.{verb[record.action]}", incident_id, details, record.time
    )


def _severity(incident: Any) -> Severity:
    try:
        return Severity(incident.severity)
    except (AttributeError, ValueError):
        return Severity.medium


def _skip_notice(incident: Any, skipped: Skipped) -> Notification:
    return Notification(
        device_id="triage",
        site_time=utcnow(),
        audience="supervisor",
        subject=_clip(f"Procedure step skipped: {incident.title}", 200),
        body=_clip(
            f"Incident {incident.id} ({incident.pattern}): required step {skipped.step.id!r} "
            f"({skipped.step.text}) was skipped by {skipped.actor}. Reason: {skipped.reason}",
            4000,
        ),
        severity=_severity(incident),
        incident_id=incident.id,
        reason=_clip(f"required procedure step {skipped.step.id} skipped", 500),
    ).received()


def _closing_notice(incident: Any, skipped: list[Skipped], status: str) -> Notification:
    verdict = status.replace("_", " ")
    lines = "\n".join(f"- {s.step.id}: {s.step.text}" for s in skipped)
    closer = skipped[0].actor
    return Notification(
        device_id="triage",
        site_time=utcnow(),
        audience="supervisor",
        subject=_clip(
            f"Incident {verdict} with {len(skipped)} required steps not done: {incident.title}",
            200,
        ),
        body=_clip(
            f"Incident {incident.id} ({incident.pattern}) was marked {verdict} by {closer} "
            f"with these required procedure steps not done (recorded as skipped):\n{lines}",
            4000,
        ),
        severity=_severity(incident),
        incident_id=incident.id,
        reason=_clip(f"incident {verdict} with required procedure steps pending", 500),
    ).received()


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
