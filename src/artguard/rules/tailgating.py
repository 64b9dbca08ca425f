"""Tailgating and piggybacking: more people through a door than were let in.

A grant at a door opens a *passage window* (``WINDOW``, from a moment before the grant, since a
camera's or counter's clock and a panel's differ, to a few seconds after: long enough to walk
through). Two kinds of witness count the people passing into the door's ``to_room``
meanwhile:

* camera lines across that doorway (a line whose two rooms are the door's two rooms);
* ``passage_counter`` sensors fitted to the door (:mod:`artguard.rules.passages`).

When the window has closed, more people than were granted (one per grant; both people of a
completed two-person pair) by any witness is tailgating: one alert naming the door, the
grants with their credentials and times, and what each witness counted when.

Piggybacking (the badge holder knowingly lets someone in) looks the same to a camera or a
counter; the alert says "tailgating or piggybacking" and leaves the judgement to the guard.
Limits: a doorway needs a camera line or a counter; a person the tracker loses in the doorway
may be counted twice or not at all; doors between public rooms during opening hours are
ignored. A counter that counts nobody through ``BLIND_AFTER`` granted entries in a row is
reported as ``sensor_silent`` (dead, unplugged or knocked out of line): tailgating at that door
cannot be seen until it counts again.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from artguard.events import AccessDecision, Alert, EventBase, SensorReading, Severity
from artguard.rules.base import SEVERITY_BY_SECURITY_LEVEL
from artguard.rules.doors import door_security_level, is_free_passage, local_clock
from artguard.rules.passages import Passage, PassageCounter
from artguard.sensors.alerts import sensor_alert
from artguard.site import Door, Site
from artguard.vision.rules.lines import Crossing, OccupancyCounter

WINDOW_BEFORE = timedelta(seconds=2)
WINDOW_AFTER = timedelta(seconds=12)
SETTLE = timedelta(seconds=3)
"""Wait this long after a window closes for late detections and readings before judging it."""
BLIND_AFTER = 5
"""Granted entries in a row a counter may count nobody through before it is reported."""
KEEP_PASSAGES = timedelta(minutes=2)
"""How long counted passages are kept waiting for a window that may include them."""


@dataclass(frozen=True)
class _Grant:
    at: datetime
    credential_id: str
    person_id: str | None
    decision_id: str


@dataclass
class _Window:
    door: Door
    start: datetime
    end: datetime
    granted: set[str] = field(default_factory=set)
    grants: list[_Grant] = field(default_factory=list)


@dataclass(frozen=True)
class _Count:
    """What one witness (a camera line set or a counter) saw through a window."""

    witness: str
    people: int
    event_ids: list[str]
    reason: str
    detail: str | None
    evidence: dict[str, str | int]


class TailgatingRule:
    """Compares the people counted through a door (camera lines, passage counters) with the
    grants there."""

    name = "tailgating"
    kinds = frozenset({"access_decision", "detection", "sensor_reading"})

    def __init__(self, site: Site, occupancy: OccupancyCounter) -> None:
        self._site = site
        self._occupancy = occupancy
        self._lines: dict[str, list[str]] = {}
        for camera in site.cameras:
            for line in camera.lines:
                for door in site.doors:
                    if {line.in_room, line.out_room} == {door.from_room, door.to_room}:
                        self._lines.setdefault(door.id, []).append(line.id)
        self._counters: dict[str, PassageCounter] = {
            s.id: PassageCounter(s)
            for s in site.sensors
            if s.type == "passage_counter" and s.door is not None
        }
        self._counter_doors: dict[str, list[PassageCounter]] = {}
        for counter in self._counters.values():
            self._counter_doors.setdefault(counter.door_id, []).append(counter)
        self._passages: dict[str, deque[Passage]] = {}
        self._uncounted: dict[str, int] = {}
        """Granted windows in a row each counter counted nobody through."""
        self._open: dict[str, _Window] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        alerts = self._judge(event.site_time)
        if isinstance(event, AccessDecision) and event.outcome == "grant":
            self._grant(event)
        elif isinstance(event, SensorReading) and event.device_id in self._counters:
            self._reading(event)
        return alerts

    def on_tick(self, now: datetime) -> list[Alert]:
        return self._judge(now)

    def _watched(self, door_id: str) -> bool:
        return door_id in self._lines or door_id in self._counter_doors

    def _grant(self, event: AccessDecision) -> None:
        if event.door_id is None or event.direction != "in" or not self._watched(event.door_id):
            return
        door = self._site.door(event.door_id)
        window = self._open.get(door.id)
        if window is None or event.site_time > window.end:
            window = _Window(door, event.site_time - WINDOW_BEFORE, event.site_time)
            self._open[door.id] = window
        window.end = event.site_time + WINDOW_AFTER
        if event.person_id:
            window.granted.add(event.person_id)
        window.grants.append(
            _Grant(event.site_time, event.credential_id, event.person_id, event.id)
        )
        if "two_person.completed" in event.rules:
            window.granted.add(f"{event.id}:partner")

    def _reading(self, event: SensorReading) -> None:
        counter = self._counters[event.device_id]
        passage = counter.read(event)
        if passage is None:
            return
        kept = self._passages.setdefault(counter.sensor.id, deque())
        kept.append(passage)
        while kept and kept[0].at < passage.at - KEEP_PASSAGES:
            kept.popleft()

    def _judge(self, now: datetime) -> list[Alert]:
        due = [w for w in self._open.values() if now >= w.end + SETTLE]
        alerts = []
        for window in due:
            del self._open[window.door.id]
            if is_free_passage(self._site, window.door, window.start):
                continue
            counts = [*self._camera_count(window), *self._counter_counts(window)]
            alerts += self._blind_counters(window, counts)
            allowed = max(len(window.granted), 1)
            over = [c for c in counts if c.people > allowed]
            if over:
                alerts.append(self._alert(window, counts, over, allowed))
        return alerts

    def _camera_count(self, window: _Window) -> list[_Count]:
        line_ids = self._lines.get(window.door.id)
        if not line_ids:
            return []
        entries: list[Crossing] = [
            c
            for line_id in line_ids
            for c in self._occupancy.crossings(since=window.start, line_id=line_id)
            if c.at <= window.end and c.to_room == window.door.to_room
        ]
        room = self._site.room(window.door.to_room).name
        evidence: dict[str, str | int] = {}
        if entries:
            evidence = {"camera_id": entries[0].camera_id, "track_id": entries[-1].track_id}
        tracks = ", ".join(f"track {c.track_id} ({c.camera_id})" for c in entries)
        return [
            _Count(
                "camera",
                len(entries),
                list(dict.fromkeys(c.event_id for c in entries)),
                f"{len(entries)} people crossed into {room} through {window.door.name}",
                f"crossings: {tracks}" if entries else None,
                evidence,
            )
        ]

    def _counter_counts(self, window: _Window) -> list[_Count]:
        counts = []
        for counter in self._counter_doors.get(window.door.id, []):
            sensor_id = counter.sensor.id
            inside = [
                p for p in self._passages.get(sensor_id, ()) if window.start <= p.at <= window.end
            ]
            people = sum(p.count for p in inside)
            times = ", ".join(local_clock(self._site, p.at) for p in inside)
            counts.append(
                _Count(
                    sensor_id,
                    people,
                    [p.event_id for p in inside],
                    f"passage counter {sensor_id} counted {people} "
                    f"{'person' if people == 1 else 'people'} through {window.door.name}",
                    f"counted at {times}" if inside else None,
                    {"sensor_id": sensor_id, "passages": people, "passage_times": times},
                )
            )
        return counts

    def _blind_counters(self, window: _Window, counts: list[_Count]) -> list[Alert]:
        alerts = []
        for count in counts:
            counter = self._counters.get(count.witness)
            if counter is None:
                continue
            if count.people > 0:
                self._uncounted[counter.sensor.id] = 0
                continue
            misses = self._uncounted.get(counter.sensor.id, 0) + 1
            self._uncounted[counter.sensor.id] = misses
            if misses == BLIND_AFTER:
                alerts.append(self._blind_alert(counter, window, misses))
        return alerts

    def _alert(
        self, window: _Window, counts: list[_Count], over: list[_Count], allowed: int
    ) -> Alert:
        door = window.door
        level = door_security_level(self._site, door)
        worst = max(over, key=lambda c: c.people)
        grants = ", ".join(
            f"{g.credential_id} at {local_clock(self._site, g.at)}" for g in window.grants
        )
        span = f"{local_clock(self._site, window.start)} and {local_clock(self._site, window.end)}"
        reasons = [
            f"{worst.reason} between {span}, but {allowed} "
            f"{'was' if allowed == 1 else 'were'} granted: tailgating or piggybacking",
            *([worst.detail] if worst.detail else []),
            f"grants: {grants}",
        ]
        for count in counts:
            if count is not worst:
                reasons.append(count.reason + (f" ({count.detail})" if count.detail else ""))
        evidence: dict[str, str | int] = {
            "door_id": door.id,
            "entries": worst.people,
            "granted": allowed,
            "witness": "camera" if worst.witness == "camera" else "passage_counter",
            "credentials": ", ".join(dict.fromkeys(g.credential_id for g in window.grants)),
            "grant_times": ", ".join(local_clock(self._site, g.at) for g in window.grants),
        }
        for count in counts:
            evidence |= {k: v for k, v in count.evidence.items() if k not in evidence}
        witnessed = dict.fromkeys(e for c in counts for e in c.event_ids)
        return Alert(
            device_id=door.id,
            site_time=window.end,
            rule=self.name,
            severity=SEVERITY_BY_SECURITY_LEVEL.get(level, SEVERITY_BY_SECURITY_LEVEL[4]),
            title=f"Tailgating at {door.name}",
            reasons=reasons,
            evidence=evidence,
            source_event_ids=[*(g.decision_id for g in window.grants), *witnessed],
            dedup_key=f"{self.name}:{door.id}:{window.start.isoformat()}",
            room_id=door.to_room,
            first_event_time=window.start,
        )

    def _blind_alert(self, counter: PassageCounter, window: _Window, misses: int) -> Alert:
        sensor = counter.sensor
        state = counter.state
        last = (
            f"its last reading was at {local_clock(self._site, state.last_at)}"
            if state.last_at is not None
            else "it has sent no reading since artguard started"
        )
        return sensor_alert(
            sensor,
            at=window.end,
            rule="sensor_silent",
            severity=Severity.medium,
            title=f"Passage counter {sensor.id} counts nobody at {window.door.name}",
            reasons=[
                f"passage counter {sensor.id} counted nobody through {window.door.name} in the "
                f"last {misses} granted entries; {last}. Tailgating at this door cannot be seen "
                "until it counts again: check its power, network and alignment"
            ],
            evidence={
                "door_id": window.door.id,
                "granted_entries_uncounted": misses,
                "resets": state.resets,
                "ignored_readings": state.ignored,
            },
            dedup_key=f"sensor_silent:{sensor.id}",
            source_event_ids=[g.decision_id for g in window.grants],
        )
