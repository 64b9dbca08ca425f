"""People of the site as processes on the twin's timeline: walking, badging, waiting.

A person's day is a generator that yields what it waits for (:class:`Wait`, :class:`Badge`)
and receives the outcome (for a badge: access control's decision), so "badge at the vault,
and if granted go in" reads as straight-line code. :class:`Process` runs one on a
:class:`~artguard.twin.world.World`; one process may move several people (a pair entering the
vault, a guard escorting a contractor).

Walking follows the floor plan: the shortest route through rooms the person may enter, a
badge wherever a door asks for one (:func:`~artguard.twin.doors.needs_badge`), a request to
exit where the other side has no reader. Every passage raises the world's ``"move"`` signal,
so doors, sensors and cameras react, and keeps ``world.presence`` current.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from artguard.access.floorplan import FloorPlan, centroid
from artguard.events import AccessAttempt, AccessDecision
from artguard.site import Door, Person, Site
from artguard.site.entities import OUTSIDE
from artguard.site.people import ALL_ROOMS
from artguard.twin.doors import door_between, enters, needs_badge
from artguard.twin.world import World

WALK_M_PER_S = 1.1
"""An unhurried indoor pace."""
MIN_HOP_S = 8.0
"""Crossing a room, however small, and opening its door."""
TRAVEL_MARGIN_S = 3.0
"""Seconds on top of the floor plan's fastest walk between two readers a person keeps, so the
impossible-travel check never sees an ordinary walk."""


@dataclass(frozen=True)
class Wait:
    seconds: float


@dataclass(frozen=True)
class Badge:
    """Present ``agent``'s credential at ``door`` to pass into ``into``; the process receives
    the :class:`AccessDecision`."""

    agent: Agent
    door: Door
    into: str
    face_failed: str | None = None


Op = Wait | Badge
Script = Generator[Op, Any, Any]


@dataclass
class Agent:
    """One simulated person: who they are, where they are, what they are doing."""

    person: Person
    site: Site
    who: str = ""
    room: str | None = None
    """Their room, or None while outside the building."""
    busy: bool = False
    """Doing something of their own a coordinator must not interrupt (a patrol, a walk)."""
    reserved: bool = False
    """Taken by a coordinator (a vault visit, an escort); their own process waits."""
    last_badge: tuple[str, datetime] | None = None
    badges: int = 0
    denials: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.who = self.who or self.person.id

    @property
    def role(self) -> str:
        return self.person.role

    def may_enter(self, room: str) -> bool:
        return room == OUTSIDE or ALL_ROOMS in self.person.zones or room in self.person.zones

    def card(self) -> str:
        """The credential they present at a reader (their card, else their first)."""
        cards = [c for c in self.person.credentials if c.type == "card"]
        return (cards or self.person.credentials)[0].id

    def holds(self, factor: str) -> bool:
        return any(c.type == factor for c in self.person.credentials)

    def valid_at(self, at: datetime) -> bool:
        """Whether the credential they badge with is valid at ``at``."""
        return bool(self.person.credentials) and self.site.credential_valid(self.card(), at)


def reader_for(door: Door, into: str) -> tuple[str, bool] | None:
    """The reader to badge at to pass ``door`` into ``into``, and whether it leads out."""
    if enters(door, into):
        return (door.readers[0], False) if door.readers else None
    return (door.exit_readers[0], True) if door.exit_readers else None


def factors_for(site: Site, agent: Agent, door: Door, into: str) -> list[str]:
    """What the person presents: every factor they hold that the room entered asks for."""
    if not enters(door, into) or into == OUTSIDE:
        return ["card"]
    needed = site.policies.access.required_factors(site.room(into).security_level)
    return [f for f in needed if agent.holds(f)] or ["card"]


class Process:
    """Runs one script on the world's timeline."""

    def __init__(self, world: World, script: Callable[[Process], Script]) -> None:
        self.world = world
        self.now = world.now
        self._script = script(self)
        self.done = False

    def start(self, at: datetime) -> Process:
        self.world.at(at, lambda when: self._resume(when, None))
        return self

    def _resume(self, at: datetime, value: Any) -> None:
        self.now = at
        try:
            op = self._script.send(value)
        except StopIteration:
            self.done = True
            return
        if isinstance(op, Wait):
            later = at + timedelta(seconds=max(op.seconds, 0.0))
            self.world.at(later, lambda when: self._resume(when, None))
            return
        self._badge(op, at)

    def _badge(self, op: Badge, at: datetime) -> None:
        agent = op.agent
        found = reader_for(op.door, op.into)
        if found is None:
            raise ValueError(f"door {op.door.id!r} has no reader towards {op.into!r}")
        reader, out = found
        factors = factors_for(self.world.site, agent, op.door, op.into)
        if op.face_failed:  # the face was tried and refused: it is not a presented factor
            factors = [f for f in factors if f != "face"] or ["card"]
        attempt = AccessAttempt(
            device_id=reader,
            site_time=at,
            credential_id=agent.card(),
            factors=factors,  # type: ignore[arg-type]
            direction="out" if out else "in",
        )
        agent.last_badge = (op.door.id, at)
        agent.badges += 1

        def answered(when: datetime, decision: AccessDecision) -> None:
            if decision.outcome != "grant":
                agent.denials.append(f"{decision.outcome}: {'; '.join(decision.reasons)}")
            self._resume(when, decision)

        self.world.badge(attempt, answered, answered, face_failed=op.face_failed)


class Walker:
    """Routes and walking times over one site's floor plan."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.plan = FloorPlan(site)
        self._centres = {r.id: centroid(r.polygon) for r in site.rooms}
        self._links: dict[str, set[str]] = {r.id: set(site.adjacent(r.id)) for r in site.rooms}
        self._links[OUTSIDE] = set()
        for door in site.doors:
            self._links.setdefault(door.from_room, set()).add(door.to_room)
            self._links.setdefault(door.to_room, set()).add(door.from_room)

    def route(
        self, agent: Agent, src: str, dst: str, first_door: Door | None = None
    ) -> list[str] | None:
        """Rooms from ``src`` to ``dst`` (both included) through rooms ``agent`` may enter;
        ``first_door``: leave ``src`` through this door (staff use the staff entrance)."""
        if src == dst:
            return [src]
        start = [src]
        if first_door is not None:
            nxt = first_door.to_room if first_door.from_room == src else first_door.from_room
            start = [src, nxt]
            if nxt == dst:
                return start
        seen = set(start)
        queue: deque[list[str]] = deque([start])
        while queue:
            path = queue.popleft()
            for nxt in sorted(self._links.get(path[-1], ())):
                if nxt in seen or not agent.may_enter(nxt):
                    continue
                if nxt == OUTSIDE and dst != OUTSIDE:
                    continue  # never leave the building on the way somewhere inside
                seen.add(nxt)
                if nxt == dst:
                    return [*path, nxt]
                queue.append([*path, nxt])
        return None

    def hop_seconds(self, a: str, b: str, jitter: float) -> float:
        """Walking from room ``a`` into room ``b`` (``jitter`` in [0, 1): pace and pauses)."""
        metres = 10.0 if OUTSIDE in (a, b) else math.dist(self._centres[a], self._centres[b])
        return max(metres / WALK_M_PER_S, MIN_HOP_S) + 2.0 + 6.0 * jitter

    def spot(self, room: str, u: float, v: float) -> tuple[float, float]:
        """A point inside the room's outline (its bounding box shrunk by a metre; fine for the
        rectangles of a floor plan)."""
        xs = [p[0] for p in self.site.room(room).polygon]
        ys = [p[1] for p in self.site.room(room).polygon]
        x1, x2 = min(xs) + 1.0, max(xs) - 1.0
        y1, y2 = min(ys) + 1.0, max(ys) - 1.0
        return (
            (x1 + (x2 - x1) * u, y1 + (y2 - y1) * v)
            if x2 > x1 and y2 > y1
            else centroid(self.site.room(room).polygon)
        )


def place(world: World, agent: Agent, room: str | None) -> None:
    """Put a person somewhere without a passage (already inside when the twin starts)."""
    agent.room = room
    if room is None:
        world.presence.leave(agent.who)
    else:
        world.presence.enter(agent.who, room)


def move(
    world: World,
    agent: Agent,
    dst: str,
    door: Door | None,
    at: datetime,
    *,
    role: str = "staff",
    granted: bool = False,
    **extra: Any,
) -> None:
    """``agent`` passes into ``dst`` (``outside`` to leave) at ``at``: presence and the
    ``"move"`` signal (doors, sensors and cameras react to it)."""
    src = agent.room or OUTSIDE
    if dst == OUTSIDE:
        world.presence.leave(agent.who)
        agent.room = None
    else:
        world.presence.enter(agent.who, dst)
        agent.room = dst
    world.signal(
        "move",
        at,
        who=agent.who,
        src=src,
        dst=dst,
        role=role,
        door=door.id if door else None,
        granted=granted,
        **extra,
    )


def badge_through(
    proc: Process,
    walker: Walker,
    agent: Agent,
    door: Door,
    into: str,
    face_failed: str | None = None,
) -> Script:
    """Badge at ``door`` (after walking at least as long as the floor plan says the way from
    their last reader takes); returns the decision."""
    if agent.last_badge is not None and agent.last_badge[0] != door.id:
        last_door, last_at = agent.last_badge
        needed = walker.plan.minimum_seconds(last_door, door.id) + TRAVEL_MARGIN_S
        elapsed = (proc.now - last_at).total_seconds()
        if elapsed < needed:
            yield Wait(needed - elapsed)
    decision = yield Badge(agent, door, into, face_failed)
    return decision


def walk(
    proc: Process,
    walker: Walker,
    agent: Agent,
    dst: str,
    *,
    jitter: Callable[[], float],
    first_door: Door | None = None,
) -> Script:
    """Walk ``agent`` to ``dst``, badging where needed; returns whether they got there (a
    refused badge ends the walk where they stand)."""
    src = agent.room or OUTSIDE
    path = walker.route(agent, src, dst, first_door)
    if path is None:
        return False
    world = proc.world
    for here, there in itertools.pairwise(path):
        yield Wait(walker.hop_seconds(here, there, jitter()))
        door = door_between(world.site, here, there)
        if first_door is not None and here == src:
            door = first_door
        granted = False
        if door is not None and needs_badge(world.site, door, there, proc.now):
            decision = yield from badge_through(proc, walker, agent, door, there)
            if decision.outcome != "grant":
                return False
            granted = True
        move(world, agent, there, door, proc.now, granted=granted)
    return True
