"""Camera sabotage: a camera reported offline, frozen, covered, blinded, defocused or moved.

The camera worker judges the picture (``artguard.vision.checks.sabotage``) and reports a
:class:`~artguard.events.CameraHealth` event when the state changes; this rule turns each new
bad state into one alert. How bad depends on what the camera watches: the most secure room it
covers and the most valuable artwork it guards (a blind camera over a masterpiece is the first
step of a theft as often as it is a fault).
"""

from __future__ import annotations

from datetime import datetime

from artguard.events import Alert, CameraHealth, EventBase, Severity
from artguard.rules.base import SEVERITY_BY_SECURITY_LEVEL
from artguard.site import Camera, Site
from artguard.vision.rules.common import TIER_NAMES, higher

SEVERITY_BY_TIER: dict[int, Severity] = {
    1: Severity.low,
    2: Severity.medium,
    3: Severity.high,
    4: Severity.high,
}

WHAT_IT_MEANS = {
    "offline": "no picture arrives from the camera",
    "frozen": "the picture has stopped changing (a replayed or stuck stream)",
    "covered": "the lens is covered or the picture is black",
    "blinded": "the picture is washed out (a bright light shone into the lens)",
    "defocused": "the picture has gone blurred compared with its reference",
    "moved": "the view no longer matches its reference (the camera was turned or moved)",
}


class CameraHealthRule:
    """One alert per camera each time it enters a bad state; back online re-arms it."""

    name = "camera_sabotage"
    kinds = frozenset({"camera_health"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._cameras = {c.id: c for c in site.cameras}
        self._guarded: dict[str, list[tuple[str, int]]] = {}
        for art in site.artworks:
            for barrier in art.barriers:
                self._guarded.setdefault(barrier.camera, []).append((art.id, art.value_tier))
        self._bad: dict[str, str] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        camera = self._cameras.get(event.device_id)
        if camera is None or not isinstance(event, CameraHealth):
            return []
        if event.status == "online":
            self._bad.pop(camera.id, None)
            return []
        if self._bad.get(camera.id) == event.status:
            return []
        self._bad[camera.id] = event.status
        return [self._alert(camera, event)]

    def _alert(self, camera: Camera, event: CameraHealth) -> Alert:
        rooms = [self._site.room(r) for r in camera.rooms]
        level = max(room.security_level for room in rooms)
        guarded = self._guarded.get(camera.id, [])
        top_tier = max((tier for _, tier in guarded), default=0)
        severity = SEVERITY_BY_SECURITY_LEVEL.get(level, Severity.high)
        if top_tier:
            severity = higher(severity, SEVERITY_BY_TIER[top_tier])
        covers = f"it covers {', '.join(r.name for r in rooms)} (security level up to {level})"
        if guarded:
            covers += (
                f" and guards {len(guarded)} artwork(s), the most valuable of tier {top_tier} "
                f"({TIER_NAMES[top_tier]})"
            )
        reasons = [f"{camera.name}: {event.status}: {WHAT_IT_MEANS[event.status]}", covers]
        if event.detail:
            reasons.insert(1, f"measured: {event.detail}")
        return Alert(
            device_id=camera.id,
            site_time=event.site_time,
            rule=self.name,
            severity=severity,
            title=f"Camera {event.status}: {camera.name}",
            reasons=reasons,
            evidence={
                "camera_id": camera.id,
                "status": event.status,
                "detail": event.detail,
                "security_level": level,
                "artworks": ",".join(a for a, _ in guarded) or None,
                "max_value_tier": top_tier or None,
            },
            source_event_ids=[event.id],
            dedup_key=f"{self.name}:{camera.id}:{event.status}",
            room_id=camera.rooms[0],
            first_event_time=event.site_time,
        )

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
