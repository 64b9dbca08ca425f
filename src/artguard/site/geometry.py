"""Plane geometry the site model needs: polygon sanity and point-in-polygon.

Used for floor-plan polygons (metres) and camera barrier polygons (image pixels) alike.
"""

from __future__ import annotations

from collections.abc import Sequence

Point = tuple[float, float]

EPSILON = 1e-9
"""Tolerance for "on the boundary": an artwork hung on a wall sits on its room's edge."""


def signed_area(polygon: Sequence[Point]) -> float:
    """Shoelace area; positive for counter-clockwise vertex order."""
    total = 0.0
    for (x1, y1), (x2, y2) in _edges(polygon):
        total += x1 * y2 - x2 * y1
    return total / 2.0


def polygon_problem(polygon: Sequence[Point]) -> str | None:
    """Why ``polygon`` is not a simple polygon with an area, or None when it is."""
    if len(polygon) < 3:
        return f"a polygon needs at least 3 points (got {len(polygon)})"
    for i, (a, b) in enumerate(_edges(polygon)):
        if _close(a, b):
            return f"points {i} and {(i + 1) % len(polygon)} are the same point {list(a)}"
    edges = list(_edges(polygon))
    n = len(edges)
    for i in range(n):
        for j in range(i + 1, n):
            if j == i + 1 or (i == 0 and j == n - 1):
                continue  # neighbouring edges share a vertex by construction
            if _segments_intersect(*edges[i], *edges[j]):
                return (
                    f"the polygon crosses itself (edge {i}-{(i + 1) % n} "
                    f"meets edge {j}-{(j + 1) % n}); list the points in order around the outline"
                )
    if abs(signed_area(polygon)) <= EPSILON:
        return "the polygon has no area (all points on one line)"
    return None


def contains(polygon: Sequence[Point], point: Point) -> bool:
    """True when ``point`` is inside ``polygon`` or on its boundary."""
    px, py = point
    for a, b in _edges(polygon):
        if _on_segment(a, b, point):
            return True
    inside = False
    for (x1, y1), (x2, y2) in _edges(polygon):
        if (y1 > py) != (y2 > py):
            x_cross = x1 + (py - y1) * (x2 - x1) / (y2 - y1)
            if x_cross > px:
                inside = not inside
    return inside


def bounds(polygon: Sequence[Point]) -> tuple[float, float, float, float]:
    """``(min_x, min_y, max_x, max_y)`` of the polygon's points."""
    xs = [p[0] for p in polygon]
    ys = [p[1] for p in polygon]
    return min(xs), min(ys), max(xs), max(ys)


def _edges(polygon: Sequence[Point]) -> list[tuple[Point, Point]]:
    return [(polygon[i], polygon[(i + 1) % len(polygon)]) for i in range(len(polygon))]


def _close(a: Point, b: Point) -> bool:
    return abs(a[0] - b[0]) <= EPSILON and abs(a[1] - b[1]) <= EPSILON


def _cross(o: Point, a: Point, b: Point) -> float:
    return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])


def _on_segment(a: Point, b: Point, p: Point) -> bool:
    if abs(_cross(a, b, p)) > EPSILON * max(1.0, abs(b[0] - a[0]) + abs(b[1] - a[1])):
        return False
    return (
        min(a[0], b[0]) - EPSILON <= p[0] <= max(a[0], b[0]) + EPSILON
        and min(a[1], b[1]) - EPSILON <= p[1] <= max(a[1], b[1]) + EPSILON
    )


def _segments_intersect(p1: Point, p2: Point, q1: Point, q2: Point) -> bool:
    d1, d2 = _cross(q1, q2, p1), _cross(q1, q2, p2)
    d3, d4 = _cross(p1, p2, q1), _cross(p1, p2, q2)
    if ((d1 > 0 > d2) or (d1 < 0 < d2)) and ((d3 > 0 > d4) or (d3 < 0 < d4)):
        return True
    return (
        _on_segment(q1, q2, p1)
        or _on_segment(q1, q2, p2)
        or _on_segment(p1, p2, q1)
        or _on_segment(p1, p2, q2)
    )
