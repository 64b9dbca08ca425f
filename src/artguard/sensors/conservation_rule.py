"""Conservation limits per room (``rooms[].conservation``): climate band and rate of change.

Both raise low-severity ``conservation`` alerts: a conservator's matter, not a guard's.
A band alert fires on leaving the band and re-arms once the reading is back inside with a
margin of 2 % of the band; a rate alert fires when the (lightly smoothed) reading has changed
more than the room's limit within the last hour and re-arms below 80 % of it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from artguard.events import Alert, EventBase, SensorReading, Severity
from artguard.sensors.alerts import room_name, sensor_alert, unit
from artguard.sensors.stats import RunningStats
from artguard.site import Sensor, Site
from artguard.site.conservation import Conservation

HOUR = timedelta(hours=1)
SAMPLE_EVERY = timedelta(seconds=60)
"""The rate history keeps one smoothed value a minute (about 61 values per sensor)."""
MAX_SPAN = HOUR + timedelta(minutes=15)
"""After a gap longer than this the rate is judged afresh (an hour of new readings)."""
SMOOTHING = 0.2
BAND_MARGIN = 0.02
RATE_REARM = 0.8


@dataclass
class _State:
    smooth: RunningStats = field(default_factory=lambda: RunningStats(SMOOTHING))
    history: deque[tuple[datetime, float]] = field(default_factory=deque)
    outside: str | None = None
    fast: bool = False


class ConservationRule:
    """Temperature and humidity against the room's conservation band and rate limit."""

    name = "conservation"
    kinds = frozenset({"sensor_reading"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._limits: dict[str, tuple[Sensor, Conservation]] = {}
        for sensor in site.sensors:
            limits = site.room(sensor.room).conservation
            if limits is not None and sensor.type in ("temperature", "humidity"):
                self._limits[sensor.id] = (sensor, limits)
        self._state: dict[str, _State] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        entry = self._limits.get(event.device_id)
        if entry is None or not isinstance(event, SensorReading):
            return []
        sensor, limits = entry
        state = self._state.setdefault(sensor.id, _State())
        alerts = []
        band = getattr(limits, sensor.type)
        if band is not None:
            alerts += self._band(sensor, event, band, state)
        rates = limits.max_rate_per_hour
        rate = getattr(rates, sensor.type) if rates is not None else None
        state.smooth.add(event.value)
        if rate is not None:
            alerts += self._rate(sensor, event, rate, state)
        return alerts

    def _band(
        self, sensor: Sensor, event: SensorReading, band: tuple[float, float], state: _State
    ) -> list[Alert]:
        low, high = band
        margin = (high - low) * BAND_MARGIN
        if low + margin <= event.value <= high - margin:
            state.outside = None
        where = "above" if event.value > high else "below" if event.value < low else None
        if where is None or where == state.outside:
            return []
        state.outside = where
        u = unit(sensor)
        limit = high if where == "above" else low
        return [
            sensor_alert(
                sensor,
                at=event.site_time,
                rule=self.name,
                severity=Severity.low,
                title=f"{sensor.type.capitalize()} {where} the conservation band in "
                f"{room_name(self._site, sensor)}",
                reasons=[
                    f"{sensor.id} read {event.value:g}{u}, {where} the room's conservation "
                    f"band {low:g}..{high:g}{u}"
                ],
                evidence={"value": event.value, "limit": limit, "direction": where},
                dedup_key=f"{self.name}:band:{sensor.id}:{where}",
                source_event_ids=[event.id],
            )
        ]

    def _rate(
        self, sensor: Sensor, event: SensorReading, rate: float, state: _State
    ) -> list[Alert]:
        now = event.site_time
        history = state.history
        if not history or now - history[-1][0] >= SAMPLE_EVERY:
            history.append((now, state.smooth.mean))
        while len(history) >= 2 and now - history[1][0] >= HOUR:
            history.popleft()
        while history and now - history[0][0] > MAX_SPAN:
            history.popleft()  # a gap in the readings: no rate across it
        if not history:
            history.append((now, state.smooth.mean))
        then, before = history[0]
        if now - then < HOUR:
            return []  # less than an hour of history yet
        change = state.smooth.mean - before
        if abs(change) < rate * RATE_REARM:
            state.fast = False
        if abs(change) <= rate or state.fast:
            return []
        state.fast = True
        u = unit(sensor)
        minutes = (now - then).total_seconds() / 60
        way = "rose" if change > 0 else "fell"
        return [
            sensor_alert(
                sensor,
                at=now,
                rule=self.name,
                severity=Severity.low,
                title=f"{sensor.type.capitalize()} changing too fast in "
                f"{room_name(self._site, sensor)}",
                reasons=[
                    f"{sensor.id} {way} {abs(change):.1f}{u} in the last {minutes:.0f} minutes "
                    f"(from {before:.1f}{u} to {state.smooth.mean:.1f}{u}); the room's limit is "
                    f"{rate:g}{u} per hour"
                ],
                evidence={
                    "change": round(change, 3),
                    "minutes": round(minutes, 1),
                    "limit_per_hour": rate,
                },
                dedup_key=f"{self.name}:rate:{sensor.id}",
                source_event_ids=[event.id],
                first_event_time=then,
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []
