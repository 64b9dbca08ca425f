"""Where a simulated person is between the twin's steps, and what their hands do.

Movers (visitors, scenarios) plan a person's walk ahead as a :class:`Route`: timed floor
points, straight walking between them, standing where two points repeat. Cameras read it at
each frame (:func:`position`), so nobody has to be stepped every frame. A :class:`Reach` is a
hand stretched into an artwork's barrier for a while (a lean-in, a touch, a theft); movers
announce it with the ``"reach"`` signal so cameras look closely (at their own frame rate) then.

Everything lives in ``world.state`` under ``"routes"``, ``"reaches"`` and ``"camera_down"``,
so behaviours written by others can use it too.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import datetime

from artguard.site.geometry import Point
from artguard.twin.world import World


@dataclass(frozen=True)
class Route:
    """Timed floor points (POSIX seconds, x, y), in time order."""

    times: tuple[float, ...]
    points: tuple[Point, ...]

    def at(self, when: datetime) -> Point:
        t = when.timestamp()
        i = bisect.bisect_right(self.times, t)
        if i == 0:
            return self.points[0]
        if i >= len(self.times):
            return self.points[-1]
        t0, t1 = self.times[i - 1], self.times[i]
        (x0, y0), (x1, y1) = self.points[i - 1], self.points[i]
        f = (t - t0) / (t1 - t0) if t1 > t0 else 1.0
        return (x0 + f * (x1 - x0), y0 + f * (y1 - y0))

    @property
    def end(self) -> float:
        return self.times[-1]


@dataclass(frozen=True)
class Reach:
    """``who`` holds a hand inside ``artwork``'s barrier from ``start`` to ``end``."""

    who: str
    artwork: str
    start: datetime
    end: datetime


@dataclass(frozen=True)
class CameraDown:
    """A camera that sees nothing useful (covered, turned away) from ``start`` to ``end``."""

    camera: str
    start: datetime
    end: datetime


def set_route(world: World, who: str, route: Route) -> None:
    world.state.setdefault("routes", {})[who] = route


def forget(world: World, who: str) -> None:
    """``who`` has left: drop their route and reaches."""
    world.state.setdefault("routes", {}).pop(who, None)
    world.state.setdefault("reaches", {}).pop(who, None)


def position(world: World, who: str, when: datetime) -> Point | None:
    """Floor position of ``who`` at ``when``: from their route, else the last position a mover
    gave :attr:`World.presence`, else None."""
    route = world.state.get("routes", {}).get(who)
    if route is not None:
        return route.at(when)
    return world.presence.positions.get(who)


def add_reach(world: World, reach: Reach) -> None:
    """Record a reach and raise the ``"reach"`` signal (at planning time) for the cameras."""
    world.state.setdefault("reaches", {}).setdefault(reach.who, []).append(reach)
    world.signal("reach", world.now, reach=reach)


def reach_at(world: World, who: str, when: datetime) -> Reach | None:
    reaches = world.state.get("reaches", {}).get(who)
    if not reaches:
        return None
    for reach in reaches:
        if reach.start <= when < reach.end:
            return reach
    return None


def add_camera_down(world: World, down: CameraDown) -> None:
    world.state.setdefault("camera_down", {}).setdefault(down.camera, []).append(down)


def camera_down_at(world: World, camera: str, when: datetime) -> CameraDown | None:
    for down in world.state.get("camera_down", {}).get(camera, ()):
        if down.start <= when < down.end:
            return down
    return None
