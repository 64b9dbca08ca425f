"""Sensor rules where a fixed limit is the right tool: thresholds, glass-break, tamper.

Learned per-sensor baselines come later; these cover what physics or conservation standards
state outright. A threshold alert fires on the crossing out of range, not on every reading
while out of range, and re-arms once the value is back inside with a small hysteresis.
"""

from __future__ import annotations

from datetime import datetime

from artguard.events import Alert, EventBase, SensorReading, Severity
from artguard.site import Sensor, Site

HYSTERESIS_FRACTION = 0.02
"""Back-in-range needs the value this fraction of the range inside the limit (no flapping)."""

# Default severity of a limit crossing, per sensor type.
THRESHOLD_SEVERITY: dict[str, Severity] = {
    "temperature": Severity.low,
    "humidity": Severity.low,
    "vibration": Severity.high,
    "motion": Severity.medium,
    "glass_break": Severity.critical,
    "door_contact": Severity.low,
}


def _alert(
    sensor: Sensor, event: SensorReading, rule: str, severity: Severity, title: str, **kw: object
) -> Alert:
    return Alert(
        device_id=sensor.id,
        site_time=event.site_time,
        rule=rule,
        severity=severity,
        title=title,
        source_event_ids=[event.id],
        room_id=sensor.room,
        artwork_id=sensor.artwork,
        first_event_time=event.site_time,
        **kw,  # type: ignore[arg-type]
    )


class SensorThresholdRule:
    """A reading outside the sensor's configured ``min``/``max``."""

    name = "sensor_threshold"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._limited = {
            s.id: s
            for s in site.sensors
            if s.type != "glass_break" and (s.min is not None or s.max is not None)
        }
        self._out_of_range: dict[str, str] = {}  # sensor id -> "above" | "below"

    def on_event(self, event: EventBase) -> list[Alert]:
        sensor = self._limited.get(event.device_id)
        if sensor is None or not isinstance(event, SensorReading):
            return []
        state = self._state(sensor, event.value)
        previous = self._out_of_range.get(sensor.id)
        if state == "inside":
            self._out_of_range.pop(sensor.id, None)
            return []
        if state == "hysteresis" or state == previous:
            return []
        self._out_of_range[sensor.id] = state
        limit = sensor.max if state == "above" else sensor.min
        unit = f" {sensor.unit}" if sensor.unit else ""
        room = self._site.room(sensor.room).name
        return [
            _alert(
                sensor,
                event,
                self.name,
                THRESHOLD_SEVERITY.get(sensor.type, Severity.medium),
                f"{sensor.type.replace('_', ' ').capitalize()} {state} limit in {room}",
                reasons=[
                    f"{sensor.id} read {event.value:g}{unit}, {state} its limit of {limit:g}{unit}"
                ],
                evidence={
                    "sensor_id": sensor.id,
                    "value": event.value,
                    "limit": limit,
                    "direction": state,
                },
                dedup_key=f"{self.name}:{sensor.id}:{state}",
            )
        ]

    def _state(self, sensor: Sensor, value: float) -> str:
        if sensor.max is not None and value > sensor.max:
            return "above"
        if sensor.min is not None and value < sensor.min:
            return "below"
        span = (
            (sensor.max - sensor.min)
            if sensor.max is not None and sensor.min is not None
            else abs(sensor.max if sensor.max is not None else sensor.min or 1.0)
        )
        margin = span * HYSTERESIS_FRACTION
        previous = self._out_of_range.get(sensor.id)
        if previous == "above" and sensor.max is not None and value > sensor.max - margin:
            return "hysteresis"
        if previous == "below" and sensor.min is not None and value < sensor.min + margin:
            return "hysteresis"
        return "inside"

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


class GlassBreakRule:
    """A glass-break detector reporting a break (any reading >= 0.5, i.e. a 1 from a contact)."""

    name = "glass_break"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._detectors = {s.id: s for s in site.sensors if s.type == "glass_break"}

    def on_event(self, event: EventBase) -> list[Alert]:
        sensor = self._detectors.get(event.device_id)
        if sensor is None or not isinstance(event, SensorReading) or event.value < 0.5:
            return []
        room = self._site.room(sensor.room).name
        return [
            _alert(
                sensor,
                event,
                self.name,
                Severity.critical,
                f"Glass break in {room}",
                reasons=[f"glass-break detector {sensor.id} triggered (value {event.value:g})"],
                evidence={"sensor_id": sensor.id, "value": event.value},
                dedup_key=f"{self.name}:{sensor.id}",
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


class SensorTamperRule:
    """A sensor reporting its tamper contact open (cover removed, wires cut)."""

    name = "sensor_tamper"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._tampered: set[str] = set()

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, SensorReading):
            return []
        if not event.tamper:
            self._tampered.discard(event.device_id)
            return []
        if event.device_id in self._tampered:
            return []
        self._tampered.add(event.device_id)
        sensor = self._site.sensor(event.device_id)
        return [
            _alert(
                sensor,
                event,
                self.name,
                Severity.high,
                f"Sensor tampered: {sensor.id}",
                reasons=[f"{sensor.type} sensor {sensor.id} reports its tamper contact open"],
                evidence={"sensor_id": sensor.id, "sensor_type": sensor.type},
                dedup_key=f"{self.name}:{sensor.id}",
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
