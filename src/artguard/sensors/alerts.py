"""Building an alert about one sensor, the same way for every sensor rule."""

from __future__ import annotations

from datetime import datetime

from artguard.events import Alert, EvidenceValue, Severity
from artguard.site import Sensor, Site


def sensor_alert(
    sensor: Sensor,
    *,
    at: datetime,
    rule: str,
    severity: Severity,
    title: str,
    reasons: list[str],
    evidence: dict[str, EvidenceValue],
    dedup_key: str,
    source_event_ids: list[str],
    first_event_time: datetime | None = None,
) -> Alert:
    return Alert(
        device_id=sensor.id,
        site_time=at,
        rule=rule,
        severity=severity,
        title=title,
        reasons=reasons,
        evidence={"sensor_id": sensor.id, "sensor_type": sensor.type, **evidence},
        source_event_ids=source_event_ids,
        dedup_key=dedup_key,
        room_id=sensor.room,
        artwork_id=sensor.artwork,
        first_event_time=first_event_time or at,
    )


def room_name(site: Site, sensor: Sensor) -> str:
    return site.room(sensor.room).name


def local_clock(site: Site, at: datetime) -> str:
    """A time as the guards read it: weekday and site local time of day."""
    return f"{at.astimezone(site.tz):%a %H:%M}"


def unit(sensor: Sensor) -> str:
    return f" {sensor.unit}" if sensor.unit else ""
