"""Attacks the cameras see: at an artwork, in the galleries at closing, on the cameras.

Each scenario moves a person of its own through the twin (the same walking, drawing and
tracking as every visitor, :mod:`artguard.twin.visitors`, :mod:`artguard.twin.cameras`) or
sends what a camera worker would report, and records what artguard should make of it, with
the patterns triage really gives for those alerts (:mod:`artguard.triage.patterns`):

=================  =================================================  ===========================
scenario           caught by (``Alert.rule``)                         incident pattern
=================  =================================================  ===========================
theft_attempt      virtual_barrier, sensor_threshold (mount           theft_in_progress
                   vibration), artwork_missing                        (artwork missing)
touching_artwork   virtual_barrier (a hand inside for seconds)        touching_artwork
hiding_at_closing  after_hours_presence (after the 10 min grace)      after_hours_intrusion
camera_covered     camera_sabotage (``covered``)                      sensor_or_camera_sabotage
camera_turned      camera_sabotage (``moved``)                        sensor_or_camera_sabotage
casing             visitor_casing (the visitor watch's ``circling``   casing
                   flag at a high-value work)
=================  =================================================  ===========================

**casing** is caught by the visitor-behaviour watch (:mod:`artguard.visitors`): a visitor who
comes back to one high-value work again and again gets a ``WatchFlag`` with reason
``circling``; the ``visitor_casing`` rule (:mod:`artguard.rules.watch`) turns that flag into an
alert about the work, which triage names ``casing``.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from artguard.events import ArtworkView, CameraHealth, SensorReading
from artguard.site import Artwork, Camera, Site
from artguard.site.geometry import Point
from artguard.twin.motion import CameraDown, Reach, add_camera_down, add_reach
from artguard.twin.scenarios.base import scenario
from artguard.twin.truth import GroundTruth
from artguard.twin.visitors import arrive, entrance_room, opening_windows
from artguard.twin.walker import Walker
from artguard.twin.walkway import walkway
from artguard.twin.world import World

SEARCH = timedelta(days=8)
CLOSING_ARRIVAL = timedelta(minutes=35)
"""The hider comes in this long before closing, like a late visitor."""
HIDING_FOR = timedelta(minutes=45)
SABOTAGE_FOR = timedelta(minutes=20)
HOLD = timedelta(seconds=3)
"""The camera worker confirms a bad picture (and a good one again) after 3 s
(``SabotageThresholds.hold_seconds`` / ``recover_seconds``)."""
ARTWORK_CHECKS = timedelta(seconds=6)
"""The artwork check needs 3 agreeing checks 2 s apart once nobody hides the work."""
RESTORED_AFTER = timedelta(minutes=25)
"""A stolen work is back on the wall (and seen present) this long later: drill reset."""


def _rng(world: World, name: str, at: datetime) -> random.Random:
    return world.rng(f"scenario:{name}:{at.isoformat()}")


def _open_window(world: World, at: datetime, need: timedelta) -> tuple[datetime, datetime] | None:
    """The public opening window in which ``need`` fits from ``at`` on (``at`` moved to the
    window's opening when it falls outside one): (start, closing)."""
    entrance = entrance_room(world.site)
    if entrance is None:
        return None
    for opened, closes in opening_windows(world.site, entrance, at, at + SEARCH):
        start = max(opened, at)
        if start + need <= closes:
            return start, closes
    return None


def _seen_artworks(world: World, minimum_tier: int = 1) -> list[Artwork]:
    """Public artworks with a barrier drawn on a camera that covers their room."""
    site = world.site
    way = walkway(site)
    found = []
    for art in site.artworks:
        room = site.room(art.room)
        cams = {v.camera.id for v in way.covering(art.room)}
        if (
            room.public
            and art.value_tier >= minimum_tier
            and any(b.camera in cams for b in art.barriers)
        ):
            found.append(art)
    return found


def _best(arts: list[Artwork], rng: random.Random, prefer_sensors: bool) -> Artwork:
    def rank(a: Artwork) -> tuple[int, int]:
        return (bool(a.mount_sensors) if prefer_sensors else 0, a.value_tier)

    top = max(rank(a) for a in arts)
    return rng.choice([a for a in arts if rank(a) == top])


def _viewing_spot(world: World, art: Artwork, rng: random.Random, near: float = 1.0) -> Point:
    return rng.choice(walkway(world.site).spot_near(art.room, art.position, near, near + 0.8))


def _actor(world: World, name: str, at: datetime, rng: random.Random) -> Walker | None:
    who = f"{name}-{at:%Y%m%dT%H%M%S}"
    return arrive(world, who, at, rng.uniform(0.9, 1.2))


# -- at an artwork ---------------------------------------------------------------------------


@scenario(
    "theft_attempt",
    "a visitor reaches over a barrier, lifts a work off its mount (vibration) and walks off "
    "with it (the camera sees it missing)",
    when="open",
)
def theft_attempt(world: World, at: datetime) -> None:
    rng = _rng(world, "theft_attempt", at)
    window = _open_window(world, at, timedelta(minutes=15))
    arts = _seen_artworks(world)
    if window is None or not arts:
        return
    at = window[0]
    art = _best(arts, rng, prefer_sensors=True)
    walker = _actor(world, "thief", at, rng)
    if walker is None or not walker.go(art.room, _viewing_spot(world, art, rng)):
        return
    walker.stand(rng.uniform(15, 40))
    breach = walker.now
    lifting = timedelta(seconds=rng.uniform(6, 10))
    add_reach(world, Reach(walker.who, art.id, breach, breach + lifting))
    walker.stand(lifting.total_seconds())
    gone = walker.now
    walker.leave()
    walker.commit()
    site = world.site
    for i, sensor_id in enumerate(art.mount_sensors):
        sensor = site.sensor(sensor_id)
        peak = (sensor.max or 0.05) * rng.uniform(4, 12)
        for k in range(5):
            t = breach + timedelta(seconds=2 + k)
            world.emit(
                SensorReading(
                    id=f"twin.theft.{sensor_id}.{int(t.timestamp() * 1000)}.{i}{k}",
                    device_id=sensor_id,
                    site_time=t,
                    value=round(peak * rng.uniform(0.5, 1.0), 4),
                    unit=sensor.unit,
                )
            )
    for camera in {b.camera for b in art.barriers}:
        _artwork_view(world, camera, art, gone + ARTWORK_CHECKS, "missing", 0.03)
        _artwork_view(world, camera, art, gone + RESTORED_AFTER, "present", 0.92)
    world.record(
        GroundTruth(
            scenario="theft_attempt",
            start=breach,
            rooms=(art.room,),
            patterns=("theft_in_progress",),
            rules=("virtual_barrier", "sensor_threshold", "artwork_missing"),
            artwork=art.id,
            window=timedelta(minutes=10),
            description=(
                f"a visitor reaches over the barrier of '{art.title}' for "
                f"{lifting.total_seconds():.0f} s, lifting it off its mount, and walks off with it"
            ),
            details={"who": walker.who, "mount_sensors": ",".join(art.mount_sensors)},
        )
    )


def _artwork_view(
    world: World, camera: str, art: Artwork, at: datetime, status: str, similarity: float
) -> None:
    world.emit(
        ArtworkView(
            id=f"twin.{camera}.{art.id}.{status}.{int(at.timestamp())}",
            device_id=camera,
            site_time=at,
            artwork_id=art.id,
            status=status,  # type: ignore[arg-type]
            similarity=similarity,
        )
    )


@scenario(
    "touching_artwork",
    "a visitor puts a hand on a work through its virtual barrier for a few seconds",
    when="open",
)
def touching_artwork(world: World, at: datetime) -> None:
    rng = _rng(world, "touching_artwork", at)
    window = _open_window(world, at, timedelta(minutes=10))
    arts = [a for a in _seen_artworks(world) if a.barrier_min_seconds < 20]
    if window is None or not arts:
        return
    at = window[0]
    art = rng.choice(arts)
    walker = _actor(world, "toucher", at, rng)
    if walker is None or not walker.go(art.room, _viewing_spot(world, art, rng)):
        return
    walker.stand(rng.uniform(8, 20))
    touch = walker.now
    seconds = art.barrier_min_seconds + rng.uniform(1.5, 4.0)
    add_reach(world, Reach(walker.who, art.id, touch, touch + timedelta(seconds=seconds)))
    walker.stand(seconds + rng.uniform(5, 15))
    walker.leave()
    walker.commit()
    world.record(
        GroundTruth(
            scenario="touching_artwork",
            start=touch,
            rooms=(art.room,),
            patterns=("touching_artwork",),
            rules=("virtual_barrier",),
            artwork=art.id,
            window=timedelta(minutes=5),
            description=f"a visitor touches '{art.title}' for {seconds:.1f} s",
            details={"who": walker.who, "seconds": f"{seconds:.1f}"},
        )
    )


@scenario(
    "casing",
    "a visitor keeps coming back to one high-value work, studying its mount from close up",
    when="open",
)
def casing(world: World, at: datetime) -> None:
    rng = _rng(world, "casing", at)
    site = world.site
    tier = site.policies.visitors.high_value_tier
    window = _open_window(world, at, timedelta(minutes=30))
    arts = [a for a in _seen_artworks(world, tier) if _away_spots(world, a)]
    if window is None or not arts:
        return
    at = window[0]
    art = rng.choice(arts)
    walker = _actor(world, "caser", at, rng)
    if walker is None:
        return
    first: datetime | None = None
    returns = rng.randint(5, 6)
    away = _away_spots(world, art)
    for _ in range(returns):
        if not walker.go(art.room, _viewing_spot(world, art, rng, near=0.8)):
            return
        first = first or walker.now
        walker.stand(rng.uniform(12, 25))  # studying the frame and its fixings ...
        walker.go(art.room, _viewing_spot(world, art, rng, near=0.8))  # ... from the side
        walker.stand(rng.uniform(10, 20))
        walker.go(art.room, rng.choice(away))
        walker.stand(rng.uniform(25, 70))
    walker.leave()
    walker.commit()
    assert first is not None
    world.record(
        GroundTruth(
            scenario="casing",
            start=first,
            rooms=(art.room,),
            patterns=("casing",),
            rules=("visitor_casing",),
            artwork=art.id,
            window=timedelta(minutes=20),
            description=(
                f"a visitor returns {returns} times to '{art.title}' (value tier "
                f"{art.value_tier}), studying its mount from under a metre away"
            ),
            details={
                "who": walker.who,
                "returns": str(returns),
                "caught_by": "visitor watch flag (circling), as an alert",
                "watch_reason": "circling",
            },
        )
    )


def _away_spots(world: World, art: Artwork) -> list[Point]:
    """Clear spots in the artwork's room well away from it (4.5-9 m): walking there ends a
    visit in the watch's eyes (it needs 3 m)."""
    grid = walkway(world.site).grid(art.room)
    return [grid.xy(c) for c in grid.cells_within(art.position, 4.5, 9.0)]


# -- at closing ------------------------------------------------------------------------------


@scenario(
    "hiding_at_closing",
    "a late visitor stays behind in a gallery after closing instead of leaving",
    when="open",
)
def hiding_at_closing(world: World, at: datetime) -> None:
    rng = _rng(world, "hiding_at_closing", at)
    site = world.site
    window = _open_window(world, at, CLOSING_ARRIVAL + timedelta(minutes=1))
    if window is None:
        return
    closes = window[1]
    arrival = max(window[0], closes - CLOSING_ARRIVAL)
    way = walkway(site)
    entrance = entrance_room(site)
    public = [r.id for r in site.rooms if r.public]
    rooms = [r for r in public if way.covering(r)]
    if entrance is None or not rooms:
        return
    # The room furthest from the entrance: where stragglers are found last.
    depth = {r: len(way.rooms_path(entrance, r, public)) for r in rooms}
    deepest = max(depth.values())
    room = rng.choice(sorted(r for r in rooms if depth[r] == deepest))
    walker = _actor(world, "hider", arrival, rng)
    if walker is None:
        return
    grid = way.grid(room)
    corner = max(
        (grid.xy(c) for c in grid.clear),
        key=lambda p: min(
            (abs(p[0] - d[0]) + abs(p[1] - d[1]))
            for d in [way.doorway(room, n) for n in site.adjacent(room)] or [p]
        ),
    )
    if not walker.go(room, corner):
        return
    walker.stand(max(0.0, (closes + HIDING_FOR - walker.now).total_seconds()))
    walker.leave()
    walker.commit()
    world.record(
        GroundTruth(
            scenario="hiding_at_closing",
            start=closes,
            rooms=(room,),
            patterns=("after_hours_intrusion",),
            rules=("after_hours_presence",),
            window=timedelta(minutes=30),
            description=(
                f"a visitor who came in at {arrival.astimezone(site.tz):%H:%M} stays in "
                f"{site.room(room).name} after closing at {closes.astimezone(site.tz):%H:%M} "
                f"(the presence rule allows a grace period after closing)"
            ),
            details={"who": walker.who},
        )
    )


# -- on the cameras --------------------------------------------------------------------------


def _target_camera(world: World, rng: random.Random) -> Camera | None:
    """A camera worth blinding: the one guarding the most valuable works (any camera when
    none guards a work)."""
    site: Site = world.site
    if not site.cameras:
        return None
    guarded = {c.id: 0 for c in site.cameras}
    for art in site.artworks:
        for b in art.barriers:
            if b.camera in guarded:
                guarded[b.camera] = max(guarded[b.camera], art.value_tier)
    top = max(guarded.values())
    return site.camera(rng.choice(sorted(c for c, t in guarded.items() if t == top)))


def _sabotage(world: World, at: datetime, name: str, status: str, detail: str) -> None:
    rng = _rng(world, name, at)
    camera = _target_camera(world, rng)
    if camera is None:
        return
    end = at + SABOTAGE_FOR
    add_camera_down(world, CameraDown(camera.id, at, end))
    stamp = int(at.timestamp())
    world.emit(
        CameraHealth(
            id=f"twin.{camera.id}.{status}.{stamp}",
            device_id=camera.id,
            site_time=at + HOLD,
            status=status,  # type: ignore[arg-type]
            detail=detail,
        )
    )
    world.emit(
        CameraHealth(
            id=f"twin.{camera.id}.online.{stamp}",
            device_id=camera.id,
            site_time=end + HOLD,
            status="online",
            detail="picture back to its reference",
        )
    )
    world.record(
        GroundTruth(
            scenario=name,
            start=at,
            rooms=(camera.rooms[0],),
            patterns=("sensor_or_camera_sabotage",),
            rules=("camera_sabotage",),
            window=timedelta(minutes=5),
            description=f"{camera.name}: {status} for {SABOTAGE_FOR.total_seconds() / 60:.0f} min",
            details={"camera": camera.id, "status": status},
        )
    )


@scenario("camera_covered", "someone covers a camera's lens (tape, a cloth, a hand)")
def camera_covered(world: World, at: datetime) -> None:
    rng = _rng(world, "camera_covered:detail", at)
    _sabotage(
        world,
        at,
        "camera_covered",
        "covered",
        f"mean brightness {rng.uniform(2, 12):.0f}, contrast {rng.uniform(0.5, 4):.1f}",
    )


@scenario("camera_turned", "someone turns a camera away from what it watches")
def camera_turned(world: World, at: datetime) -> None:
    rng = _rng(world, "camera_turned:detail", at)
    features = rng.randint(250, 600)
    _sabotage(
        world,
        at,
        "camera_turned",
        "moved",
        f"{rng.randint(0, 12)} of {features} reference features match; shift "
        f"{rng.uniform(8, 30):.1f}% of the width, rotation {rng.uniform(-40, 40):.1f} deg",
    )
