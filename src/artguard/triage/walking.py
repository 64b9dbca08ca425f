"""Walking times between rooms over the floor plan, to page the guard who is closest.

A route goes from the centre of one room to the centre of another through the passages
between adjacent rooms: a door's position where a door joins them (as
:class:`~artguard.access.floorplan.FloorPlan` places it), else the middle of their shared wall.
Inside a room people walk straight between its centre and its passages at a normal pace;
changing storey costs a fixed time. The shortest route (Dijkstra) is an estimate of how long
a guard needs, good enough to rank guards, not a promise.
"""

from __future__ import annotations

import heapq
import math
from collections import defaultdict
from functools import cache
from itertools import count

from artguard.access.floorplan import FloorPlan, centroid
from artguard.site import Room, Site
from artguard.site.entities import OUTSIDE
from artguard.site.geometry import Point, bounds

WALK_M_PER_S = 1.4
"""A normal walking pace; a guard who runs is there sooner."""
SECONDS_PER_STOREY = 20.0
"""Stairs or a lift between two floors at a walk."""

Node = tuple[str, str, int]  # ("centre", room, 0) or ("passage", room side, passage index)


def shared_wall_point(a: Room, b: Room) -> Point:
    """Where two adjacent rooms without a door meet: the midpoint of their centres, clamped
    into the overlap of their bounding boxes (the same rule as a door's position)."""
    (ax, ay), (bx, by) = centroid(a.polygon), centroid(b.polygon)
    ax1, ay1, ax2, ay2 = bounds(a.polygon)
    bx1, by1, bx2, by2 = bounds(b.polygon)

    def clamp(mid: float, low: float, high: float) -> float:
        return min(max(mid, low), high) if low <= high else mid

    return (
        clamp((ax + bx) / 2, max(ax1, bx1), min(ax2, bx2)),
        clamp((ay + by) / 2, max(ay1, by1), min(ay2, by2)),
    )


class WalkingTimes:
    """Estimated walking seconds between any two rooms of one site."""

    def __init__(self, site: Site, *, pace_m_per_s: float = WALK_M_PER_S) -> None:
        if pace_m_per_s <= 0:
            raise ValueError(f"pace_m_per_s must be positive, got {pace_m_per_s}")
        self._site = site
        levels = {floor.id: floor.level for floor in site.floors}
        self._level = {room.id: levels.get(room.floor, 0) for room in site.rooms}
        self._edges: dict[Node, list[tuple[Node, float]]] = defaultdict(list)
        self._build(site, pace_m_per_s)
        self._from = cache(self._dijkstra)

    def seconds(self, from_room: str, to_room: str) -> float | None:
        """Walking seconds from one room to another; None when no route joins them."""
        for room_id in (from_room, to_room):
            self._site.room(room_id)  # KeyError naming the room when unknown
        return self._from(from_room).get(to_room)

    def _build(self, site: Site, pace: float) -> None:
        plan = FloorPlan(site)
        passages: list[tuple[str, str, Point]] = []
        with_door: set[frozenset[str]] = set()
        for door in site.doors:
            if OUTSIDE in (door.from_room, door.to_room):
                continue
            point, _level = plan.door_position(door)
            passages.append((door.from_room, door.to_room, point))
            with_door.add(frozenset((door.from_room, door.to_room)))
        for room in site.rooms:
            for other in sorted(site.adjacent(room.id)):
                pair = frozenset((room.id, other))
                if room.id < other and pair not in with_door:
                    passages.append((room.id, other, shared_wall_point(room, site.room(other))))
        points: dict[str, list[tuple[Node, Point]]] = {
            room.id: [(("centre", room.id, 0), centroid(room.polygon))] for room in site.rooms
        }
        for i, (a, b, point) in enumerate(passages):
            side_a, side_b = ("passage", a, i), ("passage", b, i)
            points[a].append((side_a, point))
            points[b].append((side_b, point))
            storeys = abs(self._level[a] - self._level[b]) * SECONDS_PER_STOREY
            self._edges[side_a].append((side_b, storeys))
            self._edges[side_b].append((side_a, storeys))
        for inside in points.values():
            for node, point in inside:
                for other, other_point in inside:
                    if other != node:
                        self._edges[node].append((other, math.dist(point, other_point) / pace))

    def _dijkstra(self, source: str) -> dict[str, float]:
        start: Node = ("centre", source, 0)
        best: dict[Node, float] = {start: 0.0}
        order = count()
        queue: list[tuple[float, int, Node]] = [(0.0, next(order), start)]
        rooms: dict[str, float] = {}
        while queue:
            seconds, _, node = heapq.heappop(queue)
            if seconds > best.get(node, math.inf):
                continue
            if node[0] == "centre":
                rooms[node[1]] = seconds
            for other, cost in self._edges[node]:
                total = seconds + cost
                if total < best.get(other, math.inf):
                    best[other] = total
                    heapq.heappush(queue, (total, next(order), other))
        return rooms
