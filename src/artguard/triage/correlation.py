"""Which active incident a new alert belongs to, by time and place, and why.

An alert joins an active incident whose last alert is within the correlation window when it
is linked to one of the incident's alerts (strongest link first):

1. the same device (a camera's later alerts join its sabotage; a sensor's its tamper);
2. the same artwork;
3. the same room;
4. an adjacent room on the floor plan (a thief goes through doors), for intrusion-like
   signals only (entry, presence, artwork, sabotage, tailgating);
5. a camera going offline while another camera already is (a network or power fault is
   one cause, wherever the cameras are).

Climate alerts (temperature, humidity) and security alerts are different causes: they join
each other only through the same device. Among several linked incidents the strongest link
wins, then the most recent incident. Two incidents are never merged afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from artguard.site import Site
from artguard.triage.scoring import lookup
from artguard.triage.signals import AlertFacts, artwork_of

MOVING = frozenset({"entry", "presence", "artwork", "sabotage", "tailgating"})
"""Categories of signals an intruder leaves while moving through rooms: only these chain
through adjacent rooms (a visitor loitering in one gallery and a badge anomaly next door
are not one cause)."""


@dataclass(frozen=True)
class Candidate:
    """An active incident that is recent enough to join, with its alerts."""

    incident_id: str
    last_alert_time: datetime
    alerts: list[AlertFacts]


@dataclass(frozen=True)
class Link:
    incident_id: str
    strength: int  # higher is stronger
    reason: str


def family(facts: AlertFacts, site: Site | None) -> str:
    """'environment' for conservation climate alerts, 'security' for everything else."""
    return "environment" if lookup(facts, site)[0].category == "environment" else "security"


def link(alert: AlertFacts, other: AlertFacts, site: Site | None) -> tuple[int, str] | None:
    """How strongly ``alert`` is tied to ``other`` (an alert of an incident), if at all."""
    if alert.device_id == other.device_id:
        return 5, f"same device as {other.rule} ({other.device_id})"
    if family(alert, site) != family(other, site):
        return None
    art = artwork_of(alert, site)
    if art is not None and art == artwork_of(other, site):
        return 4, f"same artwork as {other.rule} ({art})"
    if alert.room_id is not None and alert.room_id == other.room_id:
        return 3, f"same room as {other.rule} ({alert.room_id})"
    if (
        alert.room_id is not None
        and other.room_id is not None
        and site is not None
        and lookup(alert, site)[0].category in MOVING
        and lookup(other, site)[0].category in MOVING
    ):
        try:
            neighbours = site.adjacent(alert.room_id)
        except KeyError:
            neighbours = frozenset()
        if other.room_id in neighbours:
            return 2, f"room {alert.room_id} is next to {other.room_id} ({other.rule})"
    if alert.camera_status == "offline" and other.camera_status == "offline":
        return 1, f"cameras going offline together ({other.device_id} too): one fault"
    return None


def choose(alert: AlertFacts, candidates: list[Candidate], site: Site | None) -> Link | None:
    """The incident the alert joins, or None to open a new one."""
    best: tuple[int, datetime, Link] | None = None
    for candidate in candidates:
        for other in candidate.alerts:
            found = link(alert, other, site)
            if found is None:
                continue
            strength, reason = found
            if best is None or (strength, candidate.last_alert_time) > best[:2]:
                best = (
                    strength,
                    candidate.last_alert_time,
                    Link(candidate.incident_id, strength, reason),
                )
    return best[2] if best else None
