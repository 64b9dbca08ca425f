"""Loitering: one person staying in a zone longer than its ``loiter_seconds``.

Dwell is counted per track, so a busy doorway where many people pass briefly never adds up to
loitering, while one person lingering by the staff door does. A person hidden for a few seconds
(behind another visitor) keeps their dwell time; one who walks away and comes back later
starts again.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from artguard.events import Alert, Detection, EventBase, Severity, TrackedObject
from artguard.site import Site
from artguard.site.entities import DEFAULT_LOITER_SECONDS
from artguard.vision.rules.common import foot_point, is_person, local_clock, track_label
from artguard.vision.rules.presence import Presence, PresenceTracker
from artguard.vision.rules.zones import CameraZone, camera_zones, zone_active

GAP = timedelta(seconds=5)


class LoiteringRule:
    """A track whose feet stay in a loiter zone for longer than the zone allows."""

    name = "loitering"
    kinds = frozenset({"detection"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._zones = camera_zones(site, "loiter")
        self._presence: PresenceTracker[tuple[str, int]] = PresenceTracker(GAP)

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
                # Without a track id there is no "same person" to time; only tracked people.
                if obj.track_id is None or not is_person(obj):
                    continue
                if not entry.polygon.contains(foot_point(obj)):
                    continue
                key = (entry.zone.id, obj.track_id)
                presence = self._presence.seen(key, event.site_time, event.id)
                if not presence.alerted and presence.seconds >= _limit(entry):
                    presence.alerted = True
                    alerts.append(self._alert(event, obj, entry, presence))
        return alerts

    def _alert(self, event: Detection, obj: TrackedObject, entry: CameraZone, p: Presence) -> Alert:
        zone, room = entry.zone, self._site.room(entry.room_id)
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule=self.name,
            severity=Severity.medium if room.security_level >= 3 else Severity.low,
            title=f"Loitering: {zone.name}",
            reasons=[
                f"{track_label(obj.track_id)} has stayed in '{zone.name}' for {p.seconds:.0f} s "
                f"since {local_clock(self._site, p.since)}; the zone allows "
                f"{_limit(entry):g} s",
                f"camera {event.device_id} in {room.name}",
            ],
            evidence={
                "camera_id": event.device_id,
                "zone_id": zone.id,
                "track_id": obj.track_id,
                "dwell_seconds": round(p.seconds, 1),
                "limit_seconds": _limit(entry),
            },
            source_event_ids=list(dict.fromkeys([p.first_event_id, event.id])),
            dedup_key=f"{self.name}:{zone.id}",
            room_id=room.id,
            first_event_time=p.since,
        )

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


def _limit(entry: CameraZone) -> float:
    return entry.zone.loiter_seconds or DEFAULT_LOITER_SECONDS
