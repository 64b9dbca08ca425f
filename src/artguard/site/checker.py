"""The shared context of the cross-reference checks: known ids, lookups, and reporting."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Set
from typing import Any

from artguard.site.entities import OUTSIDE, Camera, Door, Room, Sensor
from artguard.site.model import Site
from artguard.site.problems import Issue, Loc

SECTIONS: dict[str, str] = {
    "floors": "floor",
    "schedules": "schedule",
    "rooms": "room",
    "artworks": "artwork",
    "cameras": "camera",
    "doors": "door",
    "sensors": "sensor",
    "roles": "role",
    "people": "person",
}
"""Sections whose items have ids, with the word for one item."""

_MAX_LISTED = 12


class Checker:
    """What the checks share: the site, the ids each section declares, and the issues so far.

    ``declared`` adds ids per section that exist in the file but failed validation, so they
    are not reported again as unknown; references into a section named in ``unknowable``
    (one that is not even a list) are not checked.
    """

    def __init__(
        self,
        site: Site,
        declared: Mapping[str, Iterable[str]] | None = None,
        unknowable: Set[str] = frozenset(),
    ) -> None:
        declared = declared or {}
        self.site = site
        self.issues: list[Issue] = []
        self.known: dict[str, frozenset[str] | None] = {
            section: None
            if section in unknowable
            else frozenset(item.id for item in getattr(site, section))
            | frozenset(declared.get(section, ()))
            for section in SECTIONS
        }
        self.rooms: dict[str, Room] = first_by_id(site.rooms)
        self.cameras: dict[str, Camera] = first_by_id(site.cameras)
        self.doors: dict[str, Door] = first_by_id(site.doors)
        self.sensors: dict[str, Sensor] = first_by_id(site.sensors)
        self.contact_owner: dict[str, Door] = {}
        for door in site.doors:
            if door.contact:
                self.contact_owner.setdefault(door.contact, door)

    def add(self, loc: Loc, message: str, also: Loc | None = None) -> None:
        self.issues.append(Issue(loc, message, also))

    def ref(self, loc: Loc, section: str, value: str, *, extra: tuple[str, ...] = ()) -> bool:
        """Report ``value`` if it is not an id in ``section``; False when reported."""
        known = self.known[section]
        if known is None or value in known or value in extra:
            return True
        options = sorted(known) + list(extra)
        word = SECTIONS[section]
        if not options:
            self.add(
                loc,
                f"unknown {word} {value!r} (no {section} are declared; add it under {section}:)",
            )
            return False
        listed = ", ".join(options[:_MAX_LISTED]) + (", ..." if len(options) > _MAX_LISTED else "")
        close = difflib.get_close_matches(value, options, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        self.add(loc, f"unknown {word} {value!r} (expected one of: {listed}){hint}")
        return False

    def room_known(self, room_id: str) -> bool:
        """Whether ``room_id`` is declared, ``outside``, or cannot be checked."""
        known = self.known["rooms"]
        return room_id == OUTSIDE or known is None or room_id in known


def first_by_id(items: Iterable[Any]) -> dict[str, Any]:
    """Items by id; where a broken site repeats an id, the first one."""
    table: dict[str, Any] = {}
    for item in items:
        table.setdefault(item.id, item)
    return table
