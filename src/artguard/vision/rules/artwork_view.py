"""Artwork missing or moved from its place in a camera's view.

The camera worker compares each artwork's region with its reference view whenever nobody
stands in front of it (``artguard.vision.checks.artwork``) and reports an
:class:`~artguard.events.ArtworkView` when the result changes. This rule raises one alert per
artwork and camera when it goes missing or moves, with the before and after crops as evidence;
``occluded`` says nothing either way, and ``present`` re-arms the rule.
"""

from __future__ import annotations

from datetime import datetime

from artguard.events import Alert, ArtworkView, EventBase, Severity
from artguard.site import Artwork, Site
from artguard.vision.rules.common import TIER_NAMES

MISSING_SEVERITY: dict[int, Severity] = {
    1: Severity.high,
    2: Severity.high,
    3: Severity.critical,
    4: Severity.critical,
}
"""A missing artwork may be a theft in progress, whatever its tier."""

MOVED_SEVERITY: dict[int, Severity] = {
    1: Severity.medium,
    2: Severity.medium,
    3: Severity.high,
    4: Severity.high,
}


class ArtworkMissingRule:
    """An artwork reported missing or moved by a camera: one alert per change of state."""

    name = "artwork_missing"
    kinds = frozenset({"artwork_view"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._artworks = {a.id: a for a in site.artworks}
        self._state: dict[tuple[str, str], str] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, ArtworkView):
            return []
        art = self._artworks.get(event.artwork_id)
        if art is None:
            return []
        key = (event.device_id, art.id)
        if event.status == "present":
            self._state.pop(key, None)
            return []
        if event.status == "occluded" or self._state.get(key) == event.status:
            return []
        self._state[key] = event.status
        return [self._alert(event, art)]

    def _alert(self, event: ArtworkView, art: Artwork) -> Alert:
        tier = art.value_tier
        room = self._site.room(art.room)
        if event.status == "missing":
            severity = MISSING_SEVERITY[tier]
            what = (
                f"'{art.title}' is no longer seen in its place by camera {event.device_id}: "
                f"similarity to its reference view {event.similarity:.2f}"
            )
        else:
            severity = MOVED_SEVERITY[tier]
            what = (
                f"'{art.title}' has moved in camera {event.device_id}'s view: shifted "
                f"{event.shift_px or 0:.0f} px from its reference position "
                f"(similarity {event.similarity:.2f})"
            )
        reasons = [what, f"{art.artist}, value tier {tier} ({TIER_NAMES[tier]}), in {room.name}"]
        if event.before_image and event.after_image:
            reasons.append(f"before: {event.before_image}; after: {event.after_image}")
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule=self.name,
            severity=severity,
            title=f"Artwork {event.status}: {art.title}",
            reasons=reasons,
            evidence={
                "camera_id": event.device_id,
                "status": event.status,
                "similarity": round(event.similarity, 3),
                "shift_px": None if event.shift_px is None else round(event.shift_px, 1),
                "before_image": event.before_image,
                "after_image": event.after_image,
                "value_tier": tier,
            },
            source_event_ids=[event.id],
            dedup_key=f"{self.name}:{art.id}:{event.status}",
            room_id=art.room,
            artwork_id=art.id,
            first_event_time=event.site_time,
        )

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
