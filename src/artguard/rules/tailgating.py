"""Tailgating and piggybacking: more people through a door than were let in.

A grant at a door opens a *passage window* (``WINDOW``, from a moment before the grant, since a
camera's clock and a panel's differ, to a few seconds after: long enough to walk through). The
camera lines across that doorway (a line whose two rooms are the door's two rooms) count the
people crossing into the door's ``to_room`` meanwhile. When the window has closed, more
entries than people granted (one per grant; both people of a completed two-person pair) is
tailgating: an alert naming the grant, the count and the tracks.

Piggybacking (the badge holder knowingly lets someone in) looks the same to a camera; the alert
says "tailgating or piggybacking" and leaves the judgement to the guard watching the clip.
Limits: a doorway needs a camera line; a person the tracker loses in the doorway may be counted
twice or not at all; doors between public rooms during opening hours are ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from artguard.events import AccessDecision, Alert, EventBase
from artguard.rules.base import SEVERITY_BY_SECURITY_LEVEL
from artguard.rules.doors import door_security_level, is_free_passage, local_clock
from artguard.site import Door, Site
from artguard.vision.rules.lines import Crossing, OccupancyCounter

WINDOW_BEFORE = timedelta(seconds=2)
WINDOW_AFTER = timedelta(seconds=12)
SETTLE = timedelta(seconds=3)
"""Wait this long after a window closes for late detections before judging it."""


@dataclass
class _Window:
    door: Door
    start: datetime
    end: datetime
    granted: set[str] = field(default_factory=set)
    decision_ids: list[str] = field(default_factory=list)


class TailgatingRule:
    """Compares camera line crossings at a door with the grants there."""

    name = "tailgating"
    kinds = frozenset({"access_decision", "detection"})

    def __init__(self, site: Site, occupancy: OccupancyCounter) -> None:
        self._site = site
        self._occupancy = occupancy
        self._lines: dict[str, list[str]] = {}
        for camera in site.cameras:
            for line in camera.lines:
                for door in site.doors:
                    if {line.in_room, line.out_room} == {door.from_room, door.to_room}:
                        self._lines.setdefault(door.id, []).append(line.id)
        self._open: dict[str, _Window] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        alerts = self._judge(event.site_time)
        if isinstance(event, AccessDecision) and event.outcome == "grant":
            self._grant(event)
        return alerts

    def on_tick(self, now: datetime) -> list[Alert]:
        return self._judge(now)

    def _grant(self, event: AccessDecision) -> None:
        if event.door_id is None or event.direction != "in" or event.door_id not in self._lines:
            return
        door = self._site.door(event.door_id)
        window = self._open.get(door.id)
        if window is None or event.site_time > window.end:
            window = _Window(door, event.site_time - WINDOW_BEFORE, event.site_time)
            self._open[door.id] = window
        window.end = event.site_time + WINDOW_AFTER
        if event.person_id:
            window.granted.add(event.person_id)
        window.decision_ids.append(event.id)
        if "two_person.completed" in event.rules:
            window.granted.add(f"{event.id}:partner")

    def _judge(self, now: datetime) -> list[Alert]:
        due = [w for w in self._open.values() if now >= w.end + SETTLE]
        alerts = []
        for window in due:
            del self._open[window.door.id]
            if is_free_passage(self._site, window.door, window.start):
                continue
            entries = [
                c
                for line_id in self._lines[window.door.id]
                for c in self._occupancy.crossings(since=window.start, line_id=line_id)
                if c.at <= window.end and c.to_room == window.door.to_room
            ]
            allowed = max(len(window.granted), 1)
            if len(entries) > allowed:
                alerts.append(self._alert(window, entries, allowed))
        return alerts

    def _alert(self, window: _Window, entries: list[Crossing], allowed: int) -> Alert:
        door = window.door
        level = door_security_level(self._site, door)
        room = self._site.room(door.to_room).name
        tracks = ", ".join(f"track {c.track_id} ({c.camera_id})" for c in entries)
        return Alert(
            device_id=door.id,
            site_time=window.end,
            rule=self.name,
            severity=SEVERITY_BY_SECURITY_LEVEL.get(level, SEVERITY_BY_SECURITY_LEVEL[4]),
            title=f"Tailgating at {door.name}",
            reasons=[
                f"{len(entries)} people crossed into {room} through {door.name} between "
                f"{local_clock(self._site, window.start)} and "
                f"{local_clock(self._site, window.end)}, but {allowed} "
                f"{'was' if allowed == 1 else 'were'} granted: tailgating or piggybacking",
                f"crossings: {tracks}",
            ],
            evidence={
                "door_id": door.id,
                "entries": len(entries),
                "granted": allowed,
                "camera_id": entries[0].camera_id,
                "track_id": entries[-1].track_id,
            },
            source_event_ids=[*window.decision_ids, *dict.fromkeys(c.event_id for c in entries)],
            dedup_key=f"{self.name}:{door.id}:{window.start.isoformat()}",
            room_id=door.to_room,
            first_event_time=window.start,
        )
