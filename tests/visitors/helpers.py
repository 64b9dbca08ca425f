"""Hand-made trajectories for the visitor tests: detection events on the visitors test site."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from artguard.events import Detection, TrackedObject
from artguard.site import Site, load_site
from artguard.vision.appearance import PART_BINS
from tests.conftest import FIXTURES

VISITORS_SITE = FIXTURES / "visitors-site.yaml"
NOON = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
"""Monday noon in London: the plaza is open (10:00-18:00)."""
STEP = 0.2
"""Seconds between analysed frames (5 fps)."""
MIDDLE_BOX = (380.0, 300.0, 400.0, 400.0)
"""A box whose feet are in no watched zone."""
EXIT_BOX = (20.0, 350.0, 50.0, 450.0)
"""A box whose feet are in the exit zone z-exit."""


def visitors_site() -> Site:
    return load_site(VISITORS_SITE)


def look(torso_bin: int, legs_bin: int) -> list[float]:
    """An appearance signature: all torso colour in one bin, all leg colour in another."""
    values = [0.0] * (2 * PART_BINS)
    values[torso_bin] = 0.5
    values[PART_BINS + legs_bin] = 0.5
    return values


RED_BLACK = look(0, 12)
BLUE_GREY = look(8, 14)


@dataclass(frozen=True)
class Point:
    """One person in one frame."""

    t: float
    track: int
    xy: tuple[float, float] | None
    box: tuple[float, float, float, float] = MIDDLE_BOX
    appearance: list[float] | None = None


def walk(
    track: int,
    start: float,
    path: list[tuple[float, float]],
    *,
    speed: float = 1.2,
    pause: float = 0.0,
    box: tuple[float, float, float, float] = MIDDLE_BOX,
    appearance: list[float] | None = RED_BLACK,
) -> list[Point]:
    """Points of a person walking ``path`` (floor metres) at ``speed``, pausing ``pause``
    seconds at every waypoint after the first."""
    points = [Point(start, track, path[0], box, appearance)]
    t = start
    for (x0, y0), (x1, y1) in itertools.pairwise(path):
        steps = max(1, round(math.hypot(x1 - x0, y1 - y0) / speed / STEP))
        for i in range(1, steps + 1):
            t += STEP
            f = i / steps
            points.append(Point(t, track, (x0 + f * (x1 - x0), y0 + f * (y1 - y0)), box))
        for _ in range(round(pause / STEP)):
            t += STEP
            points.append(Point(t, track, (x1, y1), box))
    # The camera worker sends the appearance about every 2 s.
    return [
        p if i % 10 else Point(p.t, p.track, p.xy, p.box, appearance) for i, p in enumerate(points)
    ]


def stay(
    track: int,
    start: float,
    seconds: float,
    xy: tuple[float, float],
    box: tuple[float, float, float, float],
    appearance: list[float] | None = RED_BLACK,
) -> list[Point]:
    return [
        Point(start + i * STEP, track, xy, box, appearance if i % 10 == 0 else None)
        for i in range(round(seconds / STEP) + 1)
    ]


def events(
    points: Iterable[Point], *, camera: str = "cam-1", base: datetime = NOON
) -> list[Detection]:
    """One detection event per frame time, holding every person seen then."""
    frames: dict[float, list[Point]] = {}
    for point in points:
        frames.setdefault(round(point.t, 3), []).append(point)
    return [
        Detection(
            id=f"d-{camera}-{t:.3f}".replace(".", "_"),
            device_id=camera,
            site_time=base + timedelta(seconds=t),
            objects=[
                TrackedObject(
                    track_id=p.track,
                    confidence=0.9,
                    bbox=p.box,
                    floor_xy=p.xy,
                    appearance=p.appearance,
                )
                for p in frames[t]
            ],
        )
        for t in sorted(frames)
    ]


def merged(*streams: list[Detection]) -> list[Detection]:
    return sorted((e for s in streams for e in s), key=lambda e: e.site_time)
