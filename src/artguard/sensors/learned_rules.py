"""Rules judged against what each sensor has learned is normal, not against fixed limits.

* :class:`MotionWhenStillRule`: motion at an hour of the week when this room is normally still.
* :class:`VibrationUnusualRule`: a mount vibrating unlike its usual (the streaming detector).
* :class:`ClimateDriftRule`: temperature or humidity drifting away from this hour's normal.

All learn online from every reading, judge a reading before learning from it, and stay quiet
until they have learned enough (hours of history; see ``docs/sensors.md``).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from artguard.events import Alert, EventBase, SensorReading, Severity
from artguard.rules.base import SEVERITY_BY_SECURITY_LEVEL
from artguard.sensors.alerts import local_clock, room_name, sensor_alert, unit
from artguard.sensors.baseline import HourlyProfile, binomial_tail
from artguard.sensors.detector import StreamingDetector
from artguard.sensors.stats import RunningStats
from artguard.site import Sensor, Site

MOTION_WINDOW = timedelta(seconds=60)
"""Motion is judged over the sensor's readings of the last minute."""
MOTION_SURPRISE = 1e-6
"""Alert when seeing this much motion at the learned rate is less likely than this."""
MOTION_RATE_FLOOR = 0.002
"""A room never seen moving still gets this rate: one stray blip is not an alarm."""


def _readings(site: Site, types: set[str]) -> dict[str, Sensor]:
    return {s.id: s for s in site.sensors if s.type in types}


@dataclass
class _MotionState:
    profile: HourlyProfile
    window: deque[tuple[datetime, bool]] = field(default_factory=deque)
    alerted: bool = False


class MotionWhenStillRule:
    """Motion at a time this room is normally still (learned rate per hour of the week).

    The readings of the last minute are judged against the learned rate of motion at this hour
    (binomial chance of seeing that many); a public room during its opening hours is never
    judged (its schedule already says it is busy, even the first week).
    """

    name = "motion_unusual_time"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site, min_hours: int = 2) -> None:
        self._site = site
        self._sensors = _readings(site, {"motion"})
        self._state = {
            sid: _MotionState(HourlyProfile(site.tz, min_hours=min_hours)) for sid in self._sensors
        }

    def on_event(self, event: EventBase) -> list[Alert]:
        sensor = self._sensors.get(event.device_id)
        if sensor is None or not isinstance(event, SensorReading):
            return []
        state = self._state[sensor.id]
        moving = event.value >= 0.5
        window = state.window
        window.append((event.site_time, moving))
        while window and event.site_time - window[0][0] > MOTION_WINDOW:
            window.popleft()
        expected = state.profile.expected(event.site_time)
        state.profile.add(event.site_time, 1.0 if moving else 0.0)
        hits = sum(1 for _, seen in window if seen)
        if hits == 0:
            state.alerted = False
        if not moving or expected is None or state.alerted:
            return []
        room = self._site.room(sensor.room)
        if room.public and self._site.is_open_to_public(room.id, event.site_time):
            return []  # open to visitors: motion is what the room is for
        rate = max(expected.mean, MOTION_RATE_FLOOR)
        surprise = binomial_tail(hits, len(window), rate)
        if surprise >= MOTION_SURPRISE:
            return []
        state.alerted = True
        when = local_clock(self._site, event.site_time)
        return [
            sensor_alert(
                sensor,
                at=event.site_time,
                rule=self.name,
                severity=SEVERITY_BY_SECURITY_LEVEL[room.security_level],
                title=f"Motion in {room.name} at a normally still time",
                reasons=[
                    f"{sensor.id} saw motion in {hits} of its {len(window)} readings of the "
                    "last minute",
                    f"at {when} this room usually shows motion in {expected.mean:.1%} of "
                    f"readings (learned from {expected.hours} hours); chance of this much "
                    f"motion by accident: {surprise:.1e}",
                ],
                evidence={
                    "motion_readings": hits,
                    "readings": len(window),
                    "usual_rate": round(expected.mean, 5),
                    "learned_hours": expected.hours,
                    "basis": expected.basis,
                    "chance": surprise,
                },
                dedup_key=f"{self.name}:{sensor.id}",
                source_event_ids=[event.id],
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


VIBRATION_THRESHOLD = 0.9
"""Detector score (evidence >= 9 standard deviations) for a vibration alert."""
VIBRATION_WARMUP = 360
"""Readings a mount's detector learns before it may alert (an hour at one per 10 s)."""


class VibrationUnusualRule:
    """A mount vibrating unlike its usual: the streaming detector, upward excursions only."""

    name = "vibration_unusual"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site, threshold: float = VIBRATION_THRESHOLD) -> None:
        self._site = site
        self._sensors = _readings(site, {"vibration"})
        self._detectors = {sid: StreamingDetector() for sid in self._sensors}
        self._threshold = threshold

    def on_event(self, event: EventBase) -> list[Alert]:
        sensor = self._sensors.get(event.device_id)
        if sensor is None or not isinstance(event, SensorReading):
            return []
        detector = self._detectors[sensor.id]
        mean, std = detector.usual
        learned = detector.count >= VIBRATION_WARMUP
        score = detector.update(event.site_time.astimezone(self._site.tz), event.value)
        floor = 0.1 * sensor.max if sensor.max is not None else 0.0
        if not learned or score < self._threshold or event.value - mean <= floor:
            return []
        evidence = detector.last
        sigmas = (event.value - mean) / std if std > 0 else float("inf")
        u = unit(sensor)
        target = f"the mount of {sensor.artwork}" if sensor.artwork else sensor.id
        return [
            sensor_alert(
                sensor,
                at=event.site_time,
                rule=self.name,
                severity=Severity.high,
                title=f"Unusual vibration on {target} in {room_name(self._site, sensor)}",
                reasons=[
                    f"{sensor.id} read {event.value:g}{u}; its usual is {mean:.3g}{u} "
                    f"± {std:.2g}{u} ({sigmas:.0f} standard deviations above)",
                    f"anomaly score {score:.2f} (strongest sign: "
                    f"{evidence.strongest().replace('_', ' ') if evidence else 'level'})",
                ],
                evidence={
                    "value": event.value,
                    "usual_mean": round(mean, 6),
                    "usual_std": round(std, 6),
                    "score": round(score, 4),
                },
                dedup_key=f"{self.name}:{sensor.id}",
                source_event_ids=[event.id],
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


DRIFT_SIGMAS = 4.0
"""A drift is this many day-to-day standard deviations from the hour's normal ..."""
DRIFT_MIN_DELTA: dict[str, float] = {"temperature": 1.5, "humidity": 5.0}
"""... and at least this far (degrees C, %RH): the learned spread can be tiny."""
DRIFT_SMOOTHING = 0.05
"""Readings are smoothed (about the last 20) so one noisy reading is not a drift."""


@dataclass
class _DriftState:
    profile: HourlyProfile
    smooth: RunningStats = field(default_factory=lambda: RunningStats(DRIFT_SMOOTHING))
    direction: str | None = None


class ClimateDriftRule:
    """Temperature or humidity drifting away from what this room reads at this hour."""

    name = "climate_drift"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site, min_hours: int = 2) -> None:
        self._site = site
        self._sensors = _readings(site, set(DRIFT_MIN_DELTA))
        self._state = {
            sid: _DriftState(HourlyProfile(site.tz, min_hours=min_hours)) for sid in self._sensors
        }

    def on_event(self, event: EventBase) -> list[Alert]:
        sensor = self._sensors.get(event.device_id)
        if sensor is None or not isinstance(event, SensorReading):
            return []
        state = self._state[sensor.id]
        state.smooth.add(event.value)
        expected = state.profile.expected(event.site_time)
        state.profile.add(event.site_time, event.value)
        if expected is None or state.smooth.count < 1 / DRIFT_SMOOTHING:
            return []
        limit = max(DRIFT_SIGMAS * expected.spread, DRIFT_MIN_DELTA[sensor.type])
        gap = state.smooth.mean - expected.mean
        if abs(gap) < limit / 2:
            state.direction = None
        direction = "above" if gap > 0 else "below"
        if abs(gap) <= limit or state.direction == direction:
            return []
        state.direction = direction
        u = unit(sensor)
        quantity = sensor.type.capitalize()
        return [
            sensor_alert(
                sensor,
                at=event.site_time,
                rule=self.name,
                severity=Severity.low,
                title=f"{quantity} drifting {direction} normal in {room_name(self._site, sensor)}",
                reasons=[
                    f"{sensor.id} has read about {state.smooth.mean:.1f}{u} recently; at "
                    f"{local_clock(self._site, event.site_time)} it usually reads "
                    f"{expected.mean:.1f}{u} ± {expected.spread:.2f}{u} (learned from "
                    f"{expected.hours} hours)",
                    f"{abs(gap):.1f}{u} {direction} normal, more than the {limit:.1f}{u} allowed",
                ],
                evidence={
                    "recent": round(state.smooth.mean, 3),
                    "usual": round(expected.mean, 3),
                    "usual_spread": round(expected.spread, 4),
                    "gap": round(gap, 3),
                    "limit": round(limit, 3),
                    "basis": expected.basis,
                },
                dedup_key=f"{self.name}:{sensor.id}:{direction}",
                source_event_ids=[event.id],
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
