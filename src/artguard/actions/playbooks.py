"""Runs the site's playbooks: when an incident matches, do what the playbook says, once.

The runner follows ``incident`` events. An incident matches a playbook when its pattern is one
of the playbook's (or it lists ``any``), its score is at least ``min_score`` and, when the
playbook names rooms, one of the incident's rooms (any room its alerts name) is among them. A
playbook runs at most once per incident, even across restarts: the run is claimed in
``playbook_runs`` (primary key incident + playbook) before any action starts, so a run
interrupted by a crash is not repeated (its actions so far are recorded; people take over).

The actions of a run start together, in the listed order, and each is recorded when it ends:
an ``incident_actions`` row per target (incident, playbook, action, target, status, detail,
actor ``playbook:<id>``, start and end), an audit entry ``playbook.<action>`` and an
``operator_action`` event for the dashboard. Actions:

* ``lock_doors``: lock through the :class:`~artguard.actions.doors.DoorController`, all doors
  at once; status is the command's outcome (confirmed, timeout, failed, rejected, no_route).
* ``threat_level``: raise the site's threat level through the injected callable (the access
  service); never lowers it (``lockdown`` stays when a playbook asks for ``elevated``).
* ``notify``: publish a :class:`~artguard.events.Notification`; the notifier delivers it and
  records each delivery (``GET /api/incidents/{id}/actions`` lists both).
* ``record``: start clips through the injected callable; its detail says, per camera, whether
  this process can record it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from artguard.actions import records
from artguard.actions.doors import CommandResult, DoorController
from artguard.actions.records import ActionRecord
from artguard.bus import Bus
from artguard.events import (
    EventBase,
    IncidentChanged,
    Notification,
    OperatorAction,
    Severity,
    utcnow,
)
from artguard.site import OUTSIDE, Site
from artguard.site.playbooks import (
    DEFAULT_MESSAGE,
    INCIDENT_ROOM,
    Action,
    NotifyAction,
    Playbook,
    Targets,
)
from artguard.store.audit import AuditLog

log = logging.getLogger(__name__)

CLOSED = frozenset({"resolved", "false_alarm"})
THREAT_ORDER = ("normal", "elevated", "lockdown")


class SetThreatLevel(Protocol):
    def __call__(self, level: str, *, actor: str, reason: str) -> Awaitable[None]: ...


Record = Callable[[list[str], int, str], Awaitable[str]]


@dataclass(frozen=True)
class IncidentView:
    """What the actions need to know about the incident."""

    id: str
    title: str
    severity: str
    pattern: str | None
    score: float | None
    room_id: str | None
    rooms: frozenset[str]


class IncidentNotFound(LookupError):
    pass


class PlaybookRunner:
    """Matches incidents against the site's playbooks and runs them (see the module doc)."""

    def __init__(
        self,
        site: Site,
        bus: Bus,
        engine: Any,
        audit: AuditLog,
        doors: DoorController,
        *,
        set_threat_level: SetThreatLevel | None = None,
        threat_level: Callable[[], str] | None = None,
        record: Record | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._site = site
        self._bus = bus
        self._engine = engine
        self._audit = audit
        self._doors = doors
        self._set_threat_level = set_threat_level
        self._threat_level = threat_level
        self._record = record
        self._clock = clock
        self._claimed: set[tuple[str, str]] = set()
        self._tasks: set[asyncio.Task[list[ActionRecord]]] = set()

    def attach(self) -> None:
        self._bus.subscribe("playbooks", self.handle, kinds={"incident"})

    async def handle(self, event: EventBase) -> None:
        if not isinstance(event, IncidentChanged) or event.status in CLOSED:
            return
        candidates = [
            p
            for p in self._site.playbooks
            if (event.incident_id, p.id) not in self._claimed
            and p.triggers(event.pattern, event.score)
        ]
        if not candidates:
            return
        rooms = await asyncio.to_thread(records.incident_rooms, self._engine, event.incident_id)
        if event.room_id:
            rooms.add(event.room_id)
        incident = IncidentView(
            event.incident_id,
            event.title,
            event.severity.value,
            event.pattern,
            event.score,
            event.room_id,
            frozenset(rooms),
        )
        for playbook in candidates:
            if not playbook.matches(event.pattern, event.score, rooms):
                continue
            key = (event.incident_id, playbook.id)
            self._claimed.add(key)
            if len(self._claimed) > 50_000:
                self._claimed = {key}
            claimed = await asyncio.to_thread(
                records.claim_run, self._engine, event.incident_id, playbook.id, self._clock()
            )
            if not claimed:
                continue  # it ran before (another process, or before a restart)
            task = asyncio.create_task(self.run(playbook, incident), name=f"playbook-{playbook.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for the runs in progress."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def run(self, playbook: Playbook, incident: IncidentView) -> list[ActionRecord]:
        """Run every action of ``playbook`` for ``incident`` and record them."""
        log.warning(
            "playbook %s runs for incident %s (%s)", playbook.id, incident.id, incident.title
        )
        batches = await asyncio.gather(
            *(
                self._action(playbook, index, action, incident)
                for index, action in enumerate(playbook.do)
            )
        )
        now = self._clock()
        await asyncio.to_thread(records.finish_run, self._engine, incident.id, playbook.id, now)
        return [record for batch in batches for record in batch]

    async def lock_incident_doors(
        self, incident_id: str, actor: str, reason: str
    ) -> list[ActionRecord]:
        """A person's one-click lock of every door of the incident's rooms (an override)."""
        row = await asyncio.to_thread(records.get_incident, self._engine, incident_id)
        if row is None:
            raise IncidentNotFound(f"no incident {incident_id!r}")
        rooms = await asyncio.to_thread(records.incident_rooms, self._engine, incident_id)
        if row["room_id"]:
            rooms.add(row["room_id"])
        started = self._clock()
        doors = self.doors_of(rooms)
        if not doors:
            detail = f"no doors lead into the incident's rooms ({', '.join(sorted(rooms))})"
            record = ActionRecord(
                incident_id, None, "lock_doors", None, "skipped", detail, actor, started, None
            )
            await self._save(record)
            return [record]
        results = await asyncio.gather(
            *(self._doors.lock(d, actor, reason, incident_id, override=True) for d in doors)
        )
        saved = []
        for result in results:
            saved.append(await self._save(_door_record(incident_id, None, actor, started, result)))
        return saved

    async def _action(
        self, playbook: Playbook, index: int, action: Action, incident: IncidentView
    ) -> list[ActionRecord]:
        actor = f"playbook:{playbook.id}"
        started = self._clock()
        try:
            made = await self._execute(playbook, index, action, incident, actor, started)
        except Exception as exc:  # one broken action must not stop the others
            log.exception("playbook %s action %s failed", playbook.id, action.name)
            made = [
                self._make(incident, playbook, action.name, None, "failed", _error(exc), started)
            ]
        return [await self._save(record) for record in made]

    async def _execute(
        self,
        playbook: Playbook,
        index: int,
        action: Action,
        incident: IncidentView,
        actor: str,
        started: datetime,
    ) -> list[ActionRecord]:
        reason = f"playbook {playbook.id}: {incident.title} (incident {incident.id})"
        if action.lock_doors is not None:
            doors = self._targets(action.lock_doors, incident, self.doors_of)
            if not doors:
                detail = f"no doors lead into {', '.join(sorted(incident.rooms)) or 'no room'}"
                return [
                    self._make(incident, playbook, "lock_doors", None, "skipped", detail, started)
                ]
            results = await asyncio.gather(
                *(self._doors.lock(d, actor, reason, incident.id) for d in doors)
            )
            return [_door_record(incident.id, playbook.id, actor, started, r) for r in results]
        if action.threat_level is not None:
            status, detail = await self._raise_threat_level(action.threat_level, actor, reason)
            level = action.threat_level
            return [self._make(incident, playbook, "threat_level", level, status, detail, started)]
        if action.notify is not None:
            note = self._notification(playbook, action.notify, incident)
            await self._bus.publish(note)
            target = action.notify.channel or action.notify.audience
            detail = f"notification {note.id} to {note.audience}: {note.subject}"
            return [self._make(incident, playbook, "notify", target, "published", detail, started)]
        assert action.record is not None
        cameras = self._targets(action.record.cameras, incident, self.cameras_of)
        if self._record is None:
            status, detail = "unavailable", "no camera evidence recorder runs in this process"
        else:
            status, detail = "started", await self._record(cameras, action.record.seconds, reason)
        target = ",".join(cameras)[:256] or None
        return [self._make(incident, playbook, "record", target, status, detail, started)]

    async def _raise_threat_level(self, level: str, actor: str, reason: str) -> tuple[str, str]:
        if self._set_threat_level is None:
            return "unavailable", "no access control runs in this process"
        current = self._threat_level() if self._threat_level else "normal"
        if _rank(current) >= _rank(level):
            return "done", f"already {current}; a playbook never lowers the threat level"
        await self._set_threat_level(level, actor=actor, reason=reason)
        return "done", f"threat level {current} -> {level}"

    def _notification(
        self, playbook: Playbook, notify: NotifyAction, incident: IncidentView
    ) -> Notification:
        room = self._room_name(incident.room_id)
        fields = {
            "title": incident.title,
            "score": "?" if incident.score is None else f"{incident.score:.2f}",
            "pattern": incident.pattern or "none",
            "room": room or "unknown",
            "incident_id": incident.id,
            "severity": incident.severity,
            "playbook": playbook.id,
        }
        now = self._clock()
        return Notification(
            device_id="playbooks",
            site_time=now,
            received_time=now,
            audience=notify.audience,
            subject=f"{incident.title}"[:200],
            body=(notify.message or DEFAULT_MESSAGE).format_map(fields)[:4000],
            severity=Severity(incident.severity),
            incident_id=incident.id,
            reason=f"playbook {playbook.id} matched (pattern {fields['pattern']}, score "
            f"{fields['score']})"[:500],
            channels=[notify.channel] if notify.channel else [],
        )

    def doors_of(self, rooms: frozenset[str] | set[str]) -> list[str]:
        """The doors leading into or out of any of ``rooms``."""
        return [
            d.id for d in self._site.doors if {d.from_room, d.to_room} & (set(rooms) - {OUTSIDE})
        ]

    def cameras_of(self, rooms: frozenset[str] | set[str]) -> list[str]:
        """The cameras covering any of ``rooms``."""
        return [c.id for c in self._site.cameras if set(c.rooms) & set(rooms)]

    @staticmethod
    def _targets(
        targets: Targets, incident: IncidentView, of: Callable[[frozenset[str]], list[str]]
    ) -> list[str]:
        if isinstance(targets, list):
            return list(targets)
        if targets == INCIDENT_ROOM:
            return of(frozenset({incident.room_id} if incident.room_id else set()))
        return of(incident.rooms)

    def _make(
        self,
        incident: IncidentView,
        playbook: Playbook,
        action: str,
        target: str | None,
        status: str,
        detail: str,
        started: datetime,
    ) -> ActionRecord:
        return ActionRecord(
            incident.id,
            playbook.id,
            action,
            target,
            status,
            detail,
            f"playbook:{playbook.id}",
            started,
            self._clock(),
        )

    async def _save(self, record: ActionRecord) -> ActionRecord:
        await asyncio.to_thread(records.add_action, self._engine, record)
        details = {
            "incident_id": record.incident_id,
            "playbook_id": record.playbook_id,
            "target": record.target,
            "status": record.status,
            "detail": record.detail,
        }
        verb = f"playbook.{record.action}" if record.playbook_id else f"incident.{record.action}"
        await asyncio.to_thread(self._audit.append, record.actor, verb, record.incident_id, details)
        now = record.finished_time or self._clock()
        await self._bus.publish(
            OperatorAction(
                device_id="playbooks",
                site_time=now,
                received_time=now,
                actor=record.actor[:128],
                action=verb,
                target_id=record.target,
                note=f"{record.status}: {record.detail} (incident {record.incident_id})"[:2000],
            )
        )
        return record

    def _room_name(self, room_id: str | None) -> str | None:
        if room_id is None:
            return None
        try:
            return self._site.room(room_id).name
        except KeyError:
            return room_id


def _door_record(
    incident_id: str, playbook_id: str | None, actor: str, started: datetime, result: CommandResult
) -> ActionRecord:
    detail = f"{result.detail} (command {result.command_id} via {result.transport})"
    return ActionRecord(
        incident_id,
        playbook_id,
        "lock_doors",
        result.door_id,
        result.status,
        detail,
        actor,
        started,
        result.finished_time,
    )


def _rank(level: str) -> int:
    return THREAT_ORDER.index(level) if level in THREAT_ORDER else 0


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:500]
