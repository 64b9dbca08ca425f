"""Weeks of plausible badge history for a site, with optional injected anomalies.

Used to give the demo a learned access baseline from the first minute, and by
``bench/access_anomalies.py`` and the tests to measure the anomaly detectors: precision and
recall on injected anomalies, and false alerts per 1,000 normal events.

Each person gets habits: a few doors they use (drawn from those into their zones, some much
more than others) and two or three usual times within their shift (arrival, after lunch,
late round), each with about 20 minutes of spread. Every day their schedule is on, they badge
at those times (each with some probability) at one of their doors, presenting the factors the
room needs. Anomalies are written on top, each labelled with the anomaly kind it should raise.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from artguard.access.request import AccessRequest
from artguard.site import Door, Person, Site
from artguard.site.entities import OUTSIDE
from artguard.site.people import ALL_ROOMS

ANOMALY_KINDS = ("hour", "new_door", "travel", "clone", "denial_burst", "after_hours_storage")


@dataclass(frozen=True)
class HistoryEvent:
    request: AccessRequest
    anomaly: str | None = None
    """The ``anomaly.<kind>`` this request was written to raise; None for normal behaviour."""
    injected: bool = False
    """Part of an injected scenario (e.g. the genuine badge before a cloned one), not normal."""


@dataclass
class Habits:
    person: Person
    doors: list[Door]
    weights: list[float]
    times: list[time]


class HistoryGenerator:
    """Deterministic for a seed."""

    def __init__(self, site: Site, seed: int = 1) -> None:
        self.site = site
        self.rng = random.Random(seed)
        self.habits = [h for p in site.people if (h := self._habits(p)) is not None]
        self._new_doors: set[tuple[str, str]] = set()

    def _doors_for(self, person: Person) -> list[Door]:
        return [
            d
            for d in self.site.doors
            if d.readers
            and d.to_room != OUTSIDE
            and (ALL_ROOMS in person.zones or d.to_room in person.zones)
            and d.to_room not in self.site.policies.access.two_person.rooms
        ]

    def _habits(self, person: Person) -> Habits | None:
        doors = self._doors_for(person)
        if not doors or not person.credentials or person.schedule is None:
            return None
        self.rng.shuffle(doors)
        usual = doors[: self.rng.randint(2, min(4, len(doors)))] if len(doors) > 1 else doors
        weights = [1.0 / (i + 1) ** 1.2 for i in range(len(usual))]
        schedule = self.site.schedule(person.schedule)
        window = schedule.windows[0]
        start = datetime.combine(date(2026, 1, 5), window.start)
        end = datetime.combine(date(2026, 1, 5), window.end)
        if end <= start:
            end += timedelta(days=1)
        span = (end - start).total_seconds()
        offsets = [0.02, 0.45, 0.8][: self.rng.randint(2, 3)]
        times = [(start + timedelta(seconds=span * f + 600)).time() for f in offsets]
        return Habits(person, usual, weights, times)

    def _factors(self, person: Person, door: Door) -> list[str]:
        level = self.site.room(door.to_room).security_level
        held = {c.type for c in person.credentials}
        needed = self.site.policies.access.required_factors(level)
        return [f for f in needed if f in held] or ["card"]

    def _request(self, person: Person, door: Door, at: datetime) -> AccessRequest:
        return AccessRequest.make(
            person.credentials[0].id, self.rng.choice(door.readers), at, self._factors(person, door)
        )

    def normal(self, start: date, days: int) -> Iterator[HistoryEvent]:
        """Every habitual badge of ``days`` days from ``start``, in time order."""
        events = []
        for day in range(days):
            current = start + timedelta(days=day)
            for h in self.habits:
                for usual in h.times:
                    if self.rng.random() > 0.85:
                        continue
                    moment = datetime.combine(current, usual, tzinfo=self.site.tz)
                    at = moment + timedelta(minutes=self.rng.gauss(0, 20))
                    schedule = h.person.schedule
                    if schedule is not None and not self.site.in_schedule(schedule, at):
                        continue
                    door = self.rng.choices(h.doors, h.weights)[0]
                    events.append(HistoryEvent(self._request(h.person, door, at)))
        events.sort(key=lambda e: e.request.at)
        yield from events

    def grants(self, start: date, days: int) -> Iterator[tuple[str, str, datetime]]:
        """``(person, door, time)`` of the normal history: what a baseline learns from."""
        for event in self.normal(start, days):
            door = self.site.door_for_reader(event.request.reader_id)
            person = self.site.credential_holder(event.request.credential_id)
            if door is not None and person is not None:
                yield person.id, door.id, event.request.at

    def with_anomalies(self, start: date, days: int, per_kind: int) -> list[HistoryEvent]:
        """Normal history plus ``per_kind`` anomalies of each kind, spread over the days."""
        events = list(self.normal(start, days))
        normal_times = [e.request.at for e in events]
        for kind in ANOMALY_KINDS:
            for _ in range(per_kind):
                at = self.rng.choice(normal_times[len(normal_times) // 3 :])
                scenario = getattr(self, f"_inject_{kind}")(at)
                # each scenario at its own random offset, so two never coincide
                shift = timedelta(seconds=self.rng.uniform(0, 1800))
                events.extend(
                    replace(e, request=replace(e.request, at=e.request.at + shift))
                    for e in scenario
                )
        events.sort(key=lambda e: e.request.at)
        return events

    # -- anomalies -------------------------------------------------------------------------

    def _on_shift(self, h: Habits, around: datetime) -> datetime:
        """The person's first usual time on the first day from ``around`` they work."""
        for days in range(8):
            day = around.date() + timedelta(days=days)
            moment = datetime.combine(day, h.times[0], tzinfo=self.site.tz)
            if self.site.in_schedule(h.person.schedule or "", moment):
                return moment
        return datetime.combine(around.date(), h.times[0], tzinfo=self.site.tz)

    def _pick(self) -> Habits:
        return self.rng.choice(self.habits)

    def _inject_hour(self, around: datetime) -> list[HistoryEvent]:
        """Inside the person's schedule, but hours away from any of their usual times."""
        for _ in range(50):
            h = self._pick()
            day = around.date()
            for hour in self.rng.sample(range(24), 24):
                at = datetime.combine(day, time(hour, self.rng.randrange(60)), tzinfo=self.site.tz)
                far = all(
                    abs((at - datetime.combine(day, t, tzinfo=self.site.tz)).total_seconds())
                    > 3 * 3600
                    for t in h.times
                )
                if far and self.site.in_schedule(h.person.schedule or "", at):
                    door = h.doors[0]
                    return [HistoryEvent(self._request(h.person, door, at), "hour", True)]
        return []

    def _inject_new_door(self, around: datetime) -> list[HistoryEvent]:
        for _ in range(50):
            h = self._pick()
            others = [
                d
                for d in self._doors_for(h.person)
                if d not in h.doors and (h.person.id, d.id) not in self._new_doors
            ]
            if others:
                moment = self._on_shift(h, around)
                door = self.rng.choice(others)
                self._new_doors.add((h.person.id, door.id))  # once used, it is not new
                return [HistoryEvent(self._request(h.person, door, moment), "new_door", True)]
        return []

    def _inject_travel(self, around: datetime) -> list[HistoryEvent]:
        """The genuine badge, then a copy of the card at a far door seconds later."""
        h = self._pick()
        moment = self._on_shift(h, around)
        genuine = self._request(h.person, h.doors[0], moment)
        first = self.site.door_for_reader(genuine.reader_id)
        assert first is not None
        far = max(
            self._doors_for(h.person) or h.doors,
            key=lambda d: _distance(self.site, first, d),
        )
        copy = AccessRequest.make(
            genuine.credential_id,
            far.readers[0],
            moment + timedelta(seconds=3),
            self._factors(h.person, far),
        )
        return [HistoryEvent(genuine, injected=True), HistoryEvent(copy, "travel", True)]

    def _inject_clone(self, around: datetime) -> list[HistoryEvent]:
        """The holder is in a room whose exits are badged; their card turns up elsewhere."""
        inner = [d for d in self.site.doors if d.exit_readers]
        allowed = [
            (h, d)
            for h in self.habits
            for d in inner
            if ALL_ROOMS in h.person.zones or d.to_room in h.person.zones
        ]
        if not allowed:
            return []
        openers = [(h, d) for h, d in allowed if self._may_open(h.person, d)]
        h, door = self.rng.choice(openers or allowed)
        moment = self._on_shift(h, around)
        entry = self._request(h.person, door, moment)
        scenario = [HistoryEvent(entry, injected=True)]
        partners = [p for p, d in allowed if d is door and p is not h]
        paired = door.to_room in self.site.policies.access.two_person.rooms
        partner = self.rng.choice(partners) if paired and partners else None
        if partner is not None:  # a two-person room: a colleague badges in just after
            second = self._request(partner.person, door, moment + timedelta(seconds=4))
            scenario.append(HistoryEvent(second, injected=True))
        other = next(d for d in h.doors if door.to_room not in (d.from_room, d.to_room))
        later = moment + timedelta(minutes=10)
        copy = AccessRequest.make(
            entry.credential_id, other.readers[0], later, self._factors(h.person, other)
        )
        scenario.append(HistoryEvent(copy, "clone", True))
        for person in (h, partner):
            if person is not None:
                leave = AccessRequest.make(
                    person.person.credentials[0].id,
                    door.exit_readers[0],
                    moment + timedelta(minutes=12),
                )
                scenario.append(HistoryEvent(leave, injected=True))
        return scenario

    def _may_open(self, person: Person, door: Door) -> bool:
        """Whether the person may be first into the door's room (first-person-in)."""
        return all(
            person.role in rule.supervisor_roles
            for rule in self.site.policies.access.first_person_in
            if door.to_room in rule.rooms
        )

    def _inject_denial_burst(self, around: datetime) -> list[HistoryEvent]:
        door = self.rng.choice([d for d in self.site.doors if d.readers])
        reader = door.readers[0]
        tries = [
            HistoryEvent(
                AccessRequest.make(
                    f"card-x{self.rng.randrange(10**6)}", reader, around + timedelta(seconds=8 * i)
                ),
                injected=True,
            )
            for i in range(6)
        ]
        # the burst is the attempts; the one the detector must flag is the next one there
        probe = AccessRequest.make(
            f"card-x{self.rng.randrange(10**6)}", reader, around + timedelta(seconds=50)
        )
        return [*tries, HistoryEvent(probe, "denial_burst", True)]

    def _inject_after_hours_storage(self, around: datetime) -> list[HistoryEvent]:
        staff_rooms = {r.id for r in self.site.rooms if not r.public and r.security_level >= 3}
        at_three = datetime.combine(around.date(), time(3, 0), tzinfo=self.site.tz)
        candidates = [
            (h, d)
            for h in self.habits
            if not self.site.in_schedule(h.person.schedule or "", at_three)  # not night staff
            for d in self._doors_for(h.person)
            if d.to_room in staff_rooms
        ]
        if not candidates:
            return []
        h, door = self.rng.choice(candidates)
        at = datetime.combine(around.date(), time(3, self.rng.randrange(60)), tzinfo=self.site.tz)
        return [HistoryEvent(self._request(h.person, door, at), "after_hours_storage", True)]


def _distance(site: Site, a: Door, b: Door) -> float:
    from artguard.access.floorplan import FloorPlan

    return FloorPlan(site).minimum_seconds(a.id, b.id)
