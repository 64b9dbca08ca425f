"""Visitors: arriving through the day, touring the public rooms, looking at artworks, leaving.

**Arrivals.** Each public opening window of the entrance room (the public room with an outside
door) gets ``per_day`` visitors (scaled by the window's length against an 8-hour day, at most
1.4x), give or take 8 %. Arrival times follow a Beta(2.0, 2.6) curve over the admission period
(opening to ``last_entry_minutes`` before closing): few at opening, a peak around 38 % of the
way through (about 12:45 for 10:00-18:00), tapering towards the last entry. Nobody arrives
outside opening hours. The default ``per_day`` is ``VISITORS_PER_PUBLIC_ROOM`` per public room
(1500 on the demo site's five).

**A visit.** Each visitor has a time budget (lognormal around ``visit_minutes``) and a walking
speed (0.8-1.3 m/s). From the entrance they tour public rooms along the floor plan (preferring
rooms not seen yet), in each room stopping at some artworks (the more valuable, the likelier)
and perhaps one other spot; dwell at an artwork is lognormal around a mean particular to that
work (from its value tier and a hash of its id: the same work holds people about as long in
every run). Before each stop they check that they can still walk out by the time they meant
to leave, and never later than ``exit_margin_minutes`` before closing; then they walk out the
way they came. Everything is planned at arrival (:class:`~artguard.twin.walker.Walker`), so a
visitor costs a few timeline steps, not one per second.

**Nuisance.** At a stop in front of a barriered artwork a visitor sometimes leans in: a hand
inside the barrier for under 60 % of the artwork's ``barrier_min_seconds`` (the virtual barrier
rule's minimum). Each is recorded as ground truth with ``attack=False``: it must not become an
incident.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from artguard.site import OUTSIDE, Artwork, Site
from artguard.site.geometry import Point
from artguard.twin.motion import Reach, add_reach
from artguard.twin.truth import GroundTruth
from artguard.twin.walker import Walker
from artguard.twin.walkway import Walkway, walkway
from artguard.twin.world import Step, World

VISITORS_PER_PUBLIC_ROOM = 300
ROLE = "visitor"


@dataclass(frozen=True)
class VisitorSettings:
    """What shapes the visiting public; the defaults suit a small city gallery."""

    per_day: int | None = None
    """Visitors on an ordinary 8-hour day; None: ``VISITORS_PER_PUBLIC_ROOM`` per public room."""
    visit_minutes: float = 20.0
    """Median time a visitor means to stay."""
    last_entry_minutes: float = 45.0
    exit_margin_minutes: float = 3.0
    """Everyone is out at least this long before closing."""
    lean_in_rate: float = 0.02
    """Chance that a stop at a barriered artwork includes a brief lean-in."""
    arrival_shape: tuple[float, float] = (2.0, 2.6)


def install(
    world: World, start: datetime, end: datetime, settings: VisitorSettings | None = None
) -> None:
    """The public visits the site during its opening hours in ``[start, end)``."""
    Visitors(world, settings or VisitorSettings()).install(start, end)


def entrance_room(site: Site) -> str | None:
    """The public room visitors come in through: one with a door to the outside."""
    for door in site.doors:
        inside = door.to_room if door.from_room == OUTSIDE else door.from_room
        if OUTSIDE in (door.from_room, door.to_room) and site.room(inside).public:
            return inside
    return None


def arrive(
    world: World,
    who: str,
    at: datetime,
    speed: float = 1.1,
    allowed: list[str] | None = None,
    role: str = ROLE,
) -> Walker | None:
    """``who`` comes in through the public entrance now (``world.presence`` and the ``"move"``
    signal, with the entrance door); the returned walker plans the rest of their visit (end it
    with :meth:`Walker.leave` or not, then :meth:`Walker.commit`). None: no public entrance."""
    site = world.site
    entrance = entrance_room(site)
    if entrance is None:
        return None
    way = walkway(site)
    if allowed is None:
        allowed = [r.id for r in site.rooms if r.public]
    door_xy = way.doorway(entrance, OUTSIDE)
    walker = Walker(world, who, role, entrance, door_xy, at, speed, allowed)
    door = way.door_between(entrance, OUTSIDE)

    def come_in(when: datetime) -> None:
        world.presence.enter(who, entrance, door_xy)
        world.signal("move", when, who=who, src=OUTSIDE, dst=entrance, role=role, door=door)

    if at <= world.now:  # a step running now (the visitors' own arrivals)
        come_in(at)
    else:  # planned ahead (a scenario injected before its time): in at ``at``, not now
        world.at(at, come_in)
    return walker


def opening_windows(
    site: Site, room_id: str, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The stretches of ``[start, end)`` when ``room_id`` is open to the public, to the minute."""
    t = start.replace(second=0, microsecond=0)
    if t < start:
        t += timedelta(minutes=1)
    windows: list[tuple[datetime, datetime]] = []
    opened: datetime | None = None
    step = timedelta(minutes=1)
    while t < end:
        now_open = site.is_open_to_public(room_id, t)
        if now_open and opened is None:
            opened = t
        elif not now_open and opened is not None:
            windows.append((opened, t))
            opened = None
        t += step
    if opened is not None:
        # Closed when? Look ahead up to a day past ``end`` so the close is the real one.
        limit = end + timedelta(days=1)
        while t < limit and site.is_open_to_public(room_id, t):
            t += step
        windows.append((opened, t))
    return windows


def dwell_median(artwork: Artwork) -> float:
    """Seconds a typical visitor looks at ``artwork``: by value tier, times a factor (0.6 to
    1.5) fixed by the artwork's id, so some works hold people longer than others."""
    digest = hashlib.sha256(artwork.id.encode()).digest()
    factor = 0.6 + 0.9 * digest[0] / 255
    return (12.0 + 8.0 * artwork.value_tier) * factor


class Visitors:
    """The visiting public of one world."""

    def __init__(self, world: World, settings: VisitorSettings) -> None:
        self.world = world
        self.settings = settings
        self.site = world.site
        self.way: Walkway = walkway(world.site)
        self.rng = world.rng("visitors")
        self.entrance = entrance_room(self.site)
        public = [r.id for r in self.site.rooms if r.public and r.opening_hours]
        self.per_day = (
            settings.per_day
            if settings.per_day is not None
            else VISITORS_PER_PUBLIC_ROOM * len(public)
        )
        self._spots: dict[str, list[Point]] = {}
        self._count = 0
        self.arrivals: list[datetime] = []
        """Every arrival time scheduled (for tests and figures)."""

    def install(self, start: datetime, end: datetime) -> None:
        if self.entrance is None or self.per_day <= 0:
            return
        s = self.settings
        for opened, closed in opening_windows(self.site, self.entrance, start, end):
            hours = (closed - opened).total_seconds() / 3600
            mean = self.per_day * min(1.4, hours / 8)
            n = max(0, round(mean * self.rng.gauss(1.0, 0.08)))
            last = closed - timedelta(minutes=s.last_entry_minutes)
            span = (last - opened).total_seconds()
            if span <= 0:
                continue
            a, b = s.arrival_shape
            times = sorted(
                opened + timedelta(seconds=span * self.rng.betavariate(a, b)) for _ in range(n)
            )
            for at in times:
                if start <= at < end:
                    self.arrivals.append(at)
                    self.world.at(at, self._arrive(closed))

    def _arrive(self, closes: datetime) -> Step:
        def step(at: datetime) -> None:
            self._count += 1
            who = f"v-{at:%Y%m%d}-{self._count:05d}"
            self.visit(who, at, closes)

        return step

    # -- one visit ---------------------------------------------------------------------------

    def visit(self, who: str, at: datetime, closes: datetime) -> datetime:
        """``who`` arrives now and tours until they mean to leave; returns when they leave."""
        rng, s, site = self.rng, self.settings, self.site
        assert self.entrance is not None
        budget = 60 * min(180.0, max(6.0, s.visit_minutes * math.exp(rng.gauss(0, 0.5))))
        hard = closes - timedelta(minutes=s.exit_margin_minutes)
        leave_by = min(at + timedelta(seconds=budget), hard)
        allowed = [
            r.id
            for r in site.rooms
            if site.is_open_to_public(r.id, at) and site.is_open_to_public(r.id, hard)
        ]
        walker = arrive(self.world, who, at, rng.uniform(0.8, 1.3), allowed)
        assert walker is not None
        self._tour(walker, leave_by, allowed)
        walker.leave()
        return walker.commit()

    def _tour(self, walker: Walker, leave_by: datetime, allowed: list[str]) -> None:
        rng = self.rng
        room = walker.room
        seen = {room}
        while True:
            for xy, dwell, art in self._stops(room):
                walk = walker.seconds_to(room, xy)
                if walk is None:
                    continue
                if not self._fits(walker, walk + dwell, room, xy, leave_by):
                    return
                walker.go(room, xy)
                if art is not None:
                    self._maybe_lean_in(walker, art, dwell)
                walker.stand(dwell)
            nxt = self._next_room(room, seen, allowed)
            if nxt is None:
                return
            entry = self.way.doorway(nxt, room)
            inside = self.way.grid(nxt).xy(self.way.grid(nxt).nearest(entry))
            walk = walker.seconds_to(nxt, inside)
            if walk is None or not self._fits(walker, walk, nxt, inside, leave_by):
                return
            walker.go(nxt, inside)
            seen.add(nxt)
            room = nxt
            if rng.random() < 0.1:  # some leave early, whatever their plan
                return

    def _fits(
        self, walker: Walker, seconds: float, room: str, xy: Point, leave_by: datetime
    ) -> bool:
        """Whether doing ``seconds`` more and then walking out still ends by ``leave_by``."""
        assert self.entrance is not None
        out = self.way.doorway(self.entrance, OUTSIDE)
        rooms = self.way.rooms_path(room, self.entrance, walker.allowed)
        here, metres = xy, 0.0
        for src, dst in pairwise(rooms):
            door = self.way.doorway(src, dst)
            metres += math.dist(here, door)
            here = door
        metres += math.dist(here, out)
        exit_s = 1.4 * metres / walker.speed + 20.0  # paths bend round barriers and people
        return walker.now + timedelta(seconds=seconds + exit_s) <= leave_by

    def _stops(self, room: str) -> list[tuple[Point, float, Artwork | None]]:
        """Where to stop in ``room``, nearest first: artworks of interest, maybe one more spot."""
        rng = self.rng
        stops: list[tuple[Point, float, Artwork | None]] = []
        for art in self.site.artworks:
            if art.room != room or rng.random() >= 0.35 + 0.12 * art.value_tier:
                continue
            spots = self._viewing_spots(art)
            dwell = dwell_median(art) * math.exp(rng.gauss(0, 0.6))
            stops.append((rng.choice(spots), min(360.0, max(3.0, dwell)), art))
        if rng.random() < 0.5:
            spot = rng.choice(self.way.grid(room).spots())
            stops.append((spot, rng.uniform(5, 25), None))
        rng.shuffle(stops)
        return stops

    def _viewing_spots(self, art: Artwork) -> list[Point]:
        if art.id not in self._spots:
            self._spots[art.id] = self.way.spot_near(art.room, art.position, 1.0, 1.8)
        return self._spots[art.id]

    def _next_room(self, room: str, seen: set[str], allowed: list[str]) -> str | None:
        rng = self.rng
        near = sorted(r for r in self.site.adjacent(room) if r in allowed and r not in seen)
        if not near:
            near = [r for r in allowed if r not in seen and self.way.rooms_path(room, r, allowed)]
        if not near:
            return None
        weights = [1 + sum(a.room == r for a in self.site.artworks) for r in near]
        return rng.choices(near, weights)[0]

    def _maybe_lean_in(self, walker: Walker, art: Artwork, dwell: float) -> None:
        s, rng = self.settings, self.rng
        if not art.barriers or art.barrier_min_seconds < 0.4 or dwell < 4:
            return
        if rng.random() >= s.lean_in_rate:
            return
        seen = any(
            v.camera.id in {b.camera for b in art.barriers} for v in self.way.covering(art.room)
        )
        if not seen:
            return
        start = walker.now + timedelta(seconds=rng.uniform(1.0, dwell - 2.0))
        length = rng.uniform(0.15, 0.6) * art.barrier_min_seconds
        end = start + timedelta(seconds=length)
        add_reach(self.world, Reach(walker.who, art.id, start, end))
        self.world.record(
            GroundTruth(
                scenario="leaning_in",
                start=start,
                rooms=(art.room,),
                patterns=("touching_artwork",),
                rules=("virtual_barrier",),
                artwork=art.id,
                window=timedelta(minutes=2),
                description=(
                    f"a visitor leans towards '{art.title}' for {length:.2f} s, under the "
                    f"barrier's {art.barrier_min_seconds:g} s minimum"
                ),
                attack=False,
                details={"who": walker.who, "seconds": f"{length:.2f}"},
            )
        )


def daily_curve(arrivals: list[datetime], site: Site) -> dict[int, int]:
    """Arrivals per local hour of day (for tests and figures)."""
    counts: dict[int, int] = {}
    for at in arrivals:
        hour = at.astimezone(site.tz).hour
        counts[hour] = counts.get(hour, 0) + 1
    return dict(sorted(counts.items()))


__all__ = [
    "VisitorSettings",
    "Visitors",
    "arrive",
    "daily_curve",
    "dwell_median",
    "entrance_room",
    "install",
    "opening_windows",
]
