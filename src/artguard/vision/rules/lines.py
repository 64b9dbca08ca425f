"""Line crossing with direction, and the live occupancy of each room it gives.

Each camera line lies across a doorway; its ``in_room`` is on the right-hand side when walking
from its first point to its second across the image. A tracked person's feet moving from the
``out_room`` side to the ``in_room`` side, through the line itself (not past its end), is an
entry into ``in_room`` and an exit from ``out_room``.

Feet close to the line jitter from frame to frame; a side only counts once the feet are
``band_px`` away from the line, so a person standing on the threshold is not counted in and
out at every frame.

The counts are kept in memory (:class:`OccupancyCounter`) for the dashboard and for access
control (people through a doorway per badge granted: tailgating); the rule itself publishes
only alerts: an entry into a public room while it is closed. Staff on shift who badged nearby
(:mod:`.staff_nearby`) explain such an entry: it is still raised, as ``line_crossing_staff`` at
low severity naming them.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from artguard.events import (
    AccessDecision,
    Alert,
    Detection,
    EventBase,
    EvidenceValue,
    Severity,
    TrackedObject,
)
from artguard.rules.base import SEVERITY_BY_SECURITY_LEVEL
from artguard.site import OUTSIDE, Site
from artguard.site.entities import CountLine
from artguard.site.geometry import Point
from artguard.vision.rules.common import (
    closed_to_public,
    foot_point,
    is_person,
    local_clock,
    track_label,
)
from artguard.vision.rules.staff_nearby import StaffOnSite
from artguard.vision.rules.zones import AFTER_HOURS_GRACE

BAND_PX = 8.0
FORGET_AFTER = timedelta(seconds=10)
"""A track unseen this long is gone; its last side is forgotten."""
RECENT_CROSSINGS = 10_000

Direction = Literal["in", "out"]


@dataclass(frozen=True)
class Crossing:
    """One person crossing one line."""

    at: datetime
    line_id: str
    camera_id: str
    track_id: int
    direction: Direction
    """``in``: into the line's ``in_room``; ``out``: into its ``out_room``."""
    to_room: str
    from_room: str
    event_id: str


class OccupancyCounter:
    """People per room from line crossings, crossings per line, and the recent crossings.

    A count never goes below zero: someone who entered unseen (before start, through a doorway
    with no line) and then leaves is not a negative person. Counts drift in the long run for
    the same reason; :meth:`reset` sets them back (e.g. at closing, once the building is clear).
    """

    def __init__(self, site: Site, keep: int = RECENT_CROSSINGS) -> None:
        self._site = site
        self._rooms: dict[str, int] = {room.id: 0 for room in site.rooms}
        self._lines: dict[str, dict[Direction, int]] = {
            line.id: {"in": 0, "out": 0} for camera in site.cameras for line in camera.lines
        }
        self._recent: deque[Crossing] = deque(maxlen=keep)
        self.updated: datetime | None = None

    def record(self, crossing: Crossing) -> None:
        self._lines.setdefault(crossing.line_id, {"in": 0, "out": 0})[crossing.direction] += 1
        if crossing.to_room != OUTSIDE:
            self._rooms[crossing.to_room] = self._rooms.get(crossing.to_room, 0) + 1
        if crossing.from_room != OUTSIDE:
            self._rooms[crossing.from_room] = max(0, self._rooms.get(crossing.from_room, 0) - 1)
        self._recent.append(crossing)
        self.updated = crossing.at

    def counts(self) -> dict[str, int]:
        """People in each room now (rooms without lines stay 0)."""
        return dict(self._rooms)

    def line_totals(self) -> dict[str, dict[Direction, int]]:
        """Crossings in each direction per line since start (or the last reset)."""
        return {line: dict(totals) for line, totals in self._lines.items()}

    def crossings(
        self, since: datetime | None = None, line_id: str | None = None
    ) -> list[Crossing]:
        """Recent crossings, oldest first, optionally from ``since`` and on one line."""
        return [
            c
            for c in self._recent
            if (since is None or c.at >= since) and (line_id is None or c.line_id == line_id)
        ]

    def reset(self, rooms: Iterable[str] | None = None) -> None:
        """Set the given rooms (default: all, and the line totals) back to zero."""
        if rooms is None:
            self._rooms = dict.fromkeys(self._rooms, 0)
            self._lines = {line: {"in": 0, "out": 0} for line in self._lines}
            return
        for room in rooms:
            self._rooms[room] = 0


@dataclass
class _Side:
    side: int  # +1 in_room side, -1 out_room side
    point: Point
    at: datetime


class _LineGeometry:
    def __init__(self, line: CountLine) -> None:
        (self.ax, self.ay), (self.bx, self.by) = line.points
        self.dx, self.dy = self.bx - self.ax, self.by - self.ay
        self.length = (self.dx**2 + self.dy**2) ** 0.5

    def offset(self, p: Point) -> float:
        """Signed pixels from the line: positive on the in_room (right-hand) side."""
        return (self.dx * (p[1] - self.ay) - self.dy * (p[0] - self.ax)) / self.length

    def crosses_between(self, p: Point, q: Point) -> bool:
        """Whether the path p -> q passes the line between its end points (not beyond them)."""
        dp, dq = self.offset(p), self.offset(q)
        if dp == dq:
            return False
        t = dp / (dp - dq)  # where along p -> q the path meets the (infinite) line
        x, y = p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1])
        along = ((x - self.ax) * self.dx + (y - self.ay) * self.dy) / self.length**2
        return 0.0 <= along <= 1.0


class LineCrossingRule:
    """Counts crossings of each camera line by direction; alerts on entries into closed rooms."""

    name = "line_crossing"
    staff_name = "line_crossing_staff"
    kinds = frozenset({"detection", "access_decision"})

    def __init__(
        self,
        site: Site,
        occupancy: OccupancyCounter | None = None,
        band_px: float = BAND_PX,
        grace: timedelta = AFTER_HOURS_GRACE,
        staff: StaffOnSite | None = None,
    ) -> None:
        self._site = site
        self.counter = occupancy or OccupancyCounter(site)
        self.staff = staff or StaffOnSite(site)
        self._band = band_px
        self._grace = grace
        self._lines: dict[str, list[tuple[CountLine, _LineGeometry]]] = {
            c.id: [(line, _LineGeometry(line)) for line in c.lines] for c in site.cameras if c.lines
        }
        self._sides: dict[tuple[str, int], _Side] = {}

    def occupancy(self) -> dict[str, int]:
        """People in each room now."""
        return self.counter.counts()

    def on_event(self, event: EventBase) -> list[Alert]:
        if isinstance(event, AccessDecision):
            self.staff.record(event)
            return []
        lines = self._lines.get(event.device_id)
        if not lines or not isinstance(event, Detection):
            return []
        alerts = []
        first_seen = [
            self.staff.track(event.device_id, o.track_id, event.site_time)
            for o in event.objects
            if is_person(o)
        ]
        for obj in event.objects:
            track = obj.track_id
            if track is None or not is_person(obj):
                continue  # a crossing needs the same person on both sides
            feet = foot_point(obj)
            for line, geometry in lines:
                crossing = self._step(event, track, line, geometry, feet)
                if crossing is not None:
                    self.counter.record(crossing)
                    alert = self._closed_room_entry(event, obj, line, crossing, first_seen)
                    if alert is not None:
                        alerts.append(alert)
        self._forget(event.site_time)
        return alerts

    def _step(
        self, event: Detection, track: int, line: CountLine, geometry: _LineGeometry, feet: Point
    ) -> Crossing | None:
        offset = geometry.offset(feet)
        if abs(offset) < self._band:
            return None  # on the threshold: keep the side it was last clearly on
        side = 1 if offset > 0 else -1
        key = (line.id, track)
        previous = self._sides.get(key)
        self._sides[key] = _Side(side, feet, event.site_time)
        if previous is None or previous.side == side:
            return None
        if not geometry.crosses_between(previous.point, feet):
            return None  # walked round the end of the line, not through the doorway
        direction: Direction = "in" if side > 0 else "out"
        to_room, from_room = (
            (line.in_room, line.out_room) if side > 0 else (line.out_room, line.in_room)
        )
        return Crossing(
            at=event.site_time,
            line_id=line.id,
            camera_id=event.device_id,
            track_id=track,
            direction=direction,
            to_room=to_room,
            from_room=from_room,
            event_id=event.id,
        )

    def _closed_room_entry(
        self,
        event: Detection,
        obj: TrackedObject,
        line: CountLine,
        crossing: Crossing,
        first_seen: list[datetime],
    ) -> Alert | None:
        if crossing.to_room == OUTSIDE:
            return None
        if not closed_to_public(self._site, crossing.to_room, crossing.at, self._grace):
            return None
        room = self._site.room(crossing.to_room)
        came_from = (
            "outside" if crossing.from_room == OUTSIDE else self._site.room(crossing.from_room).name
        )
        reasons = [
            f"{track_label(obj.track_id)} crossed '{line.name}' from {came_from} into "
            f"{room.name} at {local_clock(self._site, crossing.at)}, while {room.name} is "
            "closed to the public",
            f"{self.counter.counts().get(room.id, 0)} people now counted in {room.name}",
        ]
        evidence: dict[str, EvidenceValue] = {
            "camera_id": event.device_id,
            "line_id": line.id,
            "track_id": obj.track_id,
            "direction": crossing.direction,
            "from_room": crossing.from_room,
            "to_room": crossing.to_room,
            "occupancy": self.counter.counts().get(room.id, 0),
        }
        # everyone in the frame must be staff: a stranger walking in beside a guard is not
        explained = self.staff.explain(room.id, crossing.at, first_seen)
        severity = SEVERITY_BY_SECURITY_LEVEL.get(room.security_level, Severity.high)
        if explained is not None:
            self.staff.seen(explained, room.id, crossing.at)
            if not self.staff.news(self.staff_name, room.id, explained, crossing.at):
                return None  # the same staff came into this room a moment ago: reported
            severity = Severity.low
            reasons.insert(
                0, "could be staff on shift: " + explained.reason(self._site, room.id, crossing.at)
            )
            evidence.update(explained.evidence())
        rule = self.name if explained is None else self.staff_name
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule=rule,
            severity=severity,
            title=f"Entry into {room.name} after hours"
            + ("" if explained is None else " (staff on duty)"),
            reasons=reasons,
            evidence=evidence,
            source_event_ids=[event.id],
            dedup_key=f"{rule}:{line.id}:{crossing.direction}",
            room_id=room.id,
            first_event_time=crossing.at,
        )

    def _forget(self, now: datetime) -> None:
        gone = [k for k, s in self._sides.items() if now - s.at > FORGET_AFTER]
        for key in gone:
            del self._sides[key]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
