"""The site model: one YAML file describes a site, and the rest of artguard reads it from here.

>>> site = load_site("examples/demo-site/site.yaml")  # doctest: +SKIP
>>> site.door_for_reader("r-hall-g1").to_room  # doctest: +SKIP
'gallery-1'
"""

from __future__ import annotations

from artguard.site.access_policy import AccessPolicy
from artguard.site.conservation import Conservation, ConservationRates
from artguard.site.entities import (
    OUTSIDE,
    Artwork,
    Barrier,
    Camera,
    Door,
    Floor,
    Room,
    Sensor,
    SensorType,
    SiteInfo,
)
from artguard.site.loader import check_site, load_site, parse_site
from artguard.site.model import DeviceKind, Site
from artguard.site.people import ALL_ROOMS, Credential, Person, Role
from artguard.site.policies import (
    EvidenceSettings,
    Policies,
    Privacy,
    Retention,
    format_duration,
    parse_duration,
)
from artguard.site.problems import Problem, SiteError
from artguard.site.schedule import Holiday, Schedule, TimeWindow, schedule_active
from artguard.site.starter import init_site
from artguard.site.visitor_policy import VisitorPolicy

__all__ = [
    "ALL_ROOMS",
    "OUTSIDE",
    "AccessPolicy",
    "Artwork",
    "Barrier",
    "Camera",
    "Conservation",
    "ConservationRates",
    "Credential",
    "DeviceKind",
    "Door",
    "EvidenceSettings",
    "Floor",
    "Holiday",
    "Person",
    "Policies",
    "Privacy",
    "Problem",
    "Retention",
    "Role",
    "Room",
    "Schedule",
    "Sensor",
    "SensorType",
    "Site",
    "SiteError",
    "SiteInfo",
    "TimeWindow",
    "VisitorPolicy",
    "check_site",
    "format_duration",
    "init_site",
    "load_site",
    "parse_duration",
    "parse_site",
    "schedule_active",
]
