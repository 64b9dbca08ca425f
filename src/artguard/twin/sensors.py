"""Every sensor of the site, with day/night baselines and noise, cheap enough for days.

Each sensor reports on its own cadence (``PERIOD`` for the climate, motion and vibration
sensors; ``SUPERVISION_PERIOD`` for glass-break detectors, door contacts and passage
counters, whose heartbeats only prove they are alive), with a random phase so the site's
readings do not arrive in bursts. What they read:

* **temperature / humidity**: the middle of the sensor's ``min``/``max`` (20 C / 50 %RH without
  limits) plus a daily swing (warmest mid-afternoon, driest then), noise, and now and then an
  HVAC swing (a nuisance, recorded with ``attack=False``), all kept well inside the limits;
* **motion (PIR)**: whether anyone was in its room since its last report (``world.presence``
  and the ``"move"`` signal), reported at once when someone walks into an empty room (at most
  every ``PIR_HOLDOFF``) and at every heartbeat, with a rare false trigger;
* **vibration**: small noise on a mount, a little more while its room is open and people are
  in it, never repeating exactly (the stuck-sensor rule watches for that);
* **glass-break**: silent (0) heartbeats; **door contacts**: 1 open / 0 closed heartbeats
  (their open/close events are :mod:`artguard.twin.doors`'); **passage counters**: their
  running total (cumulative) or 0 (per passage) as heartbeat, so the first person counted is
  counted.

Scenarios change what a sensor reports with :func:`disturb` (a drift, a cut cable, a stuck
value, an opened tamper contact); the sensors read the disturbances at every report, so the
order in which scenarios and behaviours are installed does not matter.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from artguard.events import SensorReading
from artguard.site import Sensor, Site
from artguard.twin import doors
from artguard.twin.truth import GroundTruth
from artguard.twin.world import World

PERIOD = timedelta(seconds=60)
SUPERVISION_PERIOD = timedelta(seconds=300)
PIR_HOLDOFF = timedelta(seconds=20)
"""A PIR reports a new detection at most this often (its retrigger time)."""
PIR_FALSE_TRIGGER = 2e-4
"""Chance a heartbeat of an empty room reads motion anyway (insects, a heater cycling)."""
VIBRATION_FLOOR = 0.04
VIBRATION_OPEN = 0.01
VIBRATION_PER_VISITOR = 0.002
VIBRATION_SPREAD = 0.01
"""A mount's reading as a share of its ``max``: the floor at night, what opening hours and each
visitor nearby (up to 5) add, and the spread."""
HVAC_CHANCE = 0.3
"""Chance per room and day of an HVAC swing."""
COUNTER_QUIET_S = 30.0
"""A passage counter skips a heartbeat this close to a count (a driver delivering in batches
could otherwise hand the rules the heartbeat first, and a counter ignores older readings)."""
STATE_KEY = "twin.sensors"
DISTURBANCES = "twin.sensors.disturbances"

DisturbanceKind = Literal["offset", "silent", "stuck", "tamper"]


@dataclass(frozen=True)
class Disturbance:
    """Something done to one sensor over ``[start, end)`` (``end`` None: until the twin stops).

    ``offset``: ``offset(at)`` is added to what it would read; ``silent``: it sends nothing;
    ``stuck``: it repeats the value it read when the disturbance began; ``tamper``: its
    tamper contact is open (every reading says so)."""

    sensor_id: str
    start: datetime
    kind: DisturbanceKind
    end: datetime | None = None
    offset: Callable[[datetime], float] | None = None

    def active(self, at: datetime) -> bool:
        return self.start <= at and (self.end is None or at < self.end)


def disturb(world: World, disturbance: Disturbance) -> None:
    """Apply ``disturbance`` to its sensor (see :class:`Disturbance`)."""
    world.site.sensor(disturbance.sensor_id)  # a clear KeyError for an unknown sensor
    world.state.setdefault(DISTURBANCES, []).append(disturbance)


def poke(world: World, sensor_id: str, at: datetime) -> None:
    """Make the sensor report at ``at`` as well as on its cadence (a tamper contact opening is
    reported at once, not at the next heartbeat)."""
    field = world.state.get(STATE_KEY)
    if not isinstance(field, SensorField):
        return
    sensor = world.site.sensor(sensor_id)

    def report(when: datetime) -> None:
        value = field.value(sensor, when)
        if value is not None:
            field.report(sensor, when, value)

    world.at(at, report)


def diurnal(site: Site, at: datetime) -> float:
    """-1 at 04:00 site time, +1 at 16:00: the shape of a building's daily swing."""
    local = at.astimezone(site.tz)
    hours = local.hour + local.minute / 60 + local.second / 3600
    return math.sin((hours - 10) / 24 * 2 * math.pi)


def climate_band(sensor: Sensor) -> tuple[float, float]:
    """(middle, half-width) a climate sensor is kept in: its limits, or a typical band."""
    default = (20.0, 4.0) if sensor.type == "temperature" else (50.0, 10.0)
    if sensor.min is not None and sensor.max is not None:
        return (sensor.min + sensor.max) / 2, (sensor.max - sensor.min) / 2
    if sensor.max is not None:
        return sensor.max - default[1], default[1]
    if sensor.min is not None:
        return sensor.min + default[1], default[1]
    return default


@dataclass
class _Motion:
    seen: bool = False
    last_report: datetime | None = None


@dataclass
class SensorField:
    """The sensors of one world and what they have reported."""

    world: World
    end: datetime
    readings: dict[str, int] = field(default_factory=dict)
    _motion: dict[str, _Motion] = field(default_factory=dict)
    _pir_by_room: dict[str, list[Sensor]] = field(default_factory=dict)
    _stuck: dict[tuple[str, datetime], float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for sensor in self.world.site.sensors:
            if sensor.type == "motion":
                self._pir_by_room.setdefault(sensor.room, []).append(sensor)
                self._motion[sensor.id] = _Motion()

    # -- scheduling -----------------------------------------------------------------------------

    def start(self, at: datetime) -> None:
        for sensor in self.world.site.sensors:
            period = self.period(sensor)
            phase = self.world.rng(f"sensors:phase:{sensor.id}").uniform(0, period.total_seconds())
            first = at + timedelta(seconds=phase)
            self.world.at(first, lambda when, s=sensor: self._beat(s, when))

    @staticmethod
    def period(sensor: Sensor) -> timedelta:
        if sensor.type in ("glass_break", "door_contact", "passage_counter"):
            return SUPERVISION_PERIOD
        return PERIOD

    def _beat(self, sensor: Sensor, at: datetime) -> None:
        if at >= self.end:
            return
        value = self.value(sensor, at)
        if value is not None:
            self.report(sensor, at, value)
        jitter = self.world.rng(f"sensors:jitter:{sensor.id}").uniform(-0.5, 0.5)
        later = at + self.period(sensor) + timedelta(seconds=jitter)
        self.world.at(later, lambda when: self._beat(sensor, when))

    def report(self, sensor: Sensor, at: datetime, value: float) -> None:
        """Send one reading, as disturbed by any scenario."""
        tamper = False
        for d in self.world.state.get(DISTURBANCES, ()):
            if d.sensor_id != sensor.id or not d.active(at):
                continue
            if d.kind == "silent":
                return
            if d.kind == "tamper":
                tamper = True
            elif d.kind == "stuck":
                value = self._stuck.setdefault((sensor.id, d.start), value)
            elif d.kind == "offset" and d.offset is not None:
                value += d.offset(at)
        self.readings[sensor.type] = self.readings.get(sensor.type, 0) + 1
        self.world.emit(
            SensorReading(
                device_id=sensor.id, site_time=at, value=value, unit=sensor.unit, tamper=tamper
            )
        )

    # -- what each type reads --------------------------------------------------------------------

    def value(self, sensor: Sensor, at: datetime) -> float | None:
        rng = self.world.rng(f"sensors:{sensor.id}")
        site = self.world.site
        if sensor.type in ("temperature", "humidity"):
            middle, half = climate_band(sensor)
            swing = 0.25 * diurnal(site, at) * (1 if sensor.type == "temperature" else -1)
            noise = rng.gauss(0, 0.02)
            digits = 2 if sensor.type == "temperature" else 1
            return round(middle + half * (swing + noise), digits)
        if sensor.type == "motion":
            state = self._motion[sensor.id]
            moving = state.seen or self.world.presence.count(sensor.room) > 0
            moving = moving or rng.random() < PIR_FALSE_TRIGGER
            state.seen = False
            state.last_report = at
            return 1.0 if moving else 0.0
        if sensor.type == "vibration":
            # a mount's noise floor, a little higher while visitors walk past: Gaussian around
            # the floor (no heavy tail), so the streaming detector learns a tight normal
            scale = sensor.max if sensor.max is not None else 0.05
            floor = VIBRATION_FLOOR
            if site.is_open_to_public(sensor.room, at):
                floor += VIBRATION_OPEN + VIBRATION_PER_VISITOR * min(
                    self.world.presence.count(sensor.room), 5
                )
            return round(max(rng.gauss(floor, VIBRATION_SPREAD), 0.0) * scale, 6)
        if sensor.type == "glass_break":
            return 0.0
        if sensor.type == "door_contact":
            door = site.door_for_contact(sensor.id)
            return 1.0 if door is not None and doors.traffic(self.world).is_open(door.id) else 0.0
        if sensor.type == "passage_counter":
            counted = doors.traffic(self.world).last_counted.get(sensor.id)
            if counted is not None and abs((at - counted).total_seconds()) < COUNTER_QUIET_S:
                return None  # it just reported a count: no heartbeat to overtake it
            if (sensor.counting or "cumulative") == "per_passage":
                return 0.0
            return float(doors.traffic(self.world).total(sensor))
        return None

    # -- motion reacts to people at once ---------------------------------------------------------

    def on_move(self, at: datetime, *, dst: str, **_: object) -> None:
        for sensor in self._pir_by_room.get(dst, ()):
            state = self._motion[sensor.id]
            state.seen = True
            quiet = state.last_report is None or at - state.last_report >= PIR_HOLDOFF
            if quiet and at < self.end:
                state.last_report = at
                self.report(sensor, at, 1.0)


def _plan_hvac(world: World, start: datetime, end: datetime) -> None:
    """HVAC swings: a room's plant overshoots for under an hour, inside the limits."""
    site = world.site
    rng = world.rng("sensors:hvac")
    rooms: dict[str, list[Sensor]] = {}
    for sensor in site.sensors:
        if sensor.type in ("temperature", "humidity"):
            rooms.setdefault(sensor.room, []).append(sensor)
    day = start
    while day < end:
        for room, sensors in sorted(rooms.items()):
            if rng.random() >= HVAC_CHANCE:
                continue
            begin = day + timedelta(hours=rng.uniform(0, 24))
            minutes = rng.uniform(30, 70)
            finish = begin + timedelta(minutes=minutes)
            if begin >= end:
                continue
            sign = rng.choice((-1.0, 1.0))
            for sensor in sensors:
                _, half = climate_band(sensor)
                way = sign if sensor.type == "temperature" else -sign
                height = 0.15 * half * way
                disturb(
                    world,
                    Disturbance(
                        sensor.id,
                        begin,
                        "offset",
                        end=finish,
                        offset=_bump(begin, finish, height),
                    ),
                )
            world.record(
                GroundTruth(
                    scenario="hvac_swing",
                    start=begin,
                    rooms=(room,),
                    patterns=("environmental_risk",),
                    window=finish - begin,
                    description=f"HVAC swing in {site.room(room).name} for {minutes:.0f} min, "
                    "inside the conservation limits",
                    attack=False,
                )
            )
        day += timedelta(days=1)


def _bump(begin: datetime, finish: datetime, height: float) -> Callable[[datetime], float]:
    span = (finish - begin).total_seconds()

    def offset(at: datetime) -> float:
        return height * math.sin(math.pi * (at - begin).total_seconds() / span)

    return offset


def install(world: World, start: datetime, end: datetime, *, nuisances: bool = True) -> SensorField:
    """Every sensor of the site reporting over ``[start, end)``; ``nuisances``: HVAC swings.
    Installs the doors too (door contacts and counters report their state)."""
    if end <= start:
        raise ValueError(f"sensors: end {end} must be after start {start}")
    doors.install(world)
    sensors = SensorField(world, end)
    world.state[STATE_KEY] = sensors
    world.on("move", sensors.on_move)
    sensors.start(start)
    if nuisances:
        _plan_hvac(world, start, end)
    return sensors
