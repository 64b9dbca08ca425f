"""Walking times between doors, from the floor plan, for the impossible-travel check.

A door has no coordinates of its own in the site file; it sits where its two rooms meet, so
its position is taken as the point of the shared wall nearest both rooms' centres (the
midpoint of the centroids, clamped into the two rooms' joint bounding box). The time between
two doors is a *lower bound*: the straight line between them at a brisk pace, plus a fixed
time per storey changed. Real routes are longer, so a credential seen at two doors faster than
this bound was not carried by one walking person.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache

from artguard.site import Door, Site
from artguard.site.entities import OUTSIDE
from artguard.site.geometry import Point, bounds

BRISK_M_PER_S = 2.5
"""Faster than anyone walks in a museum (1.4 m/s is a normal pace) without running."""
SECONDS_PER_STOREY = 15.0
"""The quickest stairs or lift between two floors."""


def centroid(polygon: Sequence[Point]) -> Point:
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return (sum(xs) / len(xs), sum(ys) / len(ys))


class FloorPlan:
    """Door positions and minimum walking times for one site."""

    def __init__(self, site: Site) -> None:
        self._site = site
        self._levels = {f.id: f.level for f in site.floors}
        outlines = [bounds(room.polygon) for room in site.rooms]
        self._site_box = (
            min(b[0] for b in outlines),
            min(b[1] for b in outlines),
            max(b[2] for b in outlines),
            max(b[3] for b in outlines),
        )
        self.minimum_seconds = cache(self._minimum_seconds)

    def door_position(self, door: Door) -> tuple[Point, int]:
        """Where the door is (metres) and its storey level."""
        rooms = [self._site.room(r) for r in (door.from_room, door.to_room) if r != OUTSIDE]
        centres = [centroid(room.polygon) for room in rooms]
        level = self._levels.get(rooms[0].floor, 0)
        if len(rooms) == 1:
            # an exterior door: the middle of the room's side that lies on the building's edge
            x1, y1, x2, y2 = bounds(rooms[0].polygon)
            cx, cy = centres[0]
            sx1, sy1, sx2, sy2 = self._site_box
            sides = [(x1, cy), (x2, cy), (cx, y1), (cx, y2)]
            return min(
                sides, key=lambda p: min(p[0] - sx1, sx2 - p[0], p[1] - sy1, sy2 - p[1])
            ), level
        (ax, ay), (bx, by) = centres
        ax1, ay1, ax2, ay2 = bounds(rooms[0].polygon)
        bx1, by1, bx2, by2 = bounds(rooms[1].polygon)
        mx = (
            min(max((ax + bx) / 2, max(ax1, bx1)), min(ax2, bx2))
            if ax2 >= bx1 and bx2 >= ax1
            else (ax + bx) / 2
        )
        my = (
            min(max((ay + by) / 2, max(ay1, by1)), min(ay2, by2))
            if ay2 >= by1 and by2 >= ay1
            else (ay + by) / 2
        )
        return (mx, my), level

    def _minimum_seconds(self, door_a: str, door_b: str) -> float:
        if door_a == door_b:
            return 0.0
        (pa, la) = self.door_position(self._site.door(door_a))
        (pb, lb) = self.door_position(self._site.door(door_b))
        metres = math.dist(pa, pb)
        return metres / BRISK_M_PER_S + abs(la - lb) * SECONDS_PER_STOREY
