"""Where people of the twin can stand and walk: a grid of clear floor cells per room, the
doorways between rooms, and paths through them.

A cell (``CELL`` metres square) is *clear* when its centre is inside the room, ``WALL_M``
from its walls, and every camera covering the room draws a person standing there outside
barriers and zones (:meth:`~artguard.twin.camera_view.CameraView.clear`): ordinary people
then never trip a vision rule just by standing or walking, and only a scenario that means to
(a hand in a barrier, feet in a restricted zone) does. Paths run through clear cells (8-way,
no corner cutting), straightened where the straight line stays clear. Built once per site and
cached.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

from artguard.site import OUTSIDE, Site
from artguard.site.geometry import Point, bounds, contains
from artguard.twin.camera_view import CameraView

CELL = 0.5
WALL_M = 0.4

Cell = tuple[int, int]


@dataclass
class RoomGrid:
    """The clear cells of one room."""

    room_id: str
    x0: float
    y0: float
    clear: set[Cell]
    _paths: dict[tuple[Cell, Cell], list[Point]] = field(default_factory=dict)
    _cells: list[Cell] = field(default_factory=list)
    _nearest: dict[Cell, Cell] = field(default_factory=dict)
    _trees: dict[Cell, dict[Cell, Cell | None]] = field(default_factory=dict)

    def xy(self, cell: Cell) -> Point:
        return (self.x0 + (cell[0] + 0.5) * CELL, self.y0 + (cell[1] + 0.5) * CELL)

    def cell(self, xy: Point) -> Cell:
        return (math.floor((xy[0] - self.x0) / CELL), math.floor((xy[1] - self.y0) / CELL))

    def nearest(self, xy: Point) -> Cell:
        """The clear cell nearest ``xy`` (``xy``'s own when clear)."""
        own = self.cell(xy)
        if own in self.clear:
            return own
        found = self._nearest.get(own)
        if found is None:
            if not self._cells:
                self._cells = sorted(self.clear)
            centre = self.xy(own)
            found = self._nearest[own] = min(self._cells, key=lambda c: _d2(self.xy(c), centre))
        return found

    def cells_within(self, xy: Point, low: float, high: float) -> list[Cell]:
        """Clear cells whose centres are ``low``..``high`` metres from ``xy``."""
        if not self._cells:
            self._cells = sorted(self.clear)
        return [c for c in self._cells if low <= math.dist(self.xy(c), xy) <= high]

    def path(self, a: Point, b: Point) -> list[Point]:
        """Waypoints from ``a`` to ``b`` through clear cells (both ends included)."""
        ca, cb = self.nearest(a), self.nearest(b)
        key = (ca, cb)
        if key not in self._paths:
            pa, pb = self.xy(ca), self.xy(cb)
            straight = self._sight(pa, pb)
            self._paths[key] = [pa, pb] if straight else self._straighten(self._bfs(ca, cb))
        points = [a, *self._paths[key], b]
        return [p for i, p in enumerate(points) if i == 0 or math.dist(p, points[i - 1]) > 1e-9]

    def _bfs(self, start: Cell, goal: Cell) -> list[Point]:
        """Cell centres from ``start`` to ``goal``, by a flood from ``goal`` kept per goal (a
        room has a few dozen places people head for: doorways, artworks, spots)."""
        if start == goal:
            return [self.xy(start), self.xy(goal)]
        tree = self._trees.get(goal)
        if tree is None:
            tree = self._trees[goal] = self._flood(goal)
        if start not in tree:
            return [self.xy(start), self.xy(goal)]  # disconnected: walk straight
        cells = [start]
        while (nxt := tree[cells[-1]]) is not None:
            cells.append(nxt)
        return [self.xy(c) for c in cells]

    def _flood(self, goal: Cell) -> dict[Cell, Cell | None]:
        came: dict[Cell, Cell | None] = {goal: None}
        queue = deque([goal])
        clear = self.clear
        while queue:
            cur = queue.popleft()
            for dx, dy in _NEIGHBOURS:
                nxt = (cur[0] + dx, cur[1] + dy)
                if nxt in came or nxt not in clear:
                    continue
                if (
                    dx
                    and dy
                    and ((cur[0] + dx, cur[1]) not in clear or (cur[0], cur[1] + dy) not in clear)
                ):
                    continue
                came[nxt] = cur
                queue.append(nxt)
        return came

    def spots(self, n: int = 16) -> list[Point]:
        """``n`` places spread over the room where people stop for no particular artwork."""
        if not self._cells:
            self._cells = sorted(self.clear)
        step = max(1, len(self._cells) // n)
        return [self.xy(c) for c in self._cells[step // 2 :: step]][:n]

    def _straighten(self, points: list[Point]) -> list[Point]:
        if len(points) <= 2:
            return points
        out = [points[0]]
        i = 0
        while i < len(points) - 1:
            j = len(points) - 1
            while j > i + 1 and not self._sight(points[i], points[j]):
                j -= 1
            out.append(points[j])
            i = j
        return out

    def _sight(self, a: Point, b: Point) -> bool:
        n = max(1, math.ceil(math.dist(a, b) / (CELL / 3)))
        return all(
            self.cell((a[0] + (b[0] - a[0]) * k / n, a[1] + (b[1] - a[1]) * k / n)) in self.clear
            for k in range(n + 1)
        )


_NEIGHBOURS = ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1))


class Walkway:
    """Rooms' clear cells, doorways and room-to-room routes of one site."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.views = {camera.id: CameraView(site, camera) for camera in site.cameras}
        self._covering: dict[str, list[CameraView]] = {}
        for view in self.views.values():
            for room in view.camera.rooms:
                self._covering.setdefault(room, []).append(view)
        self.grids = {room.id: self._grid(room.id) for room in site.rooms}
        self._doorways: dict[tuple[str, str], Point] = {}

    def covering(self, room_id: str) -> list[CameraView]:
        return self._covering.get(room_id, [])

    def grid(self, room_id: str) -> RoomGrid:
        return self.grids[room_id]

    def door_between(self, a: str, b: str) -> str | None:
        """The id of the door joining rooms ``a`` and ``b`` (either may be ``outside``)."""
        for door in self.site.doors:
            if {door.from_room, door.to_room} == {a, b}:
                return door.id
        return None

    def doorway(self, a: str, b: str) -> Point:
        """Where one walks from room ``a`` into ``b`` (``b`` may be ``outside``): the middle of
        the longest wall they share, else (no shared wall) ``a``'s point nearest ``b``. For
        ``outside``: the middle of ``a``'s longest wall that no other room shares."""
        key = (a, b) if b == OUTSIDE else (min(a, b), max(a, b))
        if key not in self._doorways:
            self._doorways[key] = self._find_doorway(*key)
        return self._doorways[key]

    def rooms_path(self, src: str, dst: str, allowed: Iterable[str] | None = None) -> list[str]:
        """Rooms from ``src`` to ``dst`` along the floor plan (both included), through
        ``allowed`` rooms only when given; empty when unreachable."""
        ok = set(allowed) if allowed is not None else None
        came: dict[str, str | None] = {src: None}
        queue = deque([src])
        while queue:
            cur = queue.popleft()
            if cur == dst:
                break
            for nxt in sorted(self.site.adjacent(cur)):
                if nxt in came or (ok is not None and nxt not in ok):
                    continue
                came[nxt] = cur
                queue.append(nxt)
        if dst not in came:
            return []
        rooms = [dst]
        while (prev := came[rooms[-1]]) is not None:
            rooms.append(prev)
        return list(reversed(rooms))

    def spot_near(self, room_id: str, xy: Point, low: float, high: float) -> list[Point]:
        """Clear standing spots ``low``..``high`` m from ``xy`` in the room (widening up to 4 m
        when none is that close)."""
        grid = self.grids[room_id]
        for top in (high, high + 1.0, high + 2.0, 4.0 + high):
            cells = grid.cells_within(xy, low, top)
            if cells:
                return [grid.xy(c) for c in cells]
        return [grid.xy(grid.nearest(xy))]

    # -- building ----------------------------------------------------------------------------

    def _grid(self, room_id: str) -> RoomGrid:
        room = self.site.room(room_id)
        min_x, min_y, max_x, max_y = bounds(room.polygon)
        views = self._covering.get(room_id, [])
        grid = RoomGrid(room_id, min_x, min_y, set())
        nx = math.ceil((max_x - min_x) / CELL)
        ny = math.ceil((max_y - min_y) / CELL)
        for i in range(nx):
            for j in range(ny):
                x, y = grid.xy((i, j))
                if not _inside_with_margin(room.polygon, (x, y)):
                    continue
                # The whole cell, not just its centre: a person anywhere in it is clear.
                h = CELL / 2 - 0.01
                probes = [(x, y), (x - h, y - h), (x + h, y - h), (x - h, y + h), (x + h, y + h)]
                if all(view.clear(room_id, p) for view in views for p in probes):
                    grid.clear.add((i, j))
        grid.clear = _largest_component(grid.clear)
        if not grid.clear:  # a tiny room or one all barrier: stand anywhere inside
            grid.clear = {
                (i, j)
                for i in range(nx)
                for j in range(ny)
                if contains(room.polygon, grid.xy((i, j)))
            } or {(0, 0)}
        return grid

    def _open_point(self, a: str, b: str, p: Point, q: Point) -> Point:
        """The point of the shared wall ``p``-``q`` nearest its middle with clear floor just
        inside both rooms (a sculpture's barrier may stand in front of the middle)."""
        length = math.dist(p, q)
        n = max(1, int(length / (CELL / 2)))
        ga, gb = self.grids[a], self.grids[b]
        points = [
            (p[0] + (q[0] - p[0]) * k / n, p[1] + (q[1] - p[1]) * k / n) for k in range(n + 1)
        ]
        middle = _mid(p, q)
        inner = [m for m in points if math.dist(m, p) >= WALL_M and math.dist(m, q) >= WALL_M]
        if not inner:
            return middle
        return min(
            inner,
            key=lambda m: (
                _blocked_metres(ga, m) + _blocked_metres(gb, m) + 0.01 * math.dist(m, middle)
            ),
        )

    def _find_doorway(self, a: str, b: str) -> Point:
        pa = self.site.room(a).polygon
        if b == OUTSIDE:
            others = [r.polygon for r in self.site.rooms if r.id != a]
            free = [
                (math.dist(p, q), p, q)
                for p, q in _edges(pa)
                if not any(_on_boundary(o, _mid(p, q)) for o in others)
            ]
            if free:
                _, p, q = max(free)
                return _mid(p, q)
            return _centroid(pa)
        pb = self.site.room(b).polygon
        best: tuple[float, Point, Point] | None = None
        for p, q in _edges(pa):
            for r, s in _edges(pb):
                shared = _overlap(p, q, r, s)
                if shared is not None and (best is None or shared[0] > best[0]):
                    best = shared
        if best is not None:
            return self._open_point(a, b, best[1], best[2])
        cb = _centroid(pb)
        return min((_mid(p, q) for p, q in _edges(pa)), key=lambda m: math.dist(m, cb))


_CACHE: dict[int, tuple[Site, Walkway]] = {}


def walkway(site: Site) -> Walkway:
    """The site's walkway, built once (a few hundred ms for a museum) and cached."""
    found = _CACHE.get(id(site))
    if found is None or found[0] is not site:
        if len(_CACHE) > 8:
            _CACHE.clear()
        found = (site, Walkway(site))
        _CACHE[id(site)] = found
    return found[1]


def _largest_component(cells: set[Cell]) -> set[Cell]:
    """The biggest 4-connected patch of ``cells``: people walk between any two of its cells
    (a corner cut off by barriers on every side is left out)."""
    best: set[Cell] = set()
    left = set(cells)
    while left:
        seed = min(left)
        patch = {seed}
        queue = deque([seed])
        while queue:
            x, y = queue.popleft()
            for nxt in ((x + 1, y), (x - 1, y), (x, y + 1), (x, y - 1)):
                if nxt in left and nxt not in patch:
                    patch.add(nxt)
                    queue.append(nxt)
        left -= patch
        if len(patch) > len(best):
            best = patch
    return best


def _d2(a: Point, b: Point) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2


def _edges(poly: list[Point]) -> list[tuple[Point, Point]]:
    return [(tuple(poly[i]), tuple(poly[(i + 1) % len(poly)])) for i in range(len(poly))]  # type: ignore[misc]


def _mid(p: Point, q: Point) -> Point:
    return ((p[0] + q[0]) / 2, (p[1] + q[1]) / 2)


def _centroid(poly: list[Point]) -> Point:
    return (sum(p[0] for p in poly) / len(poly), sum(p[1] for p in poly) / len(poly))


def _on_boundary(poly: list[Point], pt: Point) -> bool:
    return any(_dist_to_segment(pt, p, q) < 1e-6 for p, q in _edges(poly))


def _dist_to_segment(pt: Point, p: Point, q: Point) -> float:
    dx, dy = q[0] - p[0], q[1] - p[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return math.dist(pt, p)
    t = max(0.0, min(1.0, ((pt[0] - p[0]) * dx + (pt[1] - p[1]) * dy) / length2))
    return math.dist(pt, (p[0] + t * dx, p[1] + t * dy))


def _overlap(p: Point, q: Point, r: Point, s: Point) -> tuple[float, Point, Point] | None:
    """Length and ends of the stretch two collinear segments share, else None."""
    if all(
        _dist_to_segment(a, b, c) > 1e-6 for a, b, c in ((r, p, q), (s, p, q), (p, r, s), (q, r, s))
    ):
        return None
    dx, dy = q[0] - p[0], q[1] - p[1]
    length = math.hypot(dx, dy)
    if length == 0:
        return None
    ux, uy = dx / length, dy / length
    # r and s must lie on p-q's line (not just touch it at a corner at an angle)
    for pt in (r, s):
        if abs((pt[0] - p[0]) * uy - (pt[1] - p[1]) * ux) > 1e-6:
            return None
    ts = sorted(((r[0] - p[0]) * ux + (r[1] - p[1]) * uy, (s[0] - p[0]) * ux + (s[1] - p[1]) * uy))
    lo, hi = max(0.0, ts[0]), min(length, ts[1])
    if hi - lo <= 1e-6:
        return None
    return hi - lo, (p[0] + lo * ux, p[1] + lo * uy), (p[0] + hi * ux, p[1] + hi * uy)


def _blocked_metres(grid: RoomGrid, door: Point) -> float:
    """Metres walked over floor that is not clear from ``door`` to the nearest clear cell (the
    first ``WALL_M`` beside the wall aside), plus a penalty when that cell is far."""
    target = grid.xy(grid.nearest(door))
    d = math.dist(door, target)
    n = max(1, math.ceil(d / (CELL / 4)))
    blocked = 0.0
    for k in range(1, n + 1):
        pt = (door[0] + (target[0] - door[0]) * k / n, door[1] + (target[1] - door[1]) * k / n)
        if math.dist(pt, door) > WALL_M + 0.05 and grid.cell(pt) not in grid.clear:
            blocked += d / n
    return blocked + 0.1 * d


def _inside_with_margin(poly: list[Point], xy: Point) -> bool:
    if not contains(poly, xy):
        return False
    return all(_dist_to_segment(xy, p, q) >= WALL_M for p, q in _edges(poly))
