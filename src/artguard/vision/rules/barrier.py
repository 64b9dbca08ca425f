"""Virtual barrier: a visitor's hand or body inside the zone drawn around an artwork.

Standing near a painting is what visitors are there for; reaching towards it is not. From the
camera the two look alike in a box (a visitor in front of a painting overlaps it in the image
however far back they stand), so the rule judges by body keypoints when the pose model gives
them: a wrist or elbow inside the barrier is *reaching*. Feet inside it mean the body itself is
in the zone (a barrier drawn on the floor around a sculpture, or a painting's barrier that
includes the floor strip in front of it). A box that only overlaps the barrier is *near* and
raises nothing.

A touch must last ``barrier_min_seconds`` (a hand passing through while pointing is not one),
and after an alert the same visitor at the same artwork raises no other for
``barrier_cooldown_seconds``, so one visitor leaning in again and again is one alert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from artguard.events import Alert, Detection, EventBase, Severity, TrackedObject
from artguard.site import Artwork, Site
from artguard.vision.rules.common import (
    KEYPOINT_NAMES,
    TIER_NAMES,
    WRISTS_AND_ELBOWS,
    PixelPolygon,
    foot_point,
    is_person,
    track_label,
    visible_keypoints,
)
from artguard.vision.rules.presence import PresenceTracker

SEVERITY_BY_TIER: dict[int, Severity] = {
    1: Severity.low,
    2: Severity.medium,
    3: Severity.high,
    4: Severity.high,
}
"""A touch is not a theft: even on a masterpiece it calls a guard (high), not a lockdown."""

GAP = timedelta(seconds=1.0)
"""A hand unseen for up to this long (keypoint flicker, a frame dropped) is the same lean-in."""


@dataclass(frozen=True)
class Contact:
    """How a person is inside a barrier."""

    how: str  # "reaching" (wrist/elbow keypoints) or "body" (feet)
    parts: list[str]
    depth_px: float
    """How far past the barrier's edge the deepest part is, in pixels."""
    confidence: float
    """Keypoint score for reaching; detection confidence for feet judged from the box."""


def contact(obj: TrackedObject, barrier: PixelPolygon) -> Contact | None:
    """Reaching, body inside, or None (outside, or only near: the box overlapping)."""
    if not barrier.overlaps_box(obj.bbox):
        return None
    reaching = [
        (KEYPOINT_NAMES[i], barrier.depth(point), score)
        for i, point, score in visible_keypoints(obj, WRISTS_AND_ELBOWS)
        if barrier.contains(point)
    ]
    if reaching:
        return Contact(
            "reaching",
            [name for name, _, _ in reaching],
            max(depth for _, depth, _ in reaching),
            max(score for _, _, score in reaching),
        )
    feet = foot_point(obj)
    if barrier.contains(feet):
        return Contact("body", ["feet"], barrier.depth(feet), obj.confidence)
    return None


@dataclass(frozen=True)
class _Barrier:
    artwork: Artwork
    polygon: PixelPolygon


class BarrierRule:
    """A hand or body inside an artwork's virtual barrier for its minimum time."""

    name = "virtual_barrier"
    kinds = frozenset({"detection"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._barriers: dict[str, list[_Barrier]] = {}
        for art in site.artworks:
            for barrier in art.barriers:
                self._barriers.setdefault(barrier.camera, []).append(
                    _Barrier(art, PixelPolygon(barrier.polygon))
                )
        self._speakers = {c.id: c.speaker for c in site.cameras}
        self._presence: PresenceTracker[tuple[str, str, int | None]] = PresenceTracker(GAP)
        self._last_alert: dict[tuple[str, str, int | None], datetime] = {}
        longest = max((a.barrier_cooldown_seconds for a in site.artworks), default=0.0)
        self._remember = timedelta(seconds=longest) + GAP

    def on_event(self, event: EventBase) -> list[Alert]:
        barriers = self._barriers.get(event.device_id)
        if not barriers or not isinstance(event, Detection):
            return []
        now = event.site_time
        self._presence.prune(now)
        alerts = []
        for obj in event.objects:
            if not is_person(obj):
                continue
            for barrier in barriers:
                found = contact(obj, barrier.polygon)
                if found is not None:
                    alert = self._touching(event, obj, barrier.artwork, found)
                    if alert is not None:
                        alerts.append(alert)
        return alerts

    def _touching(
        self, event: Detection, obj: TrackedObject, art: Artwork, found: Contact
    ) -> Alert | None:
        key = (event.device_id, art.id, obj.track_id)
        now = event.site_time
        presence = self._presence.seen(key, now, event.id)
        if presence.alerted or presence.seconds < art.barrier_min_seconds:
            return None
        last = self._last_alert.get(key)
        if last is not None and now - last < timedelta(seconds=art.barrier_cooldown_seconds):
            return None
        presence.alerted = True
        self._last_alert[key] = now
        self._forget_old_alerts(now)
        return self._alert(event, obj, art, found, presence.since, presence.first_event_id)

    def _alert(
        self,
        event: Detection,
        obj: TrackedObject,
        art: Artwork,
        found: Contact,
        since: datetime,
        first_event_id: str,
    ) -> Alert:
        seconds = (event.site_time - since).total_seconds()
        who = track_label(obj.track_id)
        parts = ", ".join(found.parts)
        if found.how == "reaching":
            what = (
                f"{who} is reaching into the virtual barrier of '{art.title}': {parts} inside "
                f"for {seconds:.1f} s (a touch needs {art.barrier_min_seconds:g} s), up to "
                f"{found.depth_px:.0f} px past its edge (keypoint score {found.confidence:.2f})"
            )
        else:
            what = (
                f"{who} is standing inside the virtual barrier of '{art.title}' (feet inside "
                f"for {seconds:.1f} s, {found.depth_px:.0f} px past the edge; judged from the "
                f"person's box, detection confidence {found.confidence:.2f})"
            )
        speaker = self._speakers.get(event.device_id)
        tier = art.value_tier
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule=self.name,
            severity=SEVERITY_BY_TIER[tier],
            title=f"Too close to {art.title}",
            reasons=[
                what,
                f"value tier {tier} ({TIER_NAMES[tier]}); camera {event.device_id}",
            ],
            evidence={
                "camera_id": event.device_id,
                "track_id": obj.track_id,
                "contact": found.how,
                "keypoints": parts,
                "seconds_inside": round(seconds, 2),
                "min_seconds": art.barrier_min_seconds,
                "depth_px": round(found.depth_px, 1),
                "confidence": round(found.confidence, 3),
                "value_tier": tier,
                "speaker": speaker,
            },
            source_event_ids=list(dict.fromkeys([first_event_id, event.id])),
            dedup_key=f"{self.name}:{art.id}",
            room_id=art.room,
            artwork_id=art.id,
            first_event_time=since,
        )

    def _forget_old_alerts(self, now: datetime) -> None:
        horizon = now - self._remember
        for key in [k for k, t in self._last_alert.items() if t < horizon]:
            del self._last_alert[key]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
