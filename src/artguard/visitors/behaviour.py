"""One visitor's behaviour so far: where they walk, how fast, which way, near which artworks
and watched zones, and for how long.

:class:`VisitorState` digests the visitor's observations into the quantities the model learns
and the checks compare (:mod:`artguard.visitors.checks`), and, when learning, adds them to the
model as they complete: a walking sample each second, a dwell when a visit or stay ends, the
visits per artwork when the visitor leaves.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from artguard.site import Artwork, Site
from artguard.visitors.handoff import Visitor
from artguard.visitors.model import BehaviourModel, band_of, cell_of
from artguard.visitors.observe import Observation

NEAR_M = 2.0
"""Within this distance of an artwork a visitor is at it ..."""
AWAY_M = 3.0
"""... and only beyond this one have they left it (hysteresis: no visits from jitter)."""
VISIT_S = 8.0
"""A visit is a stop near the artwork (slower than ``STOP_MPS``) or a stay near it this long;
walking past it is not a visit."""
STOP_MPS = 0.5
STEP_S = 1.0
"""Walking speed and direction are measured over about a second."""
MIN_WALK_MPS = 0.4
"""Slower than this a visitor is standing; standing people have no direction."""
ZONE_GAP = timedelta(seconds=5)
"""Out of a zone (or out of view) for up to this long is still the same stay."""


@dataclass
class ArtworkVisits:
    near: bool = False
    counted: bool = False
    """The current stay near the artwork has lasted long enough to be a visit."""
    visits: int = 0
    since: datetime | None = None
    last_near: datetime | None = None


@dataclass
class ZoneStay:
    since: datetime
    last: datetime

    @property
    def seconds(self) -> float:
        return (self.last - self.since).total_seconds()


@dataclass(frozen=True)
class Step:
    """About a second of walking: where (the middle of it), which way (unit vector), how
    fast."""

    at: datetime
    room_id: str
    xy: tuple[float, float]
    direction: tuple[float, float]
    speed: float
    band: str
    """The time band of ``at`` (:func:`~artguard.visitors.model.band_of`), asked for often."""
    cell: str
    """The flow cell of ``xy`` (:func:`~artguard.visitors.model.cell_of`), likewise."""


@dataclass
class VisitorState:
    """What one visitor has done; fed their observations in time order."""

    visitor: Visitor
    site: Site
    high_value_tier: int
    model: BehaviourModel | None = None
    """Where completed quantities are learned; None: judge only."""
    room_id: str | None = None
    xy: tuple[float, float] | None = None
    last_seen: datetime | None = None
    artworks: dict[str, ArtworkVisits] = field(default_factory=dict)
    zones: dict[str, ZoneStay] = field(default_factory=dict)
    steps: deque[Step] = field(default_factory=lambda: deque(maxlen=30))
    raised: dict[str, str] = field(default_factory=dict)
    """Reason kind -> its plain-language reason, once each."""
    evidence: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    _anchor: tuple[datetime, tuple[float, float]] | None = None
    _rooms_counted: set[str] = field(default_factory=set)
    _last_counted: tuple[str, str] | None = None
    _room_artworks: dict[str, list[tuple[str, float, float]]] = field(default_factory=dict)
    """Room id -> (id, x, y) of its artworks, in site order (looked up each frame)."""

    def __post_init__(self) -> None:
        artwork: Artwork
        for artwork in self.site.artworks:
            x, y = artwork.position
            self._room_artworks.setdefault(artwork.room, []).append((artwork.id, x, y))

    def observe(self, obs: Observation) -> Step | None:
        """Take one observation; returns the walking step it completes, if any."""
        if self.last_seen is not None and obs.at < self.last_seen:
            return None  # a late frame from another camera: the newer state stands
        self._room(obs)
        self.last_seen = obs.at
        self._zones(obs)
        if obs.floor_xy is None:
            return None
        self.xy = obs.floor_xy
        step = self._step(obs)
        self._artworks(obs)
        return step

    def finish(self) -> None:
        """The visitor left: close their open visits and stays, and learn them."""
        if self.model is None:
            return
        for zone_id, stay in self.zones.items():
            self.model.add_dwell(zone_id, stay.seconds)
        self.zones.clear()
        for artwork_id, record in self.artworks.items():
            if record.near:
                self._end_visit(artwork_id, record)
            if record.visits:
                self.model.add_visits(artwork_id, record.visits)
        self.model.visitors += 1

    # -- digestion ---------------------------------------------------------------------------

    def _room(self, obs: Observation) -> None:
        if obs.room_id != self.room_id:
            if self.model is not None and self.room_id is not None:
                self.model.add_transition(self.room_id, obs.room_id)
            self.room_id = obs.room_id
        if self.model is None:
            return
        band = band_of(obs.at, self.site.tz)
        if (obs.room_id, band) == self._last_counted:
            return
        self._last_counted = (obs.room_id, band)
        key = f"{obs.room_id}|{band}"
        if key not in self._rooms_counted:
            self._rooms_counted.add(key)
            self.model.add_room_visitor(obs.room_id, band)

    def _zones(self, obs: Observation) -> None:
        for zone_id in obs.zones:
            stay = self.zones.get(zone_id)
            if stay is None or obs.at - stay.last > ZONE_GAP:
                if stay is not None and self.model is not None:
                    self.model.add_dwell(zone_id, stay.seconds)
                self.zones[zone_id] = ZoneStay(obs.at, obs.at)
            else:
                stay.last = obs.at

    def _artworks(self, obs: Observation) -> None:
        assert obs.floor_xy is not None
        x, y = obs.floor_xy
        for artwork_id, ax, ay in self._room_artworks.get(obs.room_id, ()):
            dx, dy = ax - x, ay - y
            record = self.artworks.get(artwork_id)
            if (record is None or not record.near) and (abs(dx) > NEAR_M or abs(dy) > NEAR_M):
                continue  # not at it, and not near enough to come to it (hypot >= |dx|, |dy|)
            d = math.hypot(dx, dy)
            if record is None:
                if d > NEAR_M:
                    continue
                record = self.artworks[artwork_id] = ArtworkVisits()
            if not record.near and d <= NEAR_M:
                record.near, record.counted, record.since = True, False, obs.at
            elif record.near and d > AWAY_M:
                self._end_visit(artwork_id, record)
            if record.near:
                record.last_near = obs.at
                if (
                    not record.counted
                    and record.since is not None
                    and (
                        self._stopped(record.since)
                        or (obs.at - record.since).total_seconds() >= VISIT_S
                    )
                ):
                    record.counted = True
                    record.visits += 1

    def _stopped(self, since: datetime) -> bool:
        """Stood still (a walking step slower than ``STOP_MPS``) since ``since``."""
        return any(step.speed < STOP_MPS for step in self.steps if step.at > since)

    def _end_visit(self, artwork_id: str, record: ArtworkVisits) -> None:
        if self.model is not None and record.counted and record.since and record.last_near:
            self.model.add_dwell(artwork_id, (record.last_near - record.since).total_seconds())
        record.near = record.counted = False

    def _step(self, obs: Observation) -> Step | None:
        assert obs.floor_xy is not None
        if self._anchor is None:
            self._anchor = (obs.at, obs.floor_xy)
            return None
        start, (x0, y0) = self._anchor
        dt = (obs.at - start).total_seconds()
        if dt < STEP_S:
            return None
        self._anchor = (obs.at, obs.floor_xy)
        if dt > 3 * STEP_S:
            return None  # out of view for a while: no honest speed over the gap
        dx, dy = obs.floor_xy[0] - x0, obs.floor_xy[1] - y0
        speed = math.hypot(dx, dy) / dt
        direction = (dx / (speed * dt), dy / (speed * dt)) if speed > 0 else (0.0, 0.0)
        mid = ((x0 + obs.floor_xy[0]) / 2, (y0 + obs.floor_xy[1]) / 2)
        band = band_of(obs.at, self.site.tz)
        step = Step(obs.at, obs.room_id, mid, direction, speed, band, cell_of(mid))
        self.steps.append(step)
        if self.model is not None:
            self.model.add_speed(obs.room_id, band, speed)
            if speed >= MIN_WALK_MPS:
                self.model.add_direction(obs.room_id, band, mid, *direction)
        return step
