"""Doors of the twin: contacts that open and close as people pass, and passage counters.

Whoever moves a person between rooms raises the world's ``"move"`` signal with the ``door``
passed (or None for an opening without a door); :class:`DoorTraffic` turns that into what the
door's devices report, as a real door would:

* the contact (``DoorState``) opens when the first person passes and closes ``hold`` seconds
  after the last one (people passing close together keep it open: one opening, not one per
  person, so a busy public door costs a few events a minute, not thousands);
* leaving through the side without a reader is a *request to exit* (the push bar or exit
  button unlocks the strike): the contact reports ``locked=False`` on opening and
  ``locked=True`` on closing, which the door-forced rule reads as "unlocked", as it does a
  real panel's REX report;
* an entry on the reader side is explained by the grant that preceded it (the mover badged
  first); an ``"intruder"`` or a move marked ``forced=True`` opens the door with no grant and
  no REX, so the door-forced rule sees what it would see at a forced door;
* ``passage_counter`` sensors fitted to the door count each person walking into its
  ``to_room`` a second after they pass (a running total, or 1 per person, per the sensor's
  ``counting``).

The other behaviours and the scenarios use :func:`open_door` and :func:`count_passage` to
script a door directly (a door held for a wheelchair, a door forced at night).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from artguard.events import DoorState, SensorReading
from artguard.rules.doors import is_free_passage
from artguard.site import Door, Sensor, Site
from artguard.site.entities import OUTSIDE
from artguard.twin.world import World

PASSAGE_HOLD_S = 4.0
"""A door stays open this long after the last person through it (a door closer's pace)."""
COUNT_DELAY = timedelta(seconds=1)
"""A counter reports a person this long after they pass under it."""
STATE_KEY = "twin.doors"
"""Where :func:`install` keeps the :class:`DoorTraffic` in ``world.state``."""


def contact_id(door: Door) -> str:
    """The device that reports the door's contact: its contact sensor, else the door."""
    return door.contact or door.id


def enters(door: Door, dst: str) -> bool:
    """Whether moving into ``dst`` through ``door`` goes the reader's way (into to_room)."""
    return dst == door.to_room


def needs_badge(site: Site, door: Door, dst: str, at: datetime) -> bool:
    """Whether passing ``door`` into ``dst`` at ``at`` needs a badge: the reader's way, with a
    reader, unless the door is free passage between public rooms while they are open."""
    if is_free_passage(site, door, at):
        return False
    if enters(door, dst):
        return bool(door.readers)
    return bool(door.exit_readers)


def door_between(site: Site, a: str, b: str) -> Door | None:
    """The door joining rooms ``a`` and ``b`` (either may be ``outside``), or None for an open
    doorway."""
    for door in site.doors:
        if {door.from_room, door.to_room} == {a, b}:
            return door
    return None


@dataclass
class _Opening:
    closes: datetime
    rex: bool


@dataclass
class DoorTraffic:
    """The doors of one world: open contacts, counter totals, openings in progress."""

    world: World
    hold_s: float = PASSAGE_HOLD_S
    _open: dict[str, _Opening] = field(default_factory=dict)
    _totals: dict[str, int] = field(default_factory=dict)
    _counters: dict[str, list[Sensor]] = field(default_factory=dict)
    last_counted: dict[str, datetime] = field(default_factory=dict)
    """Counter id -> when it last counted someone."""
    openings: int = 0
    passages: int = 0

    def __post_init__(self) -> None:
        for sensor in self.world.site.sensors:
            if sensor.type == "passage_counter" and sensor.door is not None:
                self._counters.setdefault(sensor.door, []).append(sensor)

    def on_move(self, at: datetime, *, dst: str, door: str | None = None, **data: Any) -> None:
        """The ``"move"`` listener: someone passed ``door`` into ``dst``."""
        if door is None:
            return
        site = self.world.site
        passed = site.door(door)
        entering = enters(passed, dst)
        forced = bool(data.get("forced")) or (
            data.get("role") == "intruder" and entering and not data.get("granted")
        )
        rex = (
            not forced
            and not entering
            and not passed.exit_readers
            and not is_free_passage(site, passed, at)
        )
        self.hold(passed, at, self.hold_s, rex=rex)
        self.passages += 1
        if entering and passed.to_room != OUTSIDE:
            self.count(passed, at + COUNT_DELAY)

    def hold(self, door: Door, at: datetime, seconds: float, *, rex: bool = False) -> datetime:
        """Open ``door`` at ``at`` (if not open already) and keep it open at least ``seconds``;
        returns when it will close. ``rex``: opened by a request to exit (unlocked)."""
        closes = at + timedelta(seconds=seconds)
        opening = self._open.get(door.id)
        if opening is not None:
            opening.closes = max(opening.closes, closes)
            return opening.closes
        self._open[door.id] = _Opening(closes, rex)
        self.openings += 1
        self.world.emit(
            DoorState(
                device_id=contact_id(door),
                site_time=at,
                door_id=door.id,
                contact="open",
                locked=False if rex else None,
            )
        )
        self.world.signal("door", at, door=door.id, contact="open")
        self.world.at(closes, lambda when: self._maybe_close(door, when))
        return closes

    def is_open(self, door_id: str) -> bool:
        return door_id in self._open

    def count(self, door: Door, at: datetime, people: int = 1) -> None:
        """The door's passage counters count ``people`` walking into its to_room at ``at``."""
        for sensor in self._counters.get(door.id, ()):
            for i in range(people):
                when = at + timedelta(seconds=1.2 * i)
                self.last_counted[sensor.id] = when
                if (sensor.counting or "cumulative") == "per_passage":
                    value = 1
                else:
                    value = self.total(sensor) + 1
                    self._totals[sensor.id] = value
                self.world.emit(
                    SensorReading(
                        device_id=sensor.id, site_time=when, value=value, unit=sensor.unit
                    )
                )

    def total(self, sensor: Sensor) -> int:
        """A cumulative counter's running total (it starts where years of counting left it)."""
        if sensor.id not in self._totals:
            self._totals[sensor.id] = self.world.rng(f"doors:total:{sensor.id}").randrange(
                1000, 60000
            )
        return self._totals[sensor.id]

    def _maybe_close(self, door: Door, at: datetime) -> None:
        opening = self._open.get(door.id)
        if opening is None:
            return
        if opening.closes > at:  # someone passed meanwhile: close after them
            self.world.at(opening.closes, lambda when: self._maybe_close(door, when))
            return
        del self._open[door.id]
        self.world.emit(
            DoorState(
                device_id=contact_id(door),
                site_time=at,
                door_id=door.id,
                contact="closed",
                locked=True if opening.rex else None,
            )
        )
        self.world.signal("door", at, door=door.id, contact="closed")


def install(
    world: World, start: datetime | None = None, end: datetime | None = None
) -> DoorTraffic:
    """Make the world's doors follow its ``"move"`` signals (once per world; ``start`` and
    ``end`` are accepted so this has the shape of every behaviour, and ignored: doors only
    react). Returns the world's :class:`DoorTraffic`."""
    traffic = world.state.get(STATE_KEY)
    if traffic is None:
        traffic = DoorTraffic(world)
        world.state[STATE_KEY] = traffic
        world.on("move", traffic.on_move)
    assert isinstance(traffic, DoorTraffic)
    return traffic


def traffic(world: World) -> DoorTraffic:
    """The world's doors, installing them on first use."""
    return install(world)


def open_door(world: World, door: Door, at: datetime, hold_s: float, *, rex: bool = False) -> None:
    """Script a door: open at ``at``, closed ``hold_s`` seconds later (or after the last person
    through it, if later)."""
    traffic(world).hold(door, at, hold_s, rex=rex)


def count_passage(world: World, door: Door, at: datetime, people: int = 1) -> None:
    """Script the door's passage counters counting ``people`` into its to_room at ``at``."""
    traffic(world).count(door, at, people)
