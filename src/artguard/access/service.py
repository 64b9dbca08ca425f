"""The access-control service: decides, remembers, records and audits door requests.

Readers reach it three ways, all ending in :meth:`AccessService.decide`:

* ``POST /api/access/decide`` (request and answer in one HTTP call);
* an ``access_attempt`` event with ``granted: null`` sent through ingestion (HTTP or MQTT):
  the answer is published as an ``access_decision`` event, which an MQTT reader receives on
  ``artguard/<site>/access_decision/<reader>``;
* in process (the digital twin's readers in drills and ``artguard demo``, ``bench/access.py``).

Every decision is stored as an ``access_decision`` event and sealed in the audit log before the
answer is returned. The service also follows door contacts (interlocks), raises the threat level
to ``lockdown`` when a grave incident opens (``auto_lockdown``), and on start rebuilds its
memory from the stored decisions of the last day.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine

from artguard.access.anomaly import BehaviourRisk
from artguard.access.face import FaceChallenges, FaceOutcome
from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest, Decision, Finding, RequestError
from artguard.access.rules_presence import due_reverifications
from artguard.bus import Bus
from artguard.events import (
    AccessAttempt,
    AccessDecision,
    Alert,
    DoorState,
    EventBase,
    IncidentChanged,
    OperatorAction,
    Severity,
    utcnow,
)
from artguard.site import Site
from artguard.site.access_policy import THREAT_LEVELS
from artguard.store.audit import AuditRecord
from artguard.store.audit_group import GroupAudit
from artguard.store.events import load_events

log = logging.getLogger(__name__)

RESTORE_WINDOW = timedelta(hours=24)
"""How far back the stored decisions are replayed into the state on start."""
LEARN_WINDOW = timedelta(days=60)
"""How far back stored grants teach the behaviour baseline on start."""
THREAT_ACTION = "access.threat_level"


@dataclass
class AccessStats:
    decisions: int = 0
    grants: int = 0
    denials: int = 0
    step_ups: int = 0
    bad_requests: int = 0


class AccessService:
    """One site's door decisions, with their records."""

    def __init__(
        self,
        site: Site,
        *,
        bus: Bus,
        audit: GroupAudit,
        pdp: DecisionPoint | None = None,
        faces: FaceChallenges | None = None,
    ) -> None:
        self.site = site
        self.behaviour = BehaviourRisk(site)
        self.pdp = pdp or DecisionPoint(site, risk_sources=[self.behaviour])
        self._bus = bus
        self._audit = audit
        self._lock = asyncio.Lock()
        self._reverify_alerted: set[tuple[str, str]] = set()
        self.faces = faces
        self.stats = AccessStats()

    @property
    def threat_level(self) -> str:
        return self.pdp.state.threat_level

    def attach(self) -> None:
        self._bus.subscribe(
            "access", self.handle, kinds={"access_attempt", "door_state", "incident"}
        )

    def explain(self, request: AccessRequest) -> Decision:
        """The decision this request would get now, changing nothing (a dry run)."""
        return self.pdp.decide(request)

    def challenge(self, decision: Decision) -> dict[str, object] | None:
        """A face challenge for a step-up that needs a face (None when biometrics are off)."""
        return self.faces.issue(decision) if self.faces is not None else None

    async def decide_with_face(
        self, request: AccessRequest, nonce: str, frames: list[tuple[float, Any]]
    ) -> tuple[Decision, FaceOutcome]:
        """Judge a face answer, then decide the request with ``face`` presented if it passed
        (a failed face is a denial with its reason). Frames are never stored."""
        if self.faces is None:
            raise RequestError("nonce", "face step-up is not configured on this site")
        outcome = await asyncio.to_thread(self.faces.judge, request, nonce, frames)
        if outcome.passed:
            presented = replace(request, factors=request.factors | {"face"})
            found = Finding("face.verified", "risk", f"face verified: {outcome.reason}")
            return await self.decide(presented, extra=[found]), outcome
        failed = Finding("face.failed", "deny", f"face step-up failed: {outcome.reason}", risk=0.3)
        return await self.decide(request, extra=[failed]), outcome

    async def decide(self, request: AccessRequest, extra: Sequence[Finding] = ()) -> Decision:
        """Decide, remember, store and audit; returns once the record is durable."""
        async with self._lock:  # decisions on shared state (pairs, presence) one at a time
            decision = self.pdp.decide(request, extra)
            self.pdp.record(decision)
        event = decision_event(self.site, decision).received()
        record = AuditRecord(
            actor=f"reader:{request.reader_id}",
            action=f"access.{decision.outcome}",
            subject=request.credential_id,
            details=decision.as_dict(),
            at=utcnow(),
        )
        await self._audit.append(record, [event])  # one commit for the record and the event
        await self._bus.publish(event)
        self._count(decision)
        return decision

    async def set_threat_level(self, level: str, *, actor: str, reason: str) -> None:
        """Change the site's threat level (audited, stored, published)."""
        if level not in THREAT_LEVELS:
            raise RequestError("level", f"unknown threat level {level!r}; expected {THREAT_LEVELS}")
        previous = self.pdp.state.threat_level
        self.pdp.state.threat_level = level
        self.pdp.state.threat_reason = reason
        now = utcnow()
        event = OperatorAction(
            id=_id("threat", level, actor, now.isoformat()),
            device_id="access",
            site_time=now,
            actor=actor,
            action=THREAT_ACTION,
            target_id=level,
            note=reason[:2000],
        ).received(now)
        details = {"from": previous, "to": level, "reason": reason}
        await self._audit.append(
            AuditRecord(actor, THREAT_ACTION, self.site.id, details, now), [event]
        )
        await self._bus.publish(event)
        log.warning("threat level %s -> %s by %s: %s", previous, level, actor, reason)

    async def handle(self, event: EventBase) -> None:
        if isinstance(event, DoorState):
            self.pdp.state.door_changed(event.door_id, event.contact == "open")
        elif isinstance(event, IncidentChanged):
            await self._maybe_lockdown(event)
        elif isinstance(event, AccessAttempt) and event.granted is None:
            try:
                request = AccessRequest.make(
                    event.credential_id, event.device_id, event.site_time, event.factors, event.id
                )
            except RequestError as exc:
                self.stats.bad_requests += 1
                log.warning("access attempt %s cannot be decided: %s", event.id, exc)
                return
            await self.decide(request)

    async def tick(self, now: datetime | None = None) -> list[Alert]:
        """Alerts for people overdue a re-verification inside high-security rooms."""
        at = now or utcnow()
        alerts = []
        due = due_reverifications(self.site, self.pdp.policy, self.pdp.state, at)
        current = {(person, room) for person, room, _ in due}
        self._reverify_alerted &= current
        for person_id, room_id, since in due:
            if (person_id, room_id) in self._reverify_alerted:
                continue
            self._reverify_alerted.add((person_id, room_id))
            alerts.append(self._reverify_alert(person_id, room_id, since, at))
        for alert in alerts:
            await self._bus.publish(alert.received())
        return alerts

    async def restore(self, engine: Engine, now: datetime | None = None) -> int:
        """Rebuild presence, lock-outs, pairs and the threat level from the stored records of
        the day before ``now`` (default: the wall clock; later records are left out), and the
        behaviour baseline from the grants of the 60 days before that."""
        until = now or utcnow()
        state_since = until - RESTORE_WINDOW
        kinds = ["access_decision", "door_state", "operator_action"]
        replayed, learned, after = 0, 0, 0
        while True:
            page = await asyncio.to_thread(_page, engine, after, kinds, until - LEARN_WINDOW)
            if not page:
                break
            for seq, event in page:
                after = seq
                if event.site_time > until:
                    continue
                if event.site_time >= state_since:
                    replayed += self._replay(event)
                elif _is_entry(event):
                    assert isinstance(event, AccessDecision)
                    assert event.person_id is not None and event.door_id is not None
                    self.behaviour.baseline.observe(event.person_id, event.door_id, event.site_time)
                    learned += 1
        if replayed or learned:
            log.info("access: %d records replayed, %d past grants learned", replayed, learned)
        return replayed

    # -- internals ---------------------------------------------------------------------------

    def _replay(self, event: EventBase) -> int:
        if isinstance(event, AccessDecision):
            decision = decision_from_event(self.site, event)
            if decision is not None:
                self.pdp.record(decision)
                return 1
        elif isinstance(event, DoorState):
            self.pdp.state.door_changed(event.door_id, event.contact == "open")
            return 1
        elif (
            isinstance(event, OperatorAction)
            and event.action == THREAT_ACTION
            and event.target_id in THREAT_LEVELS
        ):
            self.pdp.state.threat_level = event.target_id
            self.pdp.state.threat_reason = event.note or ""
            return 1
        return 0

    async def _maybe_lockdown(self, event: IncidentChanged) -> None:
        auto = self.pdp.policy.auto_lockdown
        if not auto.enabled or event.change != "opened" or self.threat_level == "lockdown":
            return
        if event.severity.rank < Severity(auto.severity).rank:
            return
        await self.set_threat_level(
            "lockdown",
            actor="system:auto_lockdown",
            reason=f"{event.severity.value} incident {event.incident_id} opened: {event.title}",
        )

    def _reverify_alert(self, person_id: str, room_id: str, since: datetime, at: datetime) -> Alert:
        person = self.site.person(person_id)
        room = self.site.room(room_id)
        minutes = (at - since).total_seconds() / 60
        limit = self.pdp.policy.reverify.after.total_seconds() / 60
        return Alert(
            id=_id("reverify", person_id, room_id, since.isoformat()),
            device_id="access",
            site_time=at,
            rule="access_reverify",
            severity=Severity.medium,
            title=f"{person.name} due for re-verification in {room.name}",
            reasons=[
                f"{person.name} has been in {room.name} (security level {room.security_level}) "
                f"for {minutes:.0f} min since the last full verification (limit {limit:.0f} min)"
            ],
            evidence={"person_id": person_id, "minutes": round(minutes, 1)},
            dedup_key=f"access_reverify:{person_id}:{room_id}",
            room_id=room_id,
            first_event_time=since,
        )

    def _count(self, decision: Decision) -> None:
        self.stats.decisions += 1
        if decision.outcome == "grant":
            self.stats.grants += 1
        elif decision.outcome == "deny":
            self.stats.denials += 1
        else:
            self.stats.step_ups += 1


def decision_event(site: Site, decision: Decision) -> AccessDecision:
    """The stored and published record of a decision (same request, same id)."""
    request = decision.request
    key = request.request_id or f"{request.credential_id}|{request.reader_id}|{request.at}"
    return AccessDecision(
        id=_id("decision", key, ",".join(sorted(request.factors))),
        device_id=request.reader_id,
        site_time=request.at,
        credential_id=request.credential_id[:128],
        outcome=decision.outcome,
        risk=round(min(max(decision.risk, 0.0), 1.0), 4),
        reasons=decision.reasons or [decision.outcome],
        required=list(decision.required),
        factors=sorted(request.factors),
        rules=[f.rule for f in decision.findings],
        person_id=decision.person_id,
        door_id=decision.door_id,
        room_id=decision.room_id,
        direction=decision.direction,
        threat_level=decision.threat_level,
    )


def decision_from_event(site: Site, event: AccessDecision) -> Decision | None:
    """A stored decision back as a :class:`Decision`, to replay into the state."""
    try:
        request = AccessRequest.make(
            event.credential_id, event.device_id, event.site_time, event.factors or ["card"]
        )
    except RequestError:
        return None
    person = site.credential_holder(event.credential_id)
    return Decision(
        event.outcome,
        request,
        event.risk,
        list(event.reasons),
        required=list(event.required),  # type: ignore[arg-type]
        person_id=event.person_id,
        role=person.role if person else None,
        door_id=event.door_id,
        room_id=event.room_id,
        direction=event.direction,
        threat_level=event.threat_level,
    )


def _is_entry(event: EventBase) -> bool:
    return (
        isinstance(event, AccessDecision)
        and event.outcome == "grant"
        and event.direction == "in"
        and event.person_id is not None
        and event.door_id is not None
    )


def _id(*parts: str) -> str:
    return "ac-" + hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def _page(engine: Engine, after: int, kinds: list[str], since: datetime) -> list:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return load_events(conn, after_seq=after, limit=1000, kinds=kinds, since=since)
