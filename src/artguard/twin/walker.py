"""Planning a person's walk through the site ahead of time, and playing it on the timeline.

A :class:`Walker` is built at the moment a person starts moving and plans the rest of their
movement at once (walk to a spot, stand, walk on, through doorways into other rooms). It
computes a :class:`~artguard.twin.motion.Route` for the cameras, and on :meth:`Walker.commit`
schedules only the steps that change something others react to: each room change
(``world.presence`` and the ``"move"`` signal, with the door used) and leaving. So a visitor
costs a handful of steps however long they stay, and cameras interpolate where they are.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from artguard.site import OUTSIDE
from artguard.site.geometry import Point
from artguard.twin.motion import Route, forget, set_route
from artguard.twin.walkway import Walkway, walkway
from artguard.twin.world import Step, World

FORGET_AFTER_LEAVING = timedelta(seconds=3)
"""Cameras still draw a person crossing the outer doorway this long after they left."""


@dataclass(frozen=True)
class _Crossing:
    at: float
    src: str
    dst: str
    door: str | None
    xy: Point


class Walker:
    """One person's planned movement from (``room``, ``xy``) at ``at``."""

    def __init__(
        self,
        world: World,
        who: str,
        role: str,
        room: str,
        xy: Point,
        at: datetime,
        speed: float = 1.1,
        allowed: Iterable[str] | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"walking speed must be positive (got {speed})")
        self.world = world
        self.way: Walkway = walkway(world.site)
        self.who = who
        self.role = role
        self.room = room
        self.xy = xy
        self.speed = speed
        self.allowed = set(allowed) if allowed is not None else None
        self._tz = at.tzinfo
        self._times: list[float] = [at.timestamp()]
        self._points: list[Point] = [xy]
        self._crossings: list[_Crossing] = []
        self.left = False

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self._times[-1], self._tz)

    # -- planning ----------------------------------------------------------------------------

    def stand(self, seconds: float) -> None:
        """Stay where they are for ``seconds``."""
        if seconds > 0:
            self._times.append(self._times[-1] + seconds)
            self._points.append(self.xy)

    def go(self, room: str, xy: Point) -> bool:
        """Walk to ``xy`` in ``room`` through clear floor and doorways; False (nothing planned)
        when ``room`` cannot be reached through the allowed rooms."""
        legs = self._legs(room, xy)
        if legs is None:
            return False
        for points, crossing in legs:
            for p in points:
                self._step_to(p)
            if crossing is not None:
                src, dst = crossing
                door = self.way.door_between(src, dst)
                self._crossings.append(_Crossing(self._times[-1], src, dst, door, self.xy))
        self.room = room
        return True

    def seconds_to(self, room: str, xy: Point) -> float | None:
        """How long walking to ``xy`` in ``room`` would take from here (None: unreachable)."""
        legs = self._legs(room, xy)
        if legs is None:
            return None
        total, here = 0.0, self.xy
        for points, _ in legs:
            for p in points:
                total += math.dist(here, p)
                here = p
        return total / self.speed

    def leave(self) -> bool:
        """Walk out of the building through the nearest room with an outside door."""
        exits = [
            d.to_room if d.from_room == OUTSIDE else d.from_room
            for d in self.world.site.doors
            if OUTSIDE in (d.from_room, d.to_room)
        ]
        exits = [r for r in exits if self.allowed is None or r in self.allowed]
        best: tuple[int, str] | None = None
        for room in exits:
            path = self.way.rooms_path(self.room, room, self.allowed)
            if path and (best is None or len(path) < best[0]):
                best = (len(path), room)
        if best is None:
            return False
        room = best[1]
        if not self.go(room, self.way.doorway(room, OUTSIDE)):
            return False
        door = self.way.door_between(room, OUTSIDE)
        self._crossings.append(_Crossing(self._times[-1], room, OUTSIDE, door, self.xy))
        self.left = True
        return True

    def _legs(
        self, room: str, xy: Point
    ) -> list[tuple[list[Point], tuple[str, str] | None]] | None:
        rooms = self.way.rooms_path(self.room, room, self.allowed)
        if not rooms:
            return None
        legs: list[tuple[list[Point], tuple[str, str] | None]] = []
        here = self.xy
        for src, dst in pairwise(rooms):
            door_xy = self.way.doorway(src, dst)
            path = self.way.grid(src).path(here, door_xy)
            legs.append((path[1:], (src, dst)))
            here = door_xy
        path = self.way.grid(room).path(here, xy)
        legs.append((path[1:], None))
        return legs

    def _step_to(self, p: Point) -> None:
        d = math.dist(self.xy, p)
        if d <= 1e-9:
            return
        self._times.append(self._times[-1] + d / self.speed)
        self._points.append(p)
        self.xy = p

    # -- playing -----------------------------------------------------------------------------

    def commit(self) -> datetime:
        """Publish the route and schedule the room changes (and leaving); returns the time
        the plan ends."""
        world, who = self.world, self.who
        if len(self._times) == 1:
            self._times.append(self._times[0])
            self._points.append(self._points[0])
        set_route(world, who, Route(tuple(self._times), tuple(self._points)))
        for crossing in self._crossings:
            world.at(datetime.fromtimestamp(crossing.at, self._tz), self._crossing_step(crossing))
        end = self.now
        if not self.left:
            world.at(end, lambda at, xy=self.xy: world.presence.move_to(who, xy))
        return end

    def _crossing_step(self, c: _Crossing) -> Step:
        world, who, role = self.world, self.who, self.role

        def step(at: datetime) -> None:
            if c.dst == OUTSIDE:
                world.presence.leave(who)
                world.at(at + FORGET_AFTER_LEAVING, lambda _at: _forget_if_gone(world, who))
            else:
                world.presence.enter(who, c.dst, c.xy)
            world.signal("move", at, who=who, src=c.src, dst=c.dst, role=role, door=c.door)

        return step


def _forget_if_gone(world: World, who: str) -> None:
    if world.presence.room_of(who) is None:
        forget(world, who)
