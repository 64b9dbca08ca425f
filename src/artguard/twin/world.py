"""The twin's shared state and timeline: what every behaviour and scenario writes to.

Behaviours never call the pipeline. They schedule steps (``world.at(time, step)``), emit device
events (``world.emit(event)``) and ask for doors (``world.badge(...)``); the driver (the drill
runner or the real-time demo) pops what is due with :meth:`World.due` and delivers it. Badge
requests are answered by access control; the driver calls :meth:`World.answer` with the
decision, and the requester's ``on_grant`` / ``on_deny`` step runs then, at the decision time,
so a door opens only when artguard granted it, as at a real reader.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from artguard.events import AccessAttempt, AccessDecision, EventBase
from artguard.site import Site
from artguard.twin.truth import GroundTruth

Step = Callable[[datetime], None]
"""Something a behaviour does at a time; it may emit events and schedule further steps."""

DecisionStep = Callable[[datetime, AccessDecision], None]


@dataclass
class BadgeRequest:
    """A credential presented at a reader, waiting for access control's answer."""

    attempt: AccessAttempt
    on_grant: DecisionStep | None = None
    on_deny: DecisionStep | None = None
    """Called for ``deny`` and for ``step_up`` (the reader could not supply the factors)."""
    face_failed: str | None = None
    """The reader's face check failed, with this reason (a lost badge used by someone else, a
    photo held to the camera). The twin simulates the verifier's *outcome*, as it simulates
    a detector's boxes; the driver adds the same ``face.failed`` finding to the decision that
    :meth:`AccessService.decide_with_face` adds when the real model rejects a face."""


@dataclass(order=True)
class _Due:
    at: datetime
    order: int
    item: Step | EventBase | BadgeRequest = field(compare=False)


@dataclass
class Presence:
    """Who the twin has where, for behaviours that react to people (PIR, cameras)."""

    by_room: dict[str, set[str]] = field(default_factory=dict)
    """room id -> ids of the simulated people in it (visitors ``v-…``, staff person ids)."""

    positions: dict[str, tuple[float, float]] = field(default_factory=dict)
    """who -> floor-plan position in metres, when the mover knows it (cameras draw people
    there; without one a camera places them at a stable random spot in their room)."""

    def enter(self, who: str, room: str, xy: tuple[float, float] | None = None) -> None:
        for people in self.by_room.values():
            people.discard(who)
        self.by_room.setdefault(room, set()).add(who)
        if xy is not None:
            self.positions[who] = xy
        else:
            self.positions.pop(who, None)

    def move_to(self, who: str, xy: tuple[float, float]) -> None:
        """A new position inside the same room."""
        self.positions[who] = xy

    def leave(self, who: str) -> None:
        for people in self.by_room.values():
            people.discard(who)
        self.positions.pop(who, None)

    def count(self, room: str) -> int:
        return len(self.by_room.get(room, ()))

    def room_of(self, who: str) -> str | None:
        for room, people in self.by_room.items():
            if who in people:
                return room
        return None


class World:
    """One simulated site: its clock-ordered timeline, random source, presence and truth.

    Deterministic for a seed: every behaviour draws from :meth:`rng` streams derived from the
    seed and its own name, so adding a behaviour does not change what the others do.
    """

    def __init__(self, site: Site, start: datetime, seed: int = 0) -> None:
        if start.tzinfo is None:
            raise ValueError("the twin's start time must be timezone-aware")
        self.site = site
        self.start = start
        self.seed = seed
        self.now = start
        self.presence = Presence()
        self.truth: list[GroundTruth] = []
        self.state: dict[str, Any] = {}
        """Shared facts behaviours publish for each other (e.g. ``"doors_open"``)."""
        self._queue: list[_Due] = []
        self._order = itertools.count()
        self._rngs: dict[str, random.Random] = {}
        self._waiting: dict[str, BadgeRequest] = {}
        self._listeners: dict[str, list[Callable[..., None]]] = {}

    # -- for behaviours and scenarios ------------------------------------------------------

    def rng(self, name: str) -> random.Random:
        """A random stream of its own for ``name``, seeded from the world's seed."""
        if name not in self._rngs:
            self._rngs[name] = random.Random(f"{self.seed}:{name}")
        return self._rngs[name]

    def at(self, when: datetime, step: Step) -> None:
        """Run ``step(when)`` when the clock reaches ``when``."""
        heapq.heappush(self._queue, _Due(when, next(self._order), step))

    def emit(self, event: EventBase) -> None:
        """Deliver a device event at its own ``site_time``."""
        heapq.heappush(self._queue, _Due(event.site_time, next(self._order), event))

    def badge(
        self,
        attempt: AccessAttempt,
        on_grant: DecisionStep | None = None,
        on_deny: DecisionStep | None = None,
        *,
        face_failed: str | None = None,
    ) -> None:
        """Present a credential at ``attempt.site_time``; access control decides it."""
        request = BadgeRequest(attempt, on_grant, on_deny, face_failed)
        heapq.heappush(self._queue, _Due(attempt.site_time, next(self._order), request))

    def on(self, signal: str, listener: Callable[..., None]) -> None:
        """Call ``listener(at, **data)`` whenever a behaviour raises ``signal``.

        Signals in use: ``"move"`` (``who``, ``src``, ``dst`` room ids or ``"outside"``,
        ``role``: ``"visitor"``/``"staff"``/``"intruder"``, ``door``: the door id passed or
        None) raised by whoever moves a person between rooms, so doors, PIRs and cameras can
        react; ``"door"`` (``door``, ``contact`` ``"open"``/``"closed"``).
        """
        self._listeners.setdefault(signal, []).append(listener)

    def signal(self, signal: str, at: datetime, **data: Any) -> None:
        for listener in self._listeners.get(signal, ()):
            listener(at, **data)

    def record(self, truth: GroundTruth) -> None:
        """A scenario's ground truth: what happens, when and where."""
        self.truth.append(truth)

    # -- for the driver --------------------------------------------------------------------

    def next_time(self) -> datetime | None:
        return self._queue[0].at if self._queue else None

    def due(self, until: datetime) -> list[EventBase | BadgeRequest]:
        """Run every step due at or before ``until`` and return the events and badge requests
        due by then, in time order. Steps may schedule more work; work they schedule at or
        before ``until`` is included."""
        out: list[EventBase | BadgeRequest] = []
        while self._queue and self._queue[0].at <= until:
            due = heapq.heappop(self._queue)
            self.now = max(self.now, due.at)
            if isinstance(due.item, EventBase):
                out.append(due.item)
            elif isinstance(due.item, BadgeRequest):
                self._waiting[due.item.attempt.id] = due.item
                out.append(due.item)
            else:
                due.item(due.at)
        self.now = max(self.now, until)
        return out

    def answer(self, attempt_id: str, decision: AccessDecision) -> None:
        """Access control's decision (its event) for the badge request whose attempt had id
        ``attempt_id``; runs the requester's follow-up step at the decision's time."""
        request = self._waiting.pop(attempt_id, None)
        if request is None:
            return
        follow = request.on_grant if decision.outcome == "grant" else request.on_deny
        if follow is not None:
            follow(decision.site_time, decision)


Behaviour = Callable[[World, datetime, datetime], None]
"""Sets up a behaviour for ``[start, end)`` of ``world``: schedules its first steps."""
