"""Where each tracked person in a ``Detection`` event is: floor point, room, watched zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from artguard.events import Detection
from artguard.site import Site
from artguard.site.geometry import EPSILON, Point, bounds, contains
from artguard.vision.appearance import SIGNATURE_LENGTH
from artguard.vision.rules.common import CameraRooms, foot_point, is_person
from artguard.vision.rules.zones import CameraZone, camera_zones

WATCH_ZONE_KINDS = ("exit", "blind_spot")


@dataclass(frozen=True)
class Observation:
    """One tracked person in one analysed frame."""

    camera_id: str
    track_id: int
    at: datetime
    floor_xy: Point | None
    room_id: str
    zones: tuple[str, ...]
    """Ids of the exit / blind-spot zones their feet are in."""
    appearance: tuple[float, ...] | None
    event_id: str

    @property
    def track_key(self) -> str:
        return f"{self.camera_id}:{self.track_id}"


class Observer:
    """Turns detection events into observations, using the site's cameras and zones."""

    def __init__(self, site: Site) -> None:
        self._rooms = {camera.id: CameraRooms(site, camera) for camera in site.cameras}
        self._floors: dict[str, list[_RoomFloor]] = {
            camera.id: [_RoomFloor.of(r, site.room(r).polygon) for r in camera.rooms]
            for camera in site.cameras
        }
        self._zones: dict[str, list[CameraZone]] = {}
        for kind in WATCH_ZONE_KINDS:
            for camera_id, zones in camera_zones(site, kind).items():
                self._zones.setdefault(camera_id, []).extend(zones)
        self.zones: dict[str, CameraZone] = {
            entry.zone.id: entry for entries in self._zones.values() for entry in entries
        }

    def observe(self, event: Detection) -> list[Observation]:
        """Tracked people of a camera the site knows; others (untracked, unknown camera) are
        skipped: without a track there is no visitor to follow."""
        rooms = self._rooms.get(event.device_id)
        if rooms is None:
            return []
        found = []
        camera, at, event_id = event.device_id, event.site_time, event.id
        watched = self._zones.get(camera, ())
        room_of = self._room
        for obj in event.objects:
            if obj.track_id is None or not is_person(obj):
                continue
            feet = foot_point(obj)
            zones = (
                tuple(entry.zone.id for entry in watched if entry.polygon.contains(feet))
                if watched
                else ()
            )
            found.append(
                Observation(
                    camera,
                    obj.track_id,
                    at,
                    obj.floor_xy,
                    room_of(camera, rooms, feet, obj.floor_xy),
                    zones,
                    _signature(obj.appearance),
                    event_id,
                )
            )
        return found

    def _room(self, camera_id: str, rooms: CameraRooms, feet: Point, floor_xy: Point | None) -> str:
        """As ``CameraRooms.of_pixel(feet, floor_xy)``, with a faster floor test first (every
        tracked person in every frame is placed)."""
        if floor_xy is not None:
            for room in self._floors[camera_id]:
                if room.contains(floor_xy):
                    return room.id
        return rooms.of_pixel(feet, None)


@dataclass(frozen=True)
class _RoomFloor:
    """A room's floor polygon with its bounding box: :func:`~artguard.site.geometry.contains`
    (boundary included), answered by the box or a plain ray cast when they settle it."""

    id: str
    polygon: tuple[Point, ...]
    box: tuple[float, float, float, float]

    @classmethod
    def of(cls, room_id: str, polygon: list[Point]) -> _RoomFloor:
        x0, y0, x1, y1 = bounds(polygon)
        box = (x0 - EPSILON, y0 - EPSILON, x1 + EPSILON, y1 + EPSILON)
        return cls(room_id, tuple(polygon), box)

    def contains(self, point: Point) -> bool:
        px, py = point
        x0, y0, x1, y1 = self.box
        if not (x0 <= px <= x1 and y0 <= py <= y1):
            return False  # off the box: neither inside nor on an edge
        inside = False
        polygon = self.polygon
        ax, ay = polygon[-1]
        for bx, by in polygon:  # each edge a -> b, the ray cast exactly as geometry.contains
            if (ay > py) != (by > py):
                x_cross = ax + (py - ay) * (bx - ax) / (by - ay)
                if x_cross > px:
                    inside = not inside
            ax, ay = bx, by
        return inside or contains(polygon, point)  # outside: on an edge still counts


def _signature(values: list[float] | None) -> tuple[float, ...] | None:
    """A usable appearance signature, or None (missing, or of another length than ours:
    e.g. from a different version of the camera worker)."""
    if not values or len(values) != SIGNATURE_LENGTH or sum(values) <= 0:
        return None
    return tuple(values)
