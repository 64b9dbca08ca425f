"""Presence where nobody should be: a restricted zone, or a public room after closing.

A person is placed by where they stand (their feet), so a visitor leaning over a rope is not
*in* the zone behind it. A presence must be confirmed over ``confirm_seconds`` (one frame with a
false detection, a coat on a chair seen as a person for an instant, is not an intruder), and
each person's stay raises one alert; the repeat of the same cause is folded by triage.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

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
from artguard.site import Camera, Site
from artguard.site.entities import Zone
from artguard.vision.rules.common import (
    CameraRooms,
    PixelPolygon,
    closed_to_public,
    foot_point,
    is_person,
    local_clock,
    track_label,
)
from artguard.vision.rules.presence import Presence, PresenceTracker
from artguard.vision.rules.staff_nearby import Explanation, StaffOnSite

CONFIRM_SECONDS = 1.0
GAP = timedelta(seconds=3)
"""A person hidden for up to this long (behind a plinth, another visitor) is the same stay."""
AFTER_HOURS_GRACE = timedelta(minutes=10)
"""Visitors still walking to the exit just after closing time are not intruders."""


@dataclass(frozen=True)
class CameraZone:
    zone: Zone
    camera: Camera
    polygon: PixelPolygon
    room_id: str


def camera_zones(site: Site, kind: str) -> dict[str, list[CameraZone]]:
    """Zones of ``kind`` by camera id, each with its polygon and the room it lies in."""
    found: dict[str, list[CameraZone]] = {}
    for camera in site.cameras:
        rooms = CameraRooms(site, camera)
        for zone in camera.zones:
            if zone.kind == kind:
                polygon = PixelPolygon(zone.polygon)
                found.setdefault(camera.id, []).append(
                    CameraZone(zone, camera, polygon, rooms.of_pixel(polygon.centroid))
                )
    return found


def zone_active(site: Site, zone: Zone, at: datetime) -> bool:
    return zone.schedule is None or site.in_schedule(zone.schedule, at)


class RestrictedZoneRule:
    """A person standing in a restricted zone while it applies."""

    name = "restricted_zone"
    kinds = frozenset({"detection"})

    def __init__(self, site: Site, confirm_seconds: float = CONFIRM_SECONDS) -> None:
        self._site = site
        self._zones = camera_zones(site, "restricted")
        self._confirm = confirm_seconds
        self._presence: PresenceTracker[tuple[str, int | None]] = PresenceTracker(GAP)

    def on_event(self, event: EventBase) -> list[Alert]:
        zones = self._zones.get(event.device_id)
        if not zones or not isinstance(event, Detection):
            return []
        self._presence.prune(event.site_time)
        alerts = []
        for entry in zones:
            if not zone_active(self._site, entry.zone, event.site_time):
                continue
            for obj in event.objects:
                if is_person(obj) and entry.polygon.contains(foot_point(obj)):
                    key = (entry.zone.id, obj.track_id)
                    presence = self._presence.seen(key, event.site_time, event.id)
                    if not presence.alerted and presence.seconds >= self._confirm:
                        presence.alerted = True
                        alerts.append(self._alert(event, obj, entry, presence))
        return alerts

    def _alert(self, event: Detection, obj: TrackedObject, entry: CameraZone, p: Presence) -> Alert:
        zone, room = entry.zone, self._site.room(entry.room_id)
        when = (
            f"while its schedule '{self._site.schedule(zone.schedule).name}' is on"
            if zone.schedule
            else "(restricted at all times)"
        )
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule=self.name,
            severity=SEVERITY_BY_SECURITY_LEVEL.get(room.security_level, Severity.high),
            title=f"Person in restricted zone: {zone.name}",
            reasons=[
                f"{track_label(obj.track_id)} has stood in restricted zone '{zone.name}' for "
                f"{p.seconds:.1f} s since {local_clock(self._site, p.since)} {when}",
                f"camera {entry.camera.id} in {room.name} (security level {room.security_level})",
            ],
            evidence={
                "camera_id": event.device_id,
                "zone_id": zone.id,
                "track_id": obj.track_id,
                "seconds_inside": round(p.seconds, 2),
                "confidence": round(obj.confidence, 3),
                "security_level": room.security_level,
            },
            source_event_ids=list(dict.fromkeys([p.first_event_id, event.id])),
            dedup_key=f"{self.name}:{zone.id}",
            room_id=room.id,
            first_event_time=p.since,
        )

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


class AfterHoursPresenceRule:
    """A person anywhere in a public room outside its opening hours.

    Staff on shift who badged nearby (see :mod:`.staff_nearby`) explain the people seen; an
    explained sighting is still raised, as ``after_hours_presence_staff`` at low severity
    naming them, so the control room sees its own guards without a high-risk incident.
    """

    name = "after_hours_presence"
    staff_name = "after_hours_presence_staff"
    kinds = frozenset({"detection", "access_decision"})

    def __init__(
        self,
        site: Site,
        confirm_seconds: float = CONFIRM_SECONDS,
        grace: timedelta = AFTER_HOURS_GRACE,
        staff: StaffOnSite | None = None,
    ) -> None:
        self._site = site
        self._rooms = {c.id: CameraRooms(site, c) for c in site.cameras}
        self._confirm = confirm_seconds
        self._grace = grace
        self._presence: PresenceTracker[tuple[str, str, int | None]] = PresenceTracker(GAP)
        self.staff = staff or StaffOnSite(site)

    def on_event(self, event: EventBase) -> list[Alert]:
        if isinstance(event, AccessDecision):
            self.staff.record(event)
            return []
        rooms = self._rooms.get(event.device_id)
        if rooms is None or not isinstance(event, Detection):
            return []
        self._presence.prune(event.site_time)
        # In opening hours none of the camera's rooms is closed: skip placing each person.
        any_closed = any(
            closed_to_public(self._site, r, event.site_time, self._grace) for r in rooms.room_ids
        )
        closed: list[tuple[TrackedObject, str, datetime]] = []
        for obj in event.objects:
            if not is_person(obj):
                continue
            since = self.staff.track(event.device_id, obj.track_id, event.site_time)
            if not any_closed:
                continue
            room_id = rooms.of_pixel(foot_point(obj), obj.floor_xy)
            if closed_to_public(self._site, room_id, event.site_time, self._grace):
                closed.append((obj, room_id, since))
        explained = self._explain(closed, event.site_time)
        alerts = []
        for obj, room_id, _ in closed:
            key = (event.device_id, room_id, obj.track_id)
            presence = self._presence.seen(key, event.site_time, event.id)
            if not presence.alerted and presence.seconds >= self._confirm:
                presence.alerted = True
                staff = explained.get(room_id)
                if staff is not None and not self.staff.news(
                    self.staff_name, room_id, staff, event.site_time
                ):
                    continue  # the same staff in the same room was reported a moment ago
                alerts.append(self._alert(event, obj, room_id, presence, staff))
        return alerts

    def _explain(
        self, closed: list[tuple[TrackedObject, str, datetime]], at: datetime
    ) -> dict[str, Explanation]:
        """Per room, the staff explaining everyone seen there in this frame (and their place
        moves there)."""
        by_room: dict[str, list[datetime]] = {}
        for _, room_id, since in closed:
            by_room.setdefault(room_id, []).append(since)
        found = {}
        for room_id, first_seen in by_room.items():
            explanation = self.staff.explain(room_id, at, first_seen)
            if explanation is not None:
                self.staff.seen(explanation, room_id, at)
                found[room_id] = explanation
        return found

    def _alert(
        self,
        event: Detection,
        obj: TrackedObject,
        room_id: str,
        p: Presence,
        explained: Explanation | None = None,
    ) -> Alert:
        room = self._site.room(room_id)
        hours = self._site.schedule(room.opening_hours).name if room.opening_hours else "none"
        rule = self.name if explained is None else self.staff_name
        reasons = [
            f"{track_label(obj.track_id)} seen in {room.name} for {p.seconds:.1f} s since "
            f"{local_clock(self._site, p.since)}, while the room is closed to the public "
            f"(opening hours: {hours}; {self._grace.total_seconds() / 60:g} min grace "
            "after closing)",
            f"camera {event.device_id}, detection confidence {obj.confidence:.2f}",
        ]
        evidence: dict[str, EvidenceValue] = {
            "camera_id": event.device_id,
            "track_id": obj.track_id,
            "seconds_seen": round(p.seconds, 2),
            "confidence": round(obj.confidence, 3),
            "security_level": room.security_level,
        }
        if explained is not None:
            reasons.insert(
                0, "could be staff on shift: " + explained.reason(self._site, room.id, p.since)
            )
            evidence.update(explained.evidence())
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule=rule,
            severity=(
                Severity.low
                if explained is not None
                else SEVERITY_BY_SECURITY_LEVEL.get(room.security_level, Severity.high)
            ),
            title=(
                f"Person in {room.name} after hours"
                if explained is None
                else f"Staff on duty seen in {room.name} after hours"
            ),
            reasons=reasons,
            evidence=evidence,
            source_event_ids=list(dict.fromkeys([p.first_event_id, event.id])),
            dedup_key=f"{rule}:{room.id}",
            room_id=room.id,
            first_event_time=p.since,
        )

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
