"""Cameras of the twin: the ``Detection`` events a camera worker would send for the people the
twin has in each camera's rooms, plus its ``online`` report and artwork baselines.

What a camera sends, and why it is shaped so (the rules in :mod:`artguard.vision.rules` and the
visitor watch in :mod:`artguard.visitors` consume it unchanged):

* **Motion-gated frames.** A camera sends frames only while someone is in its rooms (woken by
  the ``"move"`` signal), at ``fps`` while few people are in view; in a crowd the frame
  interval grows so that about ``max_objects_per_second`` tracked people are sent per second,
  never slower than one frame per ``max_interval`` seconds; a scene where nobody moves gets one
  frame per ``still_interval`` (the motion gate resting the detector), and a camera with
  someone standing in one of its restricted or loitering zones goes back to ``fps`` (those
  rules time a stay with a 3-5 s gap tolerance). That keeps a site-day of thousands of
  visitors cheap (about 50 000 frames, 260 000 tracked people on the demo site), while the
  rules still see each person within their gap tolerance. In a crowd (frames 3-5 s apart) a
  person standing still in a zone would be re-timed at each frame, hence the zone rule.
* **Close looks.** A hand reaching into a barrier (the ``"reach"`` signal: a lean-in, a touch,
  a theft) is watched at the camera's own ``fps`` from just before to just after, since the
  barrier rule times touches to a fraction of a second; a person crossing one of the camera's
  counting lines gets two frames at the camera's ``fps``, one either side of the line, with
  their track: exactly one crossing in the right direction for the occupancy counter.
* **Tracks.** Each person keeps one track id per camera while in view (a new one after ``
  TRACK_GAP`` unseen, as a real tracker); boxes, feet and keypoints come from
  :class:`~artguard.twin.camera_view.CameraView`; ``floor_xy`` is the twin's own position;
  keypoints are sent when the box meets a barrier (where the real pose gate runs pose); the
  clothing-colour signature at the track's first frame and then every
  ``appearance_every`` seconds.
* **Health and artwork baselines.** ``CameraHealth(online)`` at the start (the worker reports
  it at its first frame; afterwards only changes, so no heartbeats), and an
  ``ArtworkView(present)`` per artwork barrier (the worker reports state changes; the present
  baseline re-arms the missing rule). While a scenario has a camera covered or turned
  (:class:`~artguard.twin.motion.CameraDown`) it sends no detections.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from artguard.events import ArtworkView, CameraHealth, Detection, TrackedObject
from artguard.site.geometry import Point
from artguard.twin.camera_view import CameraView
from artguard.twin.motion import Reach, camera_down_at, position, reach_at
from artguard.twin.walkway import walkway
from artguard.twin.world import World
from artguard.vision.appearance import PART_BINS

TRACK_GAP = 10.0
"""Seconds unseen after which a person returning gets a new track id."""
CROSSING_WINDOW = 1.5
"""Seconds around a line crossing during which the person is drawn at the line."""
LOOK_AROUND = 0.4
"""Seconds before and after a reach that a camera watches at its own frame rate."""


@dataclass(frozen=True)
class CameraSettings:
    fps: float = 1.0
    """Frames per second while someone is in view and the room is quiet."""
    max_objects_per_second: float = 1.5
    """In a crowd, frames come so that about this many people per second are sent."""
    max_interval: float = 5.0
    """Never fewer frames than one per this many seconds while someone is in view."""
    still_interval: float = 2.5
    """While nobody in view moves: one frame per this many seconds (under the presence
    rules' 3 s gap, so a person standing still stays one presence)."""
    appearance_every: float = 2.0
    roles: frozenset[str] | None = None
    """Roles drawn (``visitor``, ``staff``, ``intruder``...); None: everyone in the rooms."""
    baselines: bool = True
    """Send ``CameraHealth(online)`` and ``ArtworkView(present)`` at the start."""

    def __post_init__(self) -> None:
        for name in (
            "fps",
            "max_objects_per_second",
            "max_interval",
            "still_interval",
            "appearance_every",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"camera setting {name} must be positive")


STATE_KEY = "cameras"


def install(
    world: World, start: datetime, end: datetime, settings: CameraSettings | None = None
) -> None:
    """Every camera of the site sends what it sees during ``[start, end)``
    (:func:`of` gives the cameras back, e.g. for their frame counts)."""
    cameras = Cameras(world, start, end, settings or CameraSettings())
    cameras.install()
    world.state[STATE_KEY] = cameras


def of(world: World) -> Cameras:
    """The cameras installed on ``world``."""
    found = world.state.get(STATE_KEY)
    if not isinstance(found, Cameras):
        raise LookupError("no cameras installed on this world (call cameras.install first)")
    return found


@dataclass
class _Track:
    track_id: int
    last_seen: float
    last_look: float


@dataclass(frozen=True)
class _Crossing:
    at: float
    src: str
    dst: str
    line_index: int
    along: float


class Cameras:
    """All cameras of one world."""

    def __init__(
        self, world: World, start: datetime, end: datetime, settings: CameraSettings
    ) -> None:
        self.world = world
        self.start = start
        self.end = end
        self.settings = settings
        way = walkway(world.site)
        self.feeds = [CameraFeed(self, view) for view in way.views.values()]
        self.roles: dict[str, str] = {}
        self.looks: dict[str, tuple[float, ...]] = {}
        self.frames: dict[str, int] = {}
        self.objects: dict[str, int] = {}

    def install(self) -> None:
        world = self.world
        world.on("move", self._moved)
        world.on("reach", self._reach)
        for feed in self.feeds:
            if self.settings.baselines:
                feed.baselines(self.start)
            feed.wake(self.start)

    def look(self, who: str) -> tuple[float, ...]:
        """``who``'s clothing-colour signature (torso and legs, each half summing to 0.5)."""
        found = self.looks.get(who)
        if found is None:
            rng = random.Random(f"{self.world.seed}:look:{who}")
            halves: list[float] = []
            for _ in range(2):
                main = rng.randrange(PART_BINS)
                part = [0.02 + 0.1 * rng.random() for _ in range(PART_BINS)]
                part[main] += 3.0
                part[(main + 1) % PART_BINS] += 0.6 * rng.random()
                total = sum(part)
                halves.extend(0.5 * v / total for v in part)
            found = self.looks[who] = tuple(halves)
        return found

    def _moved(self, at: datetime, **data: object) -> None:
        who, role = str(data["who"]), data.get("role")
        if isinstance(role, str):
            self.roles[who] = role
        src, dst = str(data["src"]), str(data["dst"])
        for feed in self.feeds:
            feed.moved(at, who, src, dst)

    def _reach(self, at: datetime, **data: object) -> None:
        reach = data["reach"]
        assert isinstance(reach, Reach)
        for feed in self.feeds:
            if any(art == reach.artwork for art, _ in feed.view.barriers):
                feed.watch_closely(reach)

    def drawn(self, who: str) -> bool:
        roles = self.settings.roles
        return roles is None or self.roles.get(who, "unknown") in roles


class CameraFeed:
    """One camera: its tracks and frame schedule."""

    def __init__(self, rig: Cameras, view: CameraView) -> None:
        self.rig = rig
        self.world = rig.world
        self.view = view
        self.camera = view.camera
        self.rooms = tuple(self.camera.rooms)
        self.frame_gap = 1.0 / self.camera.fps
        self.rng = self.world.rng(f"camera:{self.camera.id}")
        self.tracks: dict[str, _Track] = {}
        self.crossings: dict[str, _Crossing] = {}
        self._next_track = 1
        self._pending = False
        self._events = 0
        self._spots: dict[str, list[Point]] = {}
        self._last_xy: dict[str, Point] = {}

    # -- schedule ----------------------------------------------------------------------------

    def wake(self, at: datetime) -> None:
        """Someone may be in view from ``at``: start the frame clock if it is stopped."""
        if not self._pending and at < self.rig.end:
            self._pending = True
            self.world.at(at, self._tick)

    def _tick(self, at: datetime) -> None:
        self._pending = False
        if at >= self.rig.end:
            return
        people = self._in_view()
        if not people:
            return  # motion gate: nothing moves, nothing is sent; the next "move" wakes it
        down = camera_down_at(self.world, self.camera.id, at)
        if down is not None:
            self._pending = True
            self.world.at(max(down.end, at + timedelta(seconds=1)), self._tick)
            return
        moving, in_zone = self._send(at, people)
        s = self.rig.settings
        if in_zone:  # someone a zone rule is timing: look at the camera's quiet rate
            interval = 1.0 / s.fps
        else:
            interval = min(s.max_interval, max(1.0 / s.fps, len(people) / s.max_objects_per_second))
            if not moving:  # a still scene: the motion gate lets the detector rest
                interval = max(interval, min(s.still_interval, s.max_interval))
        self._pending = True
        self.world.at(at + timedelta(seconds=interval), self._tick)
        if len(self.tracks) > 4 * len(people) + 50:
            self._prune(at.timestamp())

    def moved(self, at: datetime, who: str, src: str, dst: str) -> None:
        if dst in self.rooms:
            self.wake(at)
        lines = self.view.line_between(src, dst)
        if not lines or not self.rig.drawn(who) or not self.rig.start <= at < self.rig.end:
            return
        line = lines[0]
        index = self.view.lines.index(line)
        along = self.view.crossing_along(line, self.rng.uniform(-0.25, 0.25))
        self.crossings[who] = _Crossing(at.timestamp(), src, dst, index, along)
        # One frame on the threshold (still on the side they come from), one just past it.
        self._send(at, [(who, src)])
        after = at + timedelta(seconds=self.frame_gap)
        self.world.at(after, lambda t: self._send(t, [(who, dst)]))

    def watch_closely(self, reach: Reach) -> None:
        t = reach.start - timedelta(seconds=LOOK_AROUND)
        stop = reach.end + timedelta(seconds=LOOK_AROUND)
        gap = timedelta(seconds=self.frame_gap)
        while t <= stop:
            if t >= self.rig.start and t < self.rig.end:
                self.world.at(t, self._close_look)
            t += gap

    def _close_look(self, at: datetime) -> None:
        if camera_down_at(self.world, self.camera.id, at) is not None:
            return
        people = self._in_view()
        if people:
            self._send(at, people)

    def _in_view(self) -> list[tuple[str, str]]:
        by_room = self.world.presence.by_room
        found = []
        for room in self.rooms:
            for who in sorted(by_room.get(room, ())):
                if self.rig.drawn(who):
                    found.append((who, room))
        return found

    # -- drawing -----------------------------------------------------------------------------

    def _send(self, at: datetime, people: Iterable[tuple[str, str]]) -> tuple[bool, bool]:
        """Send a frame of ``people``; whether any of them moved since their last frame here,
        and whether any stands in one of the camera's restricted or loitering zones."""
        if camera_down_at(self.world, self.camera.id, at) is not None:
            return False, False
        objects = []
        moving = in_zone = False
        for who, room in people:
            obj, foot = self._draw(who, room, at)
            objects.append(obj)
            last = self._last_xy.get(who)
            xy = obj.floor_xy
            if last is None or xy is None or abs(last[0] - xy[0]) + abs(last[1] - xy[1]) > 0.05:
                moving = True
            if xy is not None:
                self._last_xy[who] = xy
            if not in_zone and self.view.zones:
                in_zone = any(zone.depth(foot) >= 0 for zone in self.view.zones)
        if not objects:
            return False, False
        self._events += 1
        cam = self.camera.id
        width, height = self.camera.resolution
        event = Detection(
            id=f"twin.{cam}.{int(at.timestamp() * 1000)}.{self._events}",
            device_id=cam,
            site_time=at,
            objects=objects,
            frame_width=width,
            frame_height=height,
        )
        self.rig.frames[cam] = self.rig.frames.get(cam, 0) + 1
        self.rig.objects[cam] = self.rig.objects.get(cam, 0) + len(objects)
        self.world.emit(event)
        return moving, in_zone

    def _draw(self, who: str, room: str, at: datetime) -> tuple[TrackedObject, Point]:
        view, t = self.view, at.timestamp()
        xy = position(self.world, who, at) or self._spot(who, room)
        crossing = self.crossings.get(who)
        if crossing is not None and abs(t - crossing.at) <= CROSSING_WINDOW:
            side_room = crossing.src if t < crossing.at + 0.5 * self.frame_gap else crossing.dst
            line = view.lines[crossing.line_index]
            foot = view.anchor(line, line.expected_side(side_room), crossing.along)
        else:
            if crossing is not None and t - crossing.at > CROSSING_WINDOW:
                del self.crossings[who]
            foot = view.foot(room, xy)
        reach = reach_at(self.world, who, at)
        target = view.reach_target(reach.artwork, foot) if reach is not None else None
        box = view.box(foot)
        keypoints = None
        if target is not None or view.near_barrier(box):
            box, keypoints = view.keypoints(foot, target)
        track = self._track(who, t)
        look = None
        if t - track.last_look >= self.rig.settings.appearance_every:
            track.last_look = t
            look = list(self.rig.look(who))
        # Built without validation: every value is in range by construction, and validating
        # a third of a million objects a site-day costs seconds.
        obj = TrackedObject.model_construct(
            track_id=track.track_id,
            class_name="person",
            confidence=round(0.72 + 0.25 * self.rng.random(), 3),
            bbox=box,
            floor_xy=xy,
            keypoints=keypoints,
            appearance=look,
        )
        return obj, foot

    def _track(self, who: str, t: float) -> _Track:
        track = self.tracks.get(who)
        if track is None or t - track.last_seen > TRACK_GAP:
            track = _Track(self._next_track, t, float("-inf"))
            self._next_track += 1
            self.tracks[who] = track
        track.last_seen = max(track.last_seen, t)
        return track

    def _spot(self, who: str, room: str) -> Point:
        """A stable spot in ``room`` for someone whose mover gave no position."""
        spots = self._spots.get(room)
        if spots is None:
            grid = walkway(self.world.site).grid(room)
            spots = self._spots[room] = [grid.xy(c) for c in sorted(grid.clear)]
        digest = hashlib.sha256(f"{who}|{room}".encode()).digest()
        return spots[int.from_bytes(digest[:4], "big") % len(spots)]

    def _prune(self, now: float) -> None:
        for who in [w for w, tr in self.tracks.items() if now - tr.last_seen > 6 * TRACK_GAP]:
            del self.tracks[who]
            self._last_xy.pop(who, None)

    # -- baselines ---------------------------------------------------------------------------

    def baselines(self, at: datetime) -> None:
        cam = self.camera.id
        stamp = int(at.timestamp())
        self.world.emit(
            CameraHealth(
                id=f"twin.{cam}.health.{stamp}",
                device_id=cam,
                site_time=at,
                status="online",
                detail="first frame received",
            )
        )
        for artwork, _ in self.view.barriers:
            self.world.emit(
                ArtworkView(
                    id=f"twin.{cam}.{artwork}.{stamp}",
                    device_id=cam,
                    site_time=at,
                    artwork_id=artwork,
                    status="present",
                    similarity=0.93,
                )
            )


def frame_counts(cameras: Cameras) -> dict[str, tuple[int, int]]:
    """Frames and tracked objects sent per camera so far."""
    return {
        cam: (cameras.frames.get(cam, 0), cameras.objects.get(cam, 0))
        for cam in sorted({f.camera.id for f in cameras.feeds})
    }


__all__ = ["CameraFeed", "CameraSettings", "Cameras", "frame_counts", "install", "of"]
