"""Sensor health: a sensor that fell silent, is stuck on one value, or reads the impossible.

A dead or spoofed sensor is as dangerous as a cut wire: the room looks calm because nothing
reports. (The tamper contact has its own rule, ``sensor_tamper``.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from artguard.events import Alert, EventBase, SensorReading, Severity
from artguard.sensors.alerts import room_name, sensor_alert, unit
from artguard.sensors.stats import RunningStats
from artguard.site import Sensor, Site

PHYSICAL_RANGE: dict[str, tuple[float, float]] = {
    "temperature": (-40.0, 85.0),
    "humidity": (0.0, 100.0),
    "vibration": (0.0, math.inf),
    "motion": (0.0, 1.0),
    "door_contact": (0.0, 1.0),
    "glass_break": (0.0, 1.0),
    "passage_counter": (0.0, math.inf),
}
"""Readings outside these cannot be real (indoors, or by the sensor's own scale)."""


class ImpossibleValueRule:
    """A reading no working sensor of its type can give: a fault or a spoofed device."""

    name = "sensor_impossible_value"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._sensors = {s.id: s for s in site.sensors}
        self._bad: set[str] = set()

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, SensorReading):
            return []
        sensor = self._sensors.get(event.device_id)
        if sensor is None:
            return []
        low, high = PHYSICAL_RANGE[sensor.type]
        if low <= event.value <= high:
            self._bad.discard(sensor.id)
            return []
        if sensor.id in self._bad:
            return []
        self._bad.add(sensor.id)
        u = unit(sensor)
        span = f"{low:g}..{high:g}" if math.isfinite(high) else f">= {low:g}"
        return [
            sensor_alert(
                sensor,
                at=event.site_time,
                rule=self.name,
                severity=Severity.medium,
                title=f"Sensor {sensor.id} reports an impossible value",
                reasons=[
                    f"{sensor.type} sensor {sensor.id} in {room_name(self._site, sensor)} read "
                    f"{event.value:g}{u}; a working {sensor.type} sensor reads {span}",
                    "the sensor is faulty or its messages are not genuine",
                ],
                evidence={"value": event.value, "low": low, "high": high},
                dedup_key=f"{self.name}:{sensor.id}",
                source_event_ids=[event.id],
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


STUCK_TYPES = frozenset({"temperature", "humidity", "vibration"})
"""Continuous quantities: a real one never holds exactly still for long."""
STUCK_MIN_DURATION = timedelta(hours=1)
STUCK_MIN_READINGS = 30
STUCK_LONGEST_RUN_FACTOR = 10
"""Stuck = the same value for longer than 10x the longest run this sensor has shown before."""
STUCK_MIN_CHANGES = 20
"""Only a sensor seen changing at least this often is judged (a coarse sensor may sit still)."""


@dataclass
class _Run:
    value: float
    since: datetime
    readings: int = 1
    changes: int = 0
    longest: int = 1
    alerted: bool = False


class StuckValueRule:
    """A temperature, humidity or vibration sensor repeating exactly one value far too long."""

    name = "sensor_stuck"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._sensors = {s.id: s for s in site.sensors}
        self._runs: dict[str, _Run] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, SensorReading):
            return []
        sensor = self._sensors.get(event.device_id)
        if sensor is None or sensor.type not in STUCK_TYPES:
            return []
        run = self._runs.get(sensor.id)
        if run is None:
            self._runs[sensor.id] = _Run(event.value, event.site_time)
            return []
        if event.value != run.value:
            run.longest = max(run.longest, run.readings)
            run.value, run.since, run.readings = event.value, event.site_time, 1
            run.changes += 1
            run.alerted = False
            return []
        run.readings += 1
        stuck = (
            run.changes >= STUCK_MIN_CHANGES
            and run.readings >= max(STUCK_MIN_READINGS, STUCK_LONGEST_RUN_FACTOR * run.longest)
            and event.site_time - run.since >= STUCK_MIN_DURATION
        )
        if not stuck or run.alerted:
            return []
        run.alerted = True
        return [self._alert(sensor, event, run)]

    def _alert(self, sensor: Sensor, event: SensorReading, run: _Run) -> Alert:
        minutes = (event.site_time - run.since).total_seconds() / 60
        return sensor_alert(
            sensor,
            at=event.site_time,
            rule=self.name,
            severity=Severity.medium,
            title=f"Sensor {sensor.id} is stuck",
            reasons=[
                f"{sensor.id} in {room_name(self._site, sensor)} has read exactly "
                f"{run.value:g}{unit(sensor)} {run.readings} times over {minutes:.0f} minutes",
                f"before, it never repeated a value more than {run.longest} times in a row",
            ],
            evidence={
                "value": run.value,
                "readings": run.readings,
                "minutes": round(minutes, 1),
                "longest_run_before": run.longest,
            },
            dedup_key=f"{self.name}:{sensor.id}",
            source_event_ids=[event.id],
            first_event_time=run.since,
        )

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


SILENT_MIN_INTERVALS = 5
"""Intervals a sensor must have shown before its silence is judged."""
SILENT_FACTOR = 5.0
SILENT_MIN = timedelta(seconds=60)


@dataclass
class _Heartbeat:
    last: datetime
    last_event: str
    interval: RunningStats
    alerted: bool = False


class SilentSensorRule:
    """A sensor that stopped reporting: silent for 5x its learned reporting interval.

    The interval is learned per sensor (a running mean and spread of the gaps between its
    readings); the allowance is the larger of 5x the mean gap, the mean plus 6 spreads and
    one minute, so an irregular, event-driven sensor gets a wider allowance.
    """

    name = "sensor_silent"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site) -> None:
        self._site = site
        # A passage counter reports when people pass, so it is quiet whenever nobody does;
        # its silence is judged against the grants at its door (rules.tailgating) instead.
        self._sensors = {s.id: s for s in site.sensors if s.type != "passage_counter"}
        self._beats: dict[str, _Heartbeat] = {}
        self._next_check: datetime | None = None
        """No sensor can go silent before this (None: check at the next tick). Ticks come every
        second; scanning every sensor each time was most of a simulated day's rule cost."""

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, SensorReading) or event.device_id not in self._sensors:
            return []
        beat = self._beats.get(event.device_id)
        if beat is None:
            self._beats[event.device_id] = _Heartbeat(event.site_time, event.id, RunningStats(0.05))
            return []
        gap = (event.site_time - beat.last).total_seconds()
        allowance = self.allowance(event.device_id)
        if gap > 0 and (allowance is None or gap <= allowance.total_seconds()):
            beat.interval.add(gap)  # an outage is not the sensor's normal cadence
        if event.site_time >= beat.last:
            beat.last, beat.last_event = event.site_time, event.id
        beat.alerted = False
        allowance = self.allowance(event.device_id)
        if allowance is not None:
            due = beat.last + allowance
            if self._next_check is not None and due < self._next_check:
                self._next_check = due
        return []

    def allowance(self, sensor_id: str) -> timedelta | None:
        """How long this sensor may stay quiet, or None while its interval is not learned."""
        beat = self._beats.get(sensor_id)
        if beat is None or beat.interval.count < SILENT_MIN_INTERVALS:
            return None
        stats = beat.interval
        seconds = max(SILENT_FACTOR * stats.mean, stats.mean + 6 * stats.std)
        return max(timedelta(seconds=seconds), SILENT_MIN)

    def on_tick(self, now: datetime) -> list[Alert]:
        if self._next_check is not None and now <= self._next_check:
            return []
        alerts = []
        earliest: datetime | None = None
        for sensor_id, beat in self._beats.items():
            allowance = self.allowance(sensor_id)
            if beat.alerted or allowance is None:
                continue
            if now - beat.last <= allowance:
                due = beat.last + allowance
                earliest = due if earliest is None else min(earliest, due)
                continue
            beat.alerted = True
            sensor = self._sensors[sensor_id]
            quiet = (now - beat.last).total_seconds()
            alerts.append(
                sensor_alert(
                    sensor,
                    at=now,
                    rule=self.name,
                    severity=Severity.medium,
                    title=f"Sensor {sensor.id} has gone silent",
                    reasons=[
                        f"{sensor.type} sensor {sensor.id} in {room_name(self._site, sensor)} "
                        f"last reported {quiet:.0f} s ago; it usually reports every "
                        f"{beat.interval.mean:.0f} s (allowed {allowance.total_seconds():.0f} s)",
                    ],
                    evidence={
                        "silent_seconds": round(quiet, 1),
                        "usual_interval_seconds": round(beat.interval.mean, 2),
                        "allowed_seconds": allowance.total_seconds(),
                    },
                    dedup_key=f"{self.name}:{sensor.id}",
                    source_event_ids=[beat.last_event],
                    first_event_time=beat.last,
                )
            )
        self._next_check = earliest
        return alerts
