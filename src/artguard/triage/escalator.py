"""The escalation service: puts incidents on their tier, calls people, watches the deadlines.

It listens to ``incident`` events. When an incident's tier rises (opened, an alert joined, it
was re-scored) it stores the tier and deadlines, appends an escalation record (time, from, to,
why, whom it called), writes the audit log and publishes a :class:`Notification` for each
audience newly reached (the dashboard, the nearest guard, the supervisors). Its clock
(:meth:`Escalator.tick`) moves an incident one tier up when nobody acknowledged it in time and
tells the supervisors when it is not resolved in time. Acknowledging stops the acknowledge
timer; resolving or a false alarm stops both. All state is in the ``incidents`` table, so a
restart loses nothing. Reaching the lockdown tier raises the site threat level through an
injected callback, only when ``policies.response.lockdown_raises_threat_level`` is on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Engine

from artguard.bus import Bus
from artguard.events import EventBase, IncidentChanged, Notification, Severity, utcnow
from artguard.site import Site
from artguard.site.response_policy import Tier
from artguard.store.audit import AuditLog
from artguard.store.db import writing
from artguard.triage import escalation as esc
from artguard.triage import escalation_store as store
from artguard.triage.guards import Choice, GuardLocator
from artguard.triage.repository import ACTIVE_STATUSES

log = logging.getLogger(__name__)

ACTOR = "system:escalation"


class ThreatSetter(Protocol):
    """``AccessService.set_threat_level``."""

    def __call__(self, level: str, *, actor: str, reason: str) -> Awaitable[None]: ...


class Escalator:
    """Escalates incidents by score, pattern and missed deadlines."""

    def __init__(
        self,
        engine: Engine,
        bus: Bus,
        audit: AuditLog,
        site: Site,
        guards: GuardLocator,
        *,
        set_threat_level: ThreatSetter | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._bus = bus
        self._audit = audit
        self._site = site
        self._policy = site.policies.response
        self._guards = guards
        self._set_threat_level = set_threat_level
        self._clock = clock
        self._lock = asyncio.Lock()  # one escalation step at a time in this process

    def attach(self) -> None:
        self._bus.subscribe("escalation", self.handle, kinds={"incident"})

    async def handle(self, event: EventBase) -> None:
        if isinstance(event, IncidentChanged) and event.status in ACTIVE_STATUSES:
            await self.review(event.incident_id)

    async def review(self, incident_id: str, now: datetime | None = None) -> list[Notification]:
        """Raise the incident to the tier its score and pattern call for, if that is higher."""
        async with self._lock:
            now = now or self._clock()
            row = await asyncio.to_thread(self._read, incident_id)
            if row is None or row.status not in ACTIVE_STATUSES:
                return []
            choice = esc.tier_for(row.score, row.pattern, self._policy)
            if not esc.is_higher(choice.tier, row.tier):
                return []
            return await self._escalate(row, choice.tier, choice.reason, "assessment", now)

    async def tick(self, now: datetime | None = None) -> list[Notification]:
        """Act on every deadline that has passed by ``now``; returns what was sent."""
        async with self._lock:
            now = now or self._clock()
            rows = await asyncio.to_thread(self._due, now)
            sent: list[Notification] = []
            for row in rows:
                if row.status == "open" and row.ack_due is not None and row.ack_due <= now:
                    sent += await self._missed_acknowledge(row, now)
                    row = await asyncio.to_thread(self._read, row.id)
                overdue = row.resolve_due is not None and row.resolve_due <= now
                if overdue and row.resolve_overdue_time is None and row.status in ACTIVE_STATUSES:
                    sent += await self._missed_resolve(row, now)
            return sent

    async def run_clock(self, interval_s: float = 5.0) -> None:
        """Call :meth:`tick` forever (the runtime runs this with a live clock)."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.tick()
            except Exception:  # one failed round must not stop the clock
                log.exception("escalation clock round failed")

    # -- steps -------------------------------------------------------------------------------

    async def _missed_acknowledge(self, row: Any, now: datetime) -> list[Notification]:
        missed = f"not acknowledged by {_clock_time(row.ack_due)}"
        higher = esc.next_tier(row.tier or "log", self._policy)
        if higher is not None:
            return await self._escalate(row, higher, missed, "acknowledge_missed", now)
        why = f"{missed}; already at {row.tier}, the highest automatic tier"
        chosen = self._guards.choose_supervisors(now)
        note = self._notification(row, "supervisor", "Not acknowledged", why, chosen, now, None)
        record = _record(now, row.tier, row.tier, why, "acknowledge_missed", [note])
        values = {"ack_due": None, "assigned_to": _assigned(row, [note])}
        return [note] if await self._commit(row, record, values, [note]) else []

    async def _missed_resolve(self, row: Any, now: datetime) -> list[Notification]:
        why = f"not resolved by {_clock_time(row.resolve_due)}"
        chosen = self._guards.choose_supervisors(now)
        note = self._notification(row, "supervisor", "Overdue", why, chosen, now, None)
        record = _record(now, row.tier, row.tier, why, "resolve_missed", [note])
        values = {"resolve_overdue_time": now, "assigned_to": _assigned(row, [note])}
        return [note] if await self._commit(row, record, values, [note]) else []

    async def _escalate(
        self, row: Any, tier: Tier, why: str, kind: str, now: datetime
    ) -> list[Notification]:
        values: dict[str, Any] = {"tier": tier}
        if esc.needs_human(tier):
            due = esc.deadlines(row.pattern, self._policy, now)
            rearm = kind == "acknowledge_missed"  # the old deadline has passed
            ack_due = due.acknowledge if rearm else esc.tightened(row.ack_due, due.acknowledge)
            values["ack_due"] = ack_due
            values["resolve_due"] = esc.tightened(row.resolve_due, due.resolve)
        lockdown = tier == "lockdown" and esc.is_higher("lockdown", row.tier)
        if lockdown:
            why = f"{why}; {self._lockdown_note()}"
        ack_by = values.get("ack_due") if row.status == "open" else None
        notes = [
            self._notification(
                row,
                audience,
                _TIER_LABEL[reached],
                why,
                self._choose(audience, row, now),
                now,
                ack_by,
            )
            for audience, reached in esc.audiences(row.tier, tier).items()
        ]
        values["assigned_to"] = _assigned(row, notes)
        record = _record(now, row.tier, tier, why, kind, notes)
        if not await self._commit(row, record, values, notes):
            return []
        if lockdown and self._set_threat_level is not None and self._raises_threat_level():
            await self._set_threat_level(
                "lockdown",
                actor=ACTOR,
                reason=f"incident {row.id} reached the lockdown tier: {why}",
            )
        return notes

    async def _commit(
        self,
        row: Any,
        record: dict[str, Any],
        values: dict[str, Any],
        notes: list[Notification],
    ) -> bool:
        """Store the step (if nobody took it meanwhile), audit it, then send its notes."""
        saved = await asyncio.to_thread(self._save, row, record, values)
        if not saved:
            log.info("incident %s changed meanwhile; escalation step skipped", row.id)
            return False
        for note in notes:
            await self._bus.publish(note)
        return True

    # -- pieces ------------------------------------------------------------------------------

    def _choose(self, audience: str, row: Any, now: datetime) -> Choice:
        if audience == "guard":
            return self._guards.choose_guards(row.room_id, now)
        if audience == "supervisor":
            return self._guards.choose_supervisors(now)
        return Choice([], "shown to everyone watching the dashboard")

    def _raises_threat_level(self) -> bool:
        return self._policy.lockdown_raises_threat_level and self._set_threat_level is not None

    def _lockdown_note(self) -> str:
        if self._raises_threat_level():
            return "site threat level set to lockdown"
        if self._policy.lockdown_raises_threat_level:
            return "lockdown recommended (no access control to set the threat level)"
        return "lockdown recommended; the site policy leaves the threat level to people"

    def _notification(
        self,
        row: Any,
        audience: str,
        heading: str,
        why: str,
        chosen: Choice,
        now: datetime,
        ack_by: datetime | None,
    ) -> Notification:
        room = self._room_name(row.room_id)
        body = [f"{row.title} ({row.id}){f' in {room}' if room else ''}.", f"Why: {why}."]
        if ack_by is not None:
            body.append(f"Acknowledge by {_clock_time(ack_by)}.")
        if chosen.recipients:
            body.append(f"Chosen: {chosen.reason}.")
        return Notification(
            device_id="escalation",
            site_time=now,
            received_time=now,
            audience=audience,
            recipients=chosen.recipients,
            subject=f"{heading}: {row.title}"[:200],
            body=" ".join(body)[:4000],
            severity=Severity(row.severity),
            incident_id=row.id,
            reason=f"{why}; {chosen.reason}"[:500],
        )

    def _room_name(self, room_id: str | None) -> str | None:
        if room_id is None:
            return None
        try:
            return self._site.room(room_id).name
        except KeyError:
            return room_id

    def _read(self, incident_id: str) -> Any:
        with self._engine.connect() as conn:
            return store.get_row(conn, incident_id)

    def _due(self, now: datetime) -> list[Any]:
        with self._engine.connect() as conn:
            return store.due_rows(conn, now)

    def _save(self, row: Any, record: dict[str, Any], values: dict[str, Any]) -> bool:
        with writing(self._engine) as conn:
            saved = store.save(conn, row, record, values)
        if saved:
            details = {**record, **{k: _json(v) for k, v in values.items() if k != "assigned_to"}}
            self._audit.append(ACTOR, f"incident.{_KIND_ACTION[record['kind']]}", row.id, details)
        return saved


_TIER_LABEL: dict[str, str] = {
    "dashboard": "New incident",
    "page_guard": "Guard needed",
    "supervisor": "Supervisor needed",
    "lockdown": "Lockdown tier",
}

_KIND_ACTION = {
    "assessment": "escalated",
    "acknowledge_missed": "acknowledge_missed",
    "resolve_missed": "resolve_missed",
}


def _record(
    now: datetime,
    old: str | None,
    new: str | None,
    why: str,
    kind: str,
    notes: list[Notification],
) -> dict[str, Any]:
    return {
        "time": now.isoformat(),
        "from": old,
        "to": new,
        "why": why,
        "kind": kind,
        "notified": [
            {"audience": n.audience, "recipients": n.recipients, "reason": n.reason} for n in notes
        ],
    }


def _assigned(row: Any, notes: list[Notification]) -> list[str]:
    people = list(row.assigned_to or [])
    for note in notes:
        people += [p for p in note.recipients if p not in people]
    return people


def _clock_time(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value is not None else "?"


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value
