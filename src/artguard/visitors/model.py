"""What normal visitor behaviour looks like, learned per room and time band.

Everything here is counts, so the model learns online (each finished visitor adds to it), merges
and survives a restart as JSON (:mod:`artguard.visitors.store`):

* speed (m/s) per room and band: a histogram;
* direction of flow per room, band and 2 m floor cell: the sum of unit walking directions;
* dwell per artwork (seconds per visit) and visits per visitor per artwork;
* dwell per exit / blind-spot zone (seconds per stay);
* visitors per room and band, and transitions between rooms (routes).

A *band* is a 3-hour slice of the site's local day ("12-15"). A question about a band with too
little history falls back to the room's all-day figures, then to the documented defaults.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

SECONDS_EDGES = (
    1, 2, 3, 5, 7, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800,
    3600,
)  # fmt: skip
SPEED_EDGES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.5, 3.0, 4.0)
ALL_DAY = "*"
CELL_M = 2.0
BAND_HOURS = 3


_BANDS: dict[tuple[object, ...], str] = {}


def band_of(at: datetime, tz: ZoneInfo) -> str:
    """The 3-hour band of the local day, e.g. '12-15'.

    Asked for several times per tracked person and frame, so remembered per minute of ``at``
    (its own clock fields, zone and fold: one instant's minute): every time zone's offset has
    been whole minutes since 1972, so that minute lies in one local hour of ``tz``.
    """
    if at.year < 1973:
        return _band(at, tz)
    key = (at.year, at.month, at.day, at.hour, at.minute, at.fold, at.tzinfo, tz.key)
    band = _BANDS.get(key)
    if band is None:
        if len(_BANDS) > 100_000:
            _BANDS.clear()
        band = _BANDS[key] = _band(at, tz)
    return band


def _band(at: datetime, tz: ZoneInfo) -> str:
    start = at.astimezone(tz).hour // BAND_HOURS * BAND_HOURS
    return f"{start:02d}-{start + BAND_HOURS:02d}"


def cell_of(xy: tuple[float, float]) -> str:
    return f"{math.floor(xy[0] / CELL_M)},{math.floor(xy[1] / CELL_M)}"


@dataclass
class Histogram:
    """Counts in bins with fixed upper edges; the last bin is open-ended."""

    edges: tuple[float, ...]
    counts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.counts:
            self.counts = [0] * (len(self.edges) + 1)

    @property
    def total(self) -> int:
        return sum(self.counts)

    def add(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.edges, value)] += 1

    def quantile(self, q: float) -> float:
        """The upper edge of the bin holding the q-quantile: an upper bound, so a threshold
        taken from it errs towards fewer flags. ``inf`` when it falls in the open last bin."""
        need = q * self.total
        running = 0
        for i, count in enumerate(self.counts):
            running += count
            if running >= need and count:
                return self.edges[i] if i < len(self.edges) else math.inf
        return math.inf

    def merge(self, other: Histogram) -> None:
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]


@dataclass
class Counts:
    """Exact counts of small integers (visits per visitor per artwork)."""

    counts: dict[int, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, value: int) -> None:
        self.counts[value] = self.counts.get(value, 0) + 1

    def quantile(self, q: float) -> int:
        need = q * self.total
        running = 0
        for value in sorted(self.counts):
            running += self.counts[value]
            if running >= need:
                return value
        return max(self.counts, default=0)


@dataclass
class Flow:
    """Sum of unit walking directions in one floor cell."""

    dx: float = 0.0
    dy: float = 0.0
    n: int = 0

    def add(self, ux: float, uy: float) -> None:
        self.dx += ux
        self.dy += uy
        self.n += 1

    @property
    def coherence(self) -> float:
        """Length of the mean direction, 0 (all ways) to 1 (everyone the same way)."""
        return math.hypot(self.dx, self.dy) / self.n if self.n else 0.0

    @property
    def direction(self) -> tuple[float, float]:
        length = math.hypot(self.dx, self.dy)
        return (self.dx / length, self.dy / length) if length else (0.0, 0.0)


@dataclass
class BehaviourModel:
    """The learned normal of one site (see the module docstring)."""

    speed: dict[str, Histogram] = field(default_factory=dict)
    """'room|band' and 'room|*' -> speeds in m/s."""
    flow: dict[str, dict[str, Flow]] = field(default_factory=dict)
    """'room|band' and 'room|*' -> cell -> flow."""
    dwell: dict[str, Histogram] = field(default_factory=dict)
    """Artwork id or zone id -> seconds per visit / stay."""
    visits: dict[str, Counts] = field(default_factory=dict)
    """Artwork id -> visits per visitor (of those who came at least once)."""
    room_visitors: dict[str, int] = field(default_factory=dict)
    """'room|band' and 'room|*' -> visitors seen there."""
    transitions: dict[str, int] = field(default_factory=dict)
    """'from>to' -> visitors who walked from one room into the other."""
    visitors: int = 0

    # -- learning --------------------------------------------------------------------------

    def add_speed(self, room: str, band: str, speed: float) -> None:
        for key in (f"{room}|{band}", f"{room}|{ALL_DAY}"):
            self.speed.setdefault(key, Histogram(SPEED_EDGES)).add(speed)

    def add_direction(self, room: str, band: str, xy: tuple[float, float], ux: float, uy: float):
        cell = cell_of(xy)
        for key in (f"{room}|{band}", f"{room}|{ALL_DAY}"):
            self.flow.setdefault(key, {}).setdefault(cell, Flow()).add(ux, uy)

    def add_dwell(self, place: str, seconds: float) -> None:
        self.dwell.setdefault(place, Histogram(SECONDS_EDGES)).add(seconds)

    def add_visits(self, artwork_id: str, visits: int) -> None:
        self.visits.setdefault(artwork_id, Counts()).add(visits)

    def add_room_visitor(self, room: str, band: str) -> None:
        for key in (f"{room}|{band}", f"{room}|{ALL_DAY}"):
            self.room_visitors[key] = self.room_visitors.get(key, 0) + 1

    def add_transition(self, from_room: str, to_room: str) -> None:
        key = f"{from_room}>{to_room}"
        self.transitions[key] = self.transitions.get(key, 0) + 1

    # -- questions -------------------------------------------------------------------------

    def dominant_flow(
        self,
        room: str,
        band: str,
        xy: tuple[float, float],
        *,
        min_samples: int,
        coherence: float,
        cell: str | None = None,
    ) -> tuple[tuple[float, float], Flow] | None:
        """The usual walking direction at ``xy``, if one is learned and clear enough
        (``cell``: ``cell_of(xy)`` when the caller has it already)."""
        cell = cell or cell_of(xy)
        for key in (f"{room}|{band}", f"{room}|{ALL_DAY}"):
            flow = self.flow.get(key, {}).get(cell)
            if flow is not None and flow.n >= min_samples:
                return (flow.direction, flow) if flow.coherence >= coherence else None
        return None

    # -- persistence -----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 1,
            "visitors": self.visitors,
            "speed": {k: h.counts for k, h in self.speed.items()},
            "flow": {
                k: {c: [round(f.dx, 4), round(f.dy, 4), f.n] for c, f in cells.items()}
                for k, cells in self.flow.items()
            },
            "dwell": {k: h.counts for k, h in self.dwell.items()},
            "visits": {k: {str(v): n for v, n in c.counts.items()} for k, c in self.visits.items()},
            "room_visitors": dict(self.room_visitors),
            "transitions": dict(self.transitions),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BehaviourModel:
        """Rebuild a model; raises ``ValueError`` naming the part that is malformed."""
        if data.get("version") != 1:
            raise ValueError(f"unknown visitor model version {data.get('version')!r}")
        try:
            return cls(
                speed={k: _histogram(SPEED_EDGES, v) for k, v in data["speed"].items()},
                flow={
                    k: {c: Flow(float(f[0]), float(f[1]), int(f[2])) for c, f in cells.items()}
                    for k, cells in data["flow"].items()
                },
                dwell={k: _histogram(SECONDS_EDGES, v) for k, v in data["dwell"].items()},
                visits={
                    k: Counts({int(v): int(n) for v, n in c.items()})
                    for k, c in data["visits"].items()
                },
                room_visitors={k: int(v) for k, v in data["room_visitors"].items()},
                transitions={k: int(v) for k, v in data["transitions"].items()},
                visitors=int(data["visitors"]),
            )
        except (KeyError, TypeError, IndexError, AttributeError) as exc:
            raise ValueError(f"malformed visitor model: {exc!r}") from None

    def summary(self) -> dict[str, Any]:
        """What was learned, in the units a person reads (for the API and CLI)."""
        return {
            "visitors": self.visitors,
            "rooms": {
                key: {
                    "visitors": n,
                    "speed_p50_mps": _finite(self.speed[key].quantile(0.5))
                    if key in self.speed
                    else None,
                    "speed_p99_mps": _finite(self.speed[key].quantile(0.99))
                    if key in self.speed
                    else None,
                    "flow_cells": len(self.flow.get(key, {})),
                }
                for key, n in sorted(self.room_visitors.items())
            },
            "dwell": {
                place: {
                    "stays": h.total,
                    "p50_s": _finite(h.quantile(0.5)),
                    "p99_s": _finite(h.quantile(0.99)),
                }
                for place, h in sorted(self.dwell.items())
            },
            "visits": {
                artwork: {"visitors": c.total, "p99": c.quantile(0.99)}
                for artwork, c in sorted(self.visits.items())
            },
            "transitions": dict(sorted(self.transitions.items())),
        }


def _histogram(edges: tuple[float, ...], counts: list[int]) -> Histogram:
    if len(counts) != len(edges) + 1:
        raise ValueError(f"histogram has {len(counts)} bins, expected {len(edges) + 1}")
    return Histogram(edges, [int(c) for c in counts])


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None
