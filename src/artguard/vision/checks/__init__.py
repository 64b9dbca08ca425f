"""Frame checks: what the camera worker judges from the pixels themselves.

Each check has ``check(frame, detections) -> list[EventBase]`` and reports changes of state as
events: :class:`CameraSabotageCheck` (``camera_health``) and :class:`ArtworkPresenceCheck`
(``artwork_view``). The vision rules turn those events into alerts.
"""

from __future__ import annotations

from artguard.vision.checks.artwork import ArtworkPresenceCheck, ArtworkThresholds
from artguard.vision.checks.sabotage import CameraSabotageCheck, SabotageThresholds

__all__ = [
    "ArtworkPresenceCheck",
    "ArtworkThresholds",
    "CameraSabotageCheck",
    "SabotageThresholds",
]
