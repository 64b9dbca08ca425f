"""Named patterns: what an incident's set of signals most likely means, with the reasons.

Patterns are tried in order of how much they matter and the first that matches names the
incident; the others that also match are listed too. Each pattern reads only the categories
of the incident's (unsuppressed) contributions, whether they happened after hours, and the
rules and rooms they came from, so it is explainable in one sentence.

=====================  ==================================================================
theft_in_progress      an artwork signal (vibration on its mount, barrier crossed, missing)
                       together with a forced entry, an after-hours presence or sabotage;
                       or an artwork missing on its own
after_hours_intrusion  a forced entry, a person or motion, while the site is closed
sensor_or_camera_sabotage  a camera blinded / moved / offline or a sensor tampered, without
                       an entry or artwork signal
touching_artwork       an artwork signal alone (a visitor too close, a knock on the mount)
insider_misuse         a valid credential used oddly (unusual access, passback, lockout,
                       failed re-check), possibly with a presence in a restricted zone
tailgating             more people through a door than badges
casing                 a visitor circling back to, or lingering near, a high-value artwork
                       (a visitor watch flag), with no artwork signal or break-in: those name
                       the incident first, as what casing led to
environmental_risk     only conservation climate signals (temperature, humidity)
=====================  ==================================================================
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from artguard.triage.scoring import Contribution

LABELS = {
    "theft_in_progress": "Theft in progress",
    "after_hours_intrusion": "After-hours intrusion",
    "sensor_or_camera_sabotage": "Sensor or camera sabotage",
    "touching_artwork": "Touching an artwork",
    "insider_misuse": "Insider misuse",
    "tailgating": "Tailgating",
    "casing": "Casing an artwork",
    "environmental_risk": "Environmental risk",
}


@dataclass(frozen=True)
class PatternMatch:
    name: str
    label: str
    reasons: list[str]


class _View:
    """The incident's live (unsuppressed) contributions, by category."""

    def __init__(self, items: list[Contribution]) -> None:
        self.items = [c for c in items if not c.suppressed]

    def of(self, *categories: str, after_hours: bool | None = None) -> list[Contribution]:
        return [
            c
            for c in self.items
            if c.category in categories and (after_hours is None or c.after_hours == after_hours)
        ]

    def intrusion(self) -> list[Contribution]:
        """Forced entry at any time; presence (person, motion) only while the site is closed."""
        return self.of("entry") + self.of("presence", after_hours=True)


def _describe(items: list[Contribution]) -> str:
    seen: dict[str, None] = {}
    for c in items:
        where = c.artwork or c.room
        seen[f"{c.label}" + (f" ({where})" if where else "")] = None
    return ", ".join(seen)


def _theft(v: _View) -> list[str] | None:
    art = v.of("artwork")
    if not art:
        return None
    missing = [c for c in art if c.rule == "artwork_missing"]
    accomplices = v.intrusion() + v.of("sabotage")
    if accomplices:
        return [
            f"artwork signal: {_describe(art)}",
            f"with {_describe(accomplices)}",
        ]
    if missing:
        return [f"artwork missing from its place: {_describe(missing)}"]
    return None


def _intrusion(v: _View) -> list[str] | None:
    entry, late = v.of("entry", after_hours=True), v.of("presence", after_hours=True)
    if not (entry or late):
        return None
    reasons = []
    if entry:
        reasons.append(f"forced entry: {_describe(entry)}")
    if late:
        reasons.append(f"someone inside while the site is closed: {_describe(late)}")
    sabotage = v.of("sabotage")
    if sabotage:
        reasons.append(f"with sabotage: {_describe(sabotage)}")
    return reasons


def _sabotage(v: _View) -> list[str] | None:
    sabotage = v.of("sabotage")
    return [f"sabotage: {_describe(sabotage)}"] if sabotage else None


def _touching(v: _View) -> list[str] | None:
    art = v.of("artwork")
    return [f"artwork signal without a break-in: {_describe(art)}"] if art else None


def _insider(v: _View) -> list[str] | None:
    access = [c for c in v.of("access") if c.rule != "door_held_open"]
    if not access:
        return None
    reasons = [f"valid credential used oddly: {_describe(access)}"]
    zone = [c for c in v.of("presence") if c.rule == "restricted_zone"]
    if zone:
        reasons.append(f"with presence in a restricted zone: {_describe(zone)}")
    return reasons


def _tailgating(v: _View) -> list[str] | None:
    found = v.of("tailgating")
    return [f"more people than badges: {_describe(found)}"] if found else None


def _casing(v: _View) -> list[str] | None:
    cased = [c for c in v.of("behaviour") if c.rule == "visitor_casing"]
    return [f"a visitor studying a high-value work: {_describe(cased)}"] if cased else None


def _environment(v: _View) -> list[str] | None:
    climate = v.of("environment")
    if not climate or len(climate) != len(v.items):
        return None
    return [f"conservation climate out of range: {_describe(climate)}"]


PATTERNS: list[tuple[str, Callable[[_View], list[str] | None]]] = [
    ("theft_in_progress", _theft),
    ("after_hours_intrusion", _intrusion),
    ("sensor_or_camera_sabotage", _sabotage),
    ("touching_artwork", _touching),
    ("insider_misuse", _insider),
    ("tailgating", _tailgating),
    ("casing", _casing),
    ("environmental_risk", _environment),
]
"""In order of precedence: the first match names the incident."""


def recognise(items: list[Contribution]) -> list[PatternMatch]:
    """Every pattern the contributions match, the one that names the incident first."""
    view = _View(items)
    found = []
    for name, test in PATTERNS:
        reasons = test(view)
        if reasons:
            found.append(PatternMatch(name, LABELS[name], reasons))
    return found
