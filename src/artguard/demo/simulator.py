"""Simple simulated devices (the demo's before the digital twin; now a test traffic generator).

Staff on shift badge through the doors of their zones (the demo's reader simulator: each
badge is decided by artguard's access control and the door opens only on a grant); temperature
and humidity follow a day/night cycle with noise; motion sensors see visitors in public rooms
during opening hours; and every few minutes a scripted incident (a forced door, a glass
break, a humidity excursion, a door held open, a knock on an artwork's mount) gives the
dashboard something to show.

The simulator only *produces* events (``events_until``); :func:`artguard.demo.runner.feed`
sends badges to the access service and everything else through the real ingestion service, so
the events exercise the same pipeline as live devices. ``artguard demo`` and the drills use
the digital twin (:mod:`artguard.twin`), which adds visitors, cameras and attack scenarios.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from artguard.events import AccessAttempt, DoorState, EventBase, Factor, SensorReading
from artguard.site import Door, Person, Sensor, Site

SENSOR_PERIOD = timedelta(seconds=10)
MIN_BADGE_GAP = timedelta(seconds=90)
"""A person badges at most this often (walking between doors takes time)."""
BADGE_MEAN_GAP_S = 20.0


@dataclass(order=True)
class _Scheduled:
    due: datetime
    order: int
    event: EventBase = field(compare=False)


def _diurnal(at: datetime, site: Site) -> float:
    """-1 at 04:00 local time, +1 at 16:00: the shape of a building's daily swing."""
    local = at.astimezone(site.tz)
    hours = local.hour + local.minute / 60
    return math.sin((hours - 10) / 24 * 2 * math.pi)


class DemoSimulator:
    """Generates plausible device events for a site, deterministic for a seed."""

    def __init__(
        self,
        site: Site,
        start: datetime,
        *,
        seed: int = 7,
        incident_every: timedelta = timedelta(minutes=3),
    ) -> None:
        self.site = site
        self._rng = random.Random(seed)
        self._queue: list[_Scheduled] = []
        self._order = itertools.count()
        self._next_sensor_round = start
        self._next_badge = start + timedelta(seconds=3)
        self._incident_every = incident_every
        self._next_incident = start + min(timedelta(seconds=20), incident_every)
        self._scripts: Iterator[Callable[[datetime], None]] = itertools.cycle(
            [
                self._door_forced,
                self._humidity_excursion,
                self._door_held_open,
                self._mount_knock,
                self._glass_break,
            ]
        )
        self._badged_doors = [d for d in site.doors if d.readers]
        self._waiting: dict[str, tuple[Door, float, list[Person | None]]] = {}
        self._last_badge: dict[str, datetime] = {}
        self._sensors = list(site.sensors)
        self._counted: dict[str, int] = {}  # passage counters' running totals

    def events_until(self, now: datetime) -> list[EventBase]:
        """Every event due at or before ``now``, in time order."""
        while self._next_sensor_round <= now:
            self._sensor_round(self._next_sensor_round)
            self._next_sensor_round += SENSOR_PERIOD
        while self._next_badge <= now:
            self._staff_badge(self._next_badge)
            self._next_badge += timedelta(seconds=self._rng.expovariate(1 / BADGE_MEAN_GAP_S))
        while self._next_incident <= now:
            next(self._scripts)(self._next_incident)
            self._next_incident += self._incident_every
        due: list[EventBase] = []
        while self._queue and self._queue[0].due <= now:
            due.append(heapq.heappop(self._queue).event)
        return due

    # -- building blocks -------------------------------------------------------------------

    def _at(self, due: datetime, event: EventBase) -> None:
        heapq.heappush(self._queue, _Scheduled(due, next(self._order), event))

    def _door_device(self, door: Door) -> str:
        return door.contact or door.id

    def _passage(
        self,
        door: Door,
        at: datetime,
        person: Person | None,
        hold_s: float,
        companion: Person | None = None,
    ) -> None:
        """A badge at the door's reader asking artguard (the door then opens only if the
        caller reports a grant through :meth:`answer`), or, without a person, the door simply
        opening a second later (forced) and closing ``hold_s`` after. ``companion``: the
        first of a pair (two-person rule), who goes in with this person."""
        if person is not None and door.readers:
            reader = self._rng.choice(door.readers)
            attempt = AccessAttempt(
                device_id=reader,
                site_time=at,
                credential_id=person.credentials[0].id,
                factors=self._factors(person, door),
                granted=None,
            )
            self._waiting[attempt.id] = (door, hold_s, [person, companion])
            self._last_badge[person.id] = at
            self._at(at, attempt)
            return
        self._open_door(door, at, hold_s)

    def answer(self, attempt_id: str, granted: bool, at: datetime) -> None:
        """The decision for a badge: on a grant the person opens the door (and, behind a door
        with exit readers, badges out again a few minutes later)."""
        waiting = self._waiting.pop(attempt_id, None)
        if waiting is None or not granted:
            return
        door, hold_s, people = waiting
        self._open_door(door, at, hold_s)
        self._count_passages(door, at, sum(p is not None for p in people))
        for person in people:
            if person is None or not door.exit_readers:
                continue
            leave = at + timedelta(minutes=self._rng.uniform(3, 8))
            attempt = AccessAttempt(
                device_id=self._rng.choice(door.exit_readers),
                site_time=leave,
                credential_id=person.credentials[0].id,
                granted=None,
            )
            self._waiting[attempt.id] = (door, 3.0, [])
            self._last_badge[person.id] = leave
            self._at(leave, attempt)

    def _factors(self, person: Person, door: Door) -> list[Factor]:
        """What the person presents: every factor they hold that the room's level asks for."""
        level = self.site.room(door.to_room).security_level if door.to_room != "outside" else 1
        needed = self.site.policies.access.required_factors(level)
        held = {c.type for c in person.credentials}
        return [f for f in needed if f in held] or ["card"]

    def _open_door(self, door: Door, at: datetime, hold_s: float) -> None:
        opened = at + timedelta(seconds=1)
        device = self._door_device(door)
        self._at(
            opened, DoorState(device_id=device, site_time=opened, door_id=door.id, contact="open")
        )
        closed = opened + timedelta(seconds=hold_s)
        self._at(
            closed, DoorState(device_id=device, site_time=closed, door_id=door.id, contact="closed")
        )

    def _count_passages(self, door: Door, at: datetime, people: int) -> None:
        """The door's passage counters count each person walking in (a running total, or 1
        per person), a second or two apart once the door has opened."""
        for sensor in self._sensors:
            if sensor.type != "passage_counter" or sensor.door != door.id:
                continue
            for i in range(people):
                when = at + timedelta(seconds=2 + 1.5 * i)
                if sensor.counting == "per_passage":
                    self._reading(sensor, when, 1)
                else:
                    self._counted[sensor.id] = self._counted.get(sensor.id, 0) + 1
                    self._reading(sensor, when, self._counted[sensor.id])

    def _reading(self, sensor: Sensor, at: datetime, value: float) -> None:
        self._at(
            at,
            SensorReading(
                device_id=sensor.id, site_time=at, value=round(value, 3), unit=sensor.unit
            ),
        )

    # -- the ordinary day ------------------------------------------------------------------

    def _sensor_round(self, at: datetime) -> None:
        swing = _diurnal(at, self.site)
        for sensor in self._sensors:
            if sensor.type == "passage_counter":
                continue  # reports passages only (_count_passages)
            when = at + timedelta(milliseconds=self._rng.randrange(0, 9000))
            if sensor.type == "temperature":
                self._reading(sensor, when, 20.0 + 1.2 * swing + self._rng.gauss(0, 0.15))
            elif sensor.type == "humidity":
                self._reading(sensor, when, 50.0 - 3.0 * swing + self._rng.gauss(0, 0.6))
            elif sensor.type == "motion":
                busy = self.site.is_open_to_public(sensor.room, at)
                self._reading(
                    sensor, when, 1.0 if self._rng.random() < (0.7 if busy else 0.02) else 0.0
                )
            elif sensor.type == "vibration":
                limit = sensor.max if sensor.max is not None else 1.0
                self._reading(sensor, when, abs(self._rng.gauss(0, limit * 0.08)))

    def _on_shift(self, at: datetime) -> list[Person]:
        return [
            p
            for p in self.site.people
            if p.credentials and p.schedule and self.site.in_schedule(p.schedule, at)
        ]

    def _doors_of(self, person: Person) -> list[Door]:
        """The badged doors into rooms the person may enter."""
        rooms = self._rooms_of(person)
        return [d for d in self._badged_doors if d.to_room in rooms]

    def past_grants(self, end: datetime, days: int) -> Iterator[tuple[str, str, datetime]]:
        """``(person, door, time)`` of the badges this simulator would have produced in the
        ``days`` before ``end`` (same people, doors and rate): the demo's learned history."""
        rng = random.Random(self._rng.random())
        at = end - timedelta(days=days)
        shifts: dict[datetime, list[Person]] = {}  # who is on, per 10 minutes (shifts start
        while at < end:  # on the hour or half hour)
            at += timedelta(seconds=rng.expovariate(1 / BADGE_MEAN_GAP_S))
            bucket = at.replace(minute=at.minute - at.minute % 10, second=0, microsecond=0)
            if bucket not in shifts:
                shifts[bucket] = self._on_shift(bucket)
            people = shifts[bucket]
            if not people:
                continue
            person = rng.choice(people)
            doors = self._doors_of(person)
            if doors:
                yield person.id, rng.choice(doors).id, at

    def _rooms_of(self, person: Person) -> set[str]:
        return {r.id for r in self.site.rooms} if "*" in person.zones else set(person.zones)

    def _staff_badge(self, at: datetime) -> None:
        on_shift = [
            p
            for p in self._on_shift(at)
            if at - self._last_badge.get(p.id, at - MIN_BADGE_GAP) >= MIN_BADGE_GAP
        ]
        if not on_shift or not self._badged_doors:
            return
        person = self._rng.choice(on_shift)
        doors = self._doors_of(person)
        if not doors:
            return
        door = self._rng.choice(doors)
        self._passage(door, at, person, hold_s=self._rng.uniform(2, 6))
        if door.to_room in self.site.policies.access.two_person.rooms:
            partner = [p for p in on_shift if p is not person and door in self._doors_of(p)]
            if partner:  # vault work is done in pairs: the colleague badges just after
                later = at + timedelta(seconds=4)
                colleague = self._rng.choice(partner)
                self._passage(door, later, colleague, hold_s=6, companion=person)

    # -- scripted incidents ----------------------------------------------------------------

    def _door_forced(self, at: datetime) -> None:
        doors = [d for d in self.site.doors if d.readers]
        door = max(
            doors,
            key=lambda d: max(
                self.site.room(r).security_level for r in (d.from_room, d.to_room) if r != "outside"
            ),
        )
        self._passage(door, at, None, hold_s=15)
        motion = [s for s in self._sensors if s.type == "motion" and s.room == door.to_room]
        for sensor in motion[:1]:
            self._reading(sensor, at + timedelta(seconds=4), 1.0)

    def _humidity_excursion(self, at: datetime) -> None:
        sensors = [s for s in self._sensors if s.type == "humidity" and s.max is not None]
        if sensors:
            sensor = self._rng.choice(sensors)
            for i in range(3):
                self._reading(sensor, at + timedelta(seconds=10 * i), sensor.max + 4 + i)

    def _door_held_open(self, at: datetime) -> None:
        """Someone allowed through props the door open (``None`` if nobody is on shift)."""
        pairs = [
            (p, d)
            for p in self.site.people
            if p.credentials
            and (p.schedule is None or self.site.in_schedule(p.schedule, at))
            and at - self._last_badge.get(p.id, at - MIN_BADGE_GAP) >= MIN_BADGE_GAP
            for d in self._badged_doors
            if d.to_room not in self.site.policies.access.two_person.rooms
            and ("*" in p.zones or d.to_room in p.zones)
        ]
        if not pairs:
            return
        person, door = self._rng.choice(pairs)
        hold = self.site.held_open_limit(door.id).total_seconds() + 15
        self._passage(door, at, person, hold_s=hold)

    def _mount_knock(self, at: datetime) -> None:
        sensors = [s for s in self._sensors if s.type == "vibration" and s.max is not None]
        if sensors:
            sensor = self._rng.choice(sensors)
            self._reading(sensor, at, sensor.max * 2.5)

    def _glass_break(self, at: datetime) -> None:
        sensors = [s for s in self._sensors if s.type == "glass_break"]
        if sensors:
            self._reading(self._rng.choice(sensors), at, 1.0)
