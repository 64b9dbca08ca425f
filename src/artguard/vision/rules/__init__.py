"""Vision rules: :class:`~artguard.rules.base.Rule` objects over camera events.

They consume ``detection`` events (tracked people with boxes, feet and body keypoints),
``camera_health`` and ``artwork_view`` events, whether a camera worker or the digital twin sent
them, and raise alerts like every other rule. Each is configured from the site: barriers on
artworks, zones, lines and speakers on cameras.
"""

from __future__ import annotations

from artguard.rules.base import Rule
from artguard.site import Site
from artguard.vision.rules.artwork_view import ArtworkMissingRule
from artguard.vision.rules.barrier import BarrierRule
from artguard.vision.rules.camera_health import CameraHealthRule
from artguard.vision.rules.lines import Crossing, LineCrossingRule, OccupancyCounter
from artguard.vision.rules.loitering import LoiteringRule
from artguard.vision.rules.staff_nearby import StaffOnSite
from artguard.vision.rules.zones import AfterHoursPresenceRule, RestrictedZoneRule

__all__ = [
    "AfterHoursPresenceRule",
    "ArtworkMissingRule",
    "BarrierRule",
    "CameraHealthRule",
    "Crossing",
    "LineCrossingRule",
    "LoiteringRule",
    "OccupancyCounter",
    "RestrictedZoneRule",
    "StaffOnSite",
    "vision_rules",
]


def vision_rules(
    site: Site, occupancy: OccupancyCounter | None = None, staff: StaffOnSite | None = None
) -> list[Rule]:
    """Every vision rule for ``site``; ``occupancy`` receives the line crossings (a new
    counter when None; pass one to read live occupancy from the API). The after-hours rules
    share one view of where staff on shift badged, ``staff`` (new when None; pass one to
    restore it at start)."""
    staff = staff or StaffOnSite(site)
    return [
        BarrierRule(site),
        RestrictedZoneRule(site),
        AfterHoursPresenceRule(site, staff=staff),
        LoiteringRule(site),
        LineCrossingRule(site, occupancy, staff=staff),
        CameraHealthRule(site),
        ArtworkMissingRule(site),
    ]
