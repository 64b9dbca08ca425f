"""Attacks on and through the sensors: tampering, and a slow humidity drift.

Both act through :func:`artguard.twin.sensors.disturb`, so they need the sensors behaviour
installed in the same world (any order).

==================  ==============================================  ==========================
scenario            caught by (``Alert.rule``)                      incident pattern
==================  ==============================================  ==========================
sensor_tampering    sensor_tamper (cover opened, then cut);         sensor_or_camera_sabotage
                    sensor_silent (cable cut); sensor_stuck
                    (a constant value replayed)
humidity_drift      sensor_threshold (humidity), climate_drift,     environmental_risk
                    conservation (rooms with conservation limits)
==================  ==============================================  ==========================
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from artguard.site import Sensor
from artguard.twin.scenarios.base import scenario
from artguard.twin.sensors import Disturbance, climate_band, disturb, poke
from artguard.twin.truth import GroundTruth
from artguard.twin.world import World

TAMPER_KINDS = ("tamper", "silent", "stuck")
DRIFT_PER_HOUR = 0.25
"""The drift's pace, as a share of the sensor's half-band per hour (10 %RH band half: 2.5 %RH
an hour): slow enough that no reading jumps, fast enough to leave the band in hours."""
DRIFT_BEYOND = 0.3
"""Where the drift settles: this share of the half-band outside the limit."""


def _pick(world: World, at: datetime, name: str, sensors: list[Sensor]) -> Sensor:
    rng = world.rng(f"scenario:{name}:{at.isoformat()}")
    return rng.choice(sorted(sensors, key=lambda s: s.id))


@scenario(
    "sensor_tampering",
    "A sensor's cover opened and its cable cut, a cable cut, or a constant value replayed",
)
def sensor_tampering(world: World, at: datetime) -> None:
    site = world.site
    rng = world.rng(f"scenario:sensor_tampering:{at.isoformat()}")
    kind = rng.choice(TAMPER_KINDS)
    types = {
        "tamper": ("motion", "vibration", "glass_break"),
        "silent": ("motion", "vibration", "temperature", "humidity"),
        "stuck": ("temperature", "humidity"),
    }[kind]
    sensors = [s for s in site.sensors if s.type in types]
    if not sensors:
        return
    sensor = _pick(world, at, "sensor_tampering", sensors)
    if kind == "tamper":
        cut = at + timedelta(seconds=rng.uniform(30, 90))
        disturb(world, Disturbance(sensor.id, at, "tamper", end=cut))
        poke(world, sensor.id, at)  # the tamper contact opening is reported at once
        disturb(world, Disturbance(sensor.id, cut, "silent", end=at + timedelta(hours=3)))
        rules, window = ("sensor_tamper",), timedelta(minutes=15)
        what = "its tamper contact opens, then it goes silent (cut)"
    elif kind == "silent":
        disturb(world, Disturbance(sensor.id, at, "silent", end=at + timedelta(hours=3)))
        rules, window = ("sensor_silent",), timedelta(minutes=30)
        what = "it goes silent (cable cut, no tamper contact)"
    else:
        disturb(world, Disturbance(sensor.id, at, "stuck", end=at + timedelta(hours=4)))
        rules, window = ("sensor_stuck",), timedelta(hours=2)
        what = "it repeats one value (a replayed or spoofed reading)"
    world.record(
        GroundTruth(
            scenario="sensor_tampering",
            start=at,
            rooms=(sensor.room,),
            patterns=("sensor_or_camera_sabotage",),
            rules=rules,
            artwork=sensor.artwork,
            window=window,
            description=f"{sensor.type} sensor {sensor.id}: {what}",
            details={"sensor": sensor.id, "kind": kind},
        )
    )


def _ramp(start: datetime, per_hour: float, cap: float) -> Callable[[datetime], float]:
    def offset(at: datetime) -> float:
        hours = (at - start).total_seconds() / 3600
        return min(per_hour * hours, cap) if cap >= 0 else max(per_hour * hours, cap)

    return offset


@scenario(
    "humidity_drift",
    "Relative humidity in a room creeps for hours until it leaves the conservation range",
)
def humidity_drift(world: World, at: datetime) -> None:
    site = world.site
    sensors = [s for s in site.sensors if s.type == "humidity"]
    if not sensors:
        return
    sensor = _pick(world, at, "humidity_drift", sensors)
    middle, half = climate_band(sensor)
    rng = world.rng(f"scenario:humidity_drift:{at.isoformat()}")
    up = rng.random() < 0.6  # a leak or failed dehumidifier; else a failing humidifier
    cap = (half * (1 + DRIFT_BEYOND)) * (1 if up else -1)
    per_hour = half * DRIFT_PER_HOUR * (1 if up else -1)
    hours = abs(cap / per_hour)
    end = at + timedelta(hours=hours + 3)
    disturb(world, Disturbance(sensor.id, at, "offset", end=end, offset=_ramp(at, per_hour, cap)))
    way = "up" if up else "down"
    world.record(
        GroundTruth(
            scenario="humidity_drift",
            start=at,
            rooms=(sensor.room,),
            patterns=("environmental_risk",),
            rules=("sensor_threshold", "climate_drift", "conservation"),
            window=timedelta(hours=hours + 1),
            description=f"{sensor.id} drifts {way} {abs(per_hour):.1f}{sensor.unit or ''} an "
            f"hour from {middle:g} to {middle + cap:g} (limits {sensor.min}..{sensor.max})",
            details={"sensor": sensor.id},
        )
    )
