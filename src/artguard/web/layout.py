"""Where the dashboard draws things the site file gives no floor position for.

Rooms and artworks have floor coordinates in the site file; doors, cameras and sensors do not.
For display only, a door is put on the wall its two rooms share (an exterior door on the part
of its room's outline no other room touches), a sensor fitted to an artwork or a door next to
it, and the other devices on free spots inside their room. These positions are approximate and
marked ``derived``; nothing but the floor plan uses them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from artguard.site import OUTSIDE, Site
from artguard.site.geometry import Point, bounds, contains

TOLERANCE = 1e-6
"""Metres: two walls closer than this are the same wall."""
ATTACHED_OFFSET = 0.6
"""Metres between an artwork or door and a sensor fitted to it, so both stay visible."""
SLOT_SPACING = 1.5
"""Metres between free spots inside a room."""

Segment = tuple[Point, Point]


@dataclass(frozen=True)
class RoomLayout:
    """A room's label point and the free spots devices without a position are put on."""

    label: Point
    slots: tuple[Point, ...]


def room_layouts(site: Site) -> dict[str, RoomLayout]:
    """The label point and free spots of every room."""
    result = {}
    for room in site.rooms:
        occupied = [a.position for a in site.artworks if a.room == room.id]
        result[room.id] = RoomLayout(
            label=label_point(room.polygon), slots=tuple(free_spots(room.polygon, occupied))
        )
    return result


def label_point(polygon: Sequence[Point]) -> Point:
    """The area centroid when it is inside the polygon (an L-shaped room may not hold it),
    else the inside grid point nearest to it."""
    centre = _centroid(polygon)
    if contains(polygon, centre):
        return centre
    grid = _grid(polygon, SLOT_SPACING / 2) or [tuple(polygon[0])]
    return min(grid, key=lambda p: math.dist(p, centre))  # type: ignore[return-value]


def free_spots(polygon: Sequence[Point], occupied: Sequence[Point]) -> list[Point]:
    """Grid points inside the room, away from its walls and from ``occupied`` points, in
    reading order (top row first); at least one spot even for a tiny room."""
    spots = [
        p
        for p in _grid(polygon, SLOT_SPACING)
        if all(math.dist(p, q) >= SLOT_SPACING / 2 for q in occupied)
    ]
    return spots or [label_point(polygon)]


def door_positions(site: Site) -> dict[str, Point]:
    """A point on the wall between each door's two rooms; doors sharing a wall are spread
    along it. A door whose rooms share no wall sits between the two rooms' label points."""
    groups: dict[tuple[str, str], list[str]] = {}
    for door in site.doors:
        key = tuple(sorted((door.from_room, door.to_room)))
        groups.setdefault(key, []).append(door.id)  # type: ignore[arg-type]
    rooms = {room.id: room for room in site.rooms}
    result: dict[str, Point] = {}
    for (a, b), door_ids in groups.items():
        inside = [r for r in (a, b) if r != OUTSIDE and r in rooms]
        if not inside:
            continue
        if len(inside) == 2:
            walls = shared_walls(rooms[a].polygon, rooms[b].polygon)
        else:
            room = rooms[inside[0]]
            others = [r.polygon for r in site.rooms if r.floor == room.floor and r.id != room.id]
            walls = exterior_walls(room.polygon, others)
        if walls:
            wall = max(walls, key=lambda s: math.dist(*s))
            count = len(door_ids)
            for i, door_id in enumerate(door_ids):
                result[door_id] = _along(wall, (i + 1) / (count + 1))
        else:
            ends = [label_point(rooms[r].polygon) for r in inside]
            middle = ends[0] if len(ends) == 1 else _along((ends[0], ends[1]), 0.5)
            for door_id in door_ids:
                result[door_id] = middle
    return result


def shared_walls(first: Sequence[Point], second: Sequence[Point]) -> list[Segment]:
    """The stretches of wall two polygons have in common (collinear overlapping edges)."""
    walls = []
    for edge in _edges(first):
        for other in _edges(second):
            overlap = _overlap(edge, other)
            if overlap is not None:
                walls.append(overlap)
    return walls


def exterior_walls(polygon: Sequence[Point], others: Sequence[Sequence[Point]]) -> list[Segment]:
    """The stretches of the polygon's outline that no other polygon shares."""
    walls = []
    for edge in _edges(polygon):
        covered: list[tuple[float, float]] = []
        for other in others:
            for other_edge in _edges(other):
                overlap = _overlap(edge, other_edge)
                if overlap is not None:
                    t1, t2 = sorted((_param(edge, overlap[0]), _param(edge, overlap[1])))
                    covered.append((t1, t2))
        for t1, t2 in _uncovered(covered):
            if t2 - t1 > TOLERANCE:
                walls.append((_along(edge, t1), _along(edge, t2)))
    return walls


def attached_point(anchor: Point, polygon: Sequence[Point]) -> Point:
    """A point next to ``anchor`` (an artwork or door) towards the room's label point, so a
    sensor fitted to it is drawn beside it, inside the room."""
    centre = label_point(polygon)
    distance = math.dist(anchor, centre)
    if distance <= ATTACHED_OFFSET:
        return centre
    return _along((anchor, centre), ATTACHED_OFFSET / distance)


def _edges(polygon: Sequence[Point]) -> list[Segment]:
    points = [tuple(p) for p in polygon]
    return [(points[i], points[(i + 1) % len(points)]) for i in range(len(points))]  # type: ignore[misc]


def _along(segment: Segment, t: float) -> Point:
    (x1, y1), (x2, y2) = segment
    return (round(x1 + (x2 - x1) * t, 3), round(y1 + (y2 - y1) * t, 3))


def _param(segment: Segment, point: Point) -> float:
    (x1, y1), (x2, y2) = segment
    dx, dy = x2 - x1, y2 - y1
    return ((point[0] - x1) * dx + (point[1] - y1) * dy) / (dx * dx + dy * dy)


def _overlap(a: Segment, b: Segment) -> Segment | None:
    """The common stretch of two collinear segments longer than the tolerance, else None."""
    (x1, y1), (x2, y2) = a
    length = math.dist(a[0], a[1])
    if length <= TOLERANCE:
        return None
    for p in b:  # both ends of b on a's line
        cross = (x2 - x1) * (p[1] - y1) - (y2 - y1) * (p[0] - x1)
        if abs(cross) / length > TOLERANCE:
            return None
    t_lo, t_hi = sorted((_param(a, b[0]), _param(a, b[1])))
    start, end = max(0.0, t_lo), min(1.0, t_hi)
    if (end - start) * length <= TOLERANCE:
        return None
    return _along(a, start), _along(a, end)


def _uncovered(covered: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The parts of [0, 1] outside every interval in ``covered``."""
    gaps, at = [], 0.0
    for t1, t2 in sorted(covered):
        if t1 > at:
            gaps.append((at, t1))
        at = max(at, t2)
    if at < 1.0:
        gaps.append((at, 1.0))
    return gaps


def _centroid(polygon: Sequence[Point]) -> Point:
    area = cx = cy = 0.0
    for (x1, y1), (x2, y2) in _edges(polygon):
        cross = x1 * y2 - x2 * y1
        area += cross
        cx += (x1 + x2) * cross
        cy += (y1 + y2) * cross
    if abs(area) <= TOLERANCE:
        xs, ys = zip(*polygon, strict=True)
        return (sum(xs) / len(xs), sum(ys) / len(ys))
    return (round(cx / (3 * area), 3), round(cy / (3 * area), 3))


def _grid(polygon: Sequence[Point], step: float) -> list[Point]:
    """Points every ``step`` metres inside the polygon and at least half a step from its
    walls, top row (largest y) first; a finer grid when the room is too small for one."""
    min_x, min_y, max_x, max_y = bounds(polygon)
    while step > 0.05:
        points = []
        rows = int((max_y - min_y) / step)
        cols = int((max_x - min_x) / step)
        for row in range(rows, 0, -1):
            for col in range(1, cols + 1):
                p = (round(min_x + col * step, 3), round(min_y + row * step, 3))
                if p[0] < max_x and p[1] < max_y and _well_inside(polygon, p, step / 2):
                    points.append(p)
        if points:
            return points
        step /= 2
    return []


def _well_inside(polygon: Sequence[Point], point: Point, margin: float) -> bool:
    if not contains(polygon, point):
        return False
    return all(_distance_to_segment(point, edge) >= margin for edge in _edges(polygon))


def _distance_to_segment(point: Point, segment: Segment) -> float:
    t = max(0.0, min(1.0, _param(segment, point))) if segment[0] != segment[1] else 0.0
    return math.dist(point, _along(segment, t))
