"""Where each tracked person in a ``Detection`` event is: floor point, room, watched zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from artguard.events import Detection
from artguard.site import Site
from artguard.site.geometry import Point
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
        for obj in event.objects:
            if obj.track_id is None or not is_person(obj):
                continue
            feet = foot_point(obj)
            zones = tuple(
                entry.zone.id
                for entry in self._zones.get(event.device_id, ())
                if entry.polygon.contains(feet)
            )
            found.append(
                Observation(
                    camera_id=event.device_id,
                    track_id=obj.track_id,
                    at=event.site_time,
                    floor_xy=obj.floor_xy,
                    room_id=rooms.of_pixel(feet, obj.floor_xy),
                    zones=zones,
                    appearance=_signature(obj.appearance),
                    event_id=event.id,
                )
            )
        return found


def _signature(values: list[float] | None) -> tuple[float, ...] | None:
    """A usable appearance signature, or None (missing, or of another length than ours:
    e.g. from a different version of the camera worker)."""
    if not values or len(values) != SIGNATURE_LENGTH or sum(values) <= 0:
        return None
    return tuple(values)
