"""What triage knows about one alert: its facts, and what kind of signal it is.

Scoring, patterns and correlation all work on :class:`AlertFacts`, built either from a fresh
:class:`~artguard.events.Alert` or from a stored alert row, so an incident can be re-assessed
from the database alone. The *signal* of an alert is its rule refined by what raised it (a
``sensor_threshold`` on a vibration sensor is a different signal from one on a hygrometer);
the signal decides the alert's base weight and its *category* (see :mod:`.scoring`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from artguard.events import Alert, Severity
from artguard.site import Site

Category = Literal[
    "entry",  # forced entry: a door forced, glass broken
    "presence",  # a person where or when nobody should be
    "artwork",  # something happening to an artwork: touched, shaken, gone
    "sabotage",  # a camera or sensor blinded, moved, opened
    "access",  # a badge used oddly: anomaly, passback, lockout, door held open
    "tailgating",  # more people through a door than badges
    "behaviour",  # visitor behaviour worth a look (loitering, counting lines)
    "environment",  # conservation climate: temperature, humidity
    "other",
]

ENVIRONMENT_SENSORS = frozenset({"temperature", "humidity"})


@dataclass(frozen=True)
class AlertFacts:
    """The parts of an alert that triage reasons about."""

    alert_id: str
    rule: str
    severity: Severity
    device_id: str
    dedup_key: str
    time: datetime  # site time of the earliest evidence
    room_id: str | None = None
    artwork_id: str | None = None
    evidence: Mapping[str, Any] = field(default_factory=dict)
    repeats: int = 1
    link: str | None = None  # why it joined its incident (None: it opened it)

    @classmethod
    def from_alert(cls, alert: Alert) -> AlertFacts:
        return cls(
            alert_id=alert.id,
            rule=alert.rule,
            severity=alert.severity,
            device_id=alert.device_id,
            dedup_key=alert.dedup_key,
            time=alert.first_event_time,
            room_id=alert.room_id,
            artwork_id=alert.artwork_id,
            evidence=dict(alert.evidence),
        )

    @classmethod
    def from_row(cls, row: Any) -> AlertFacts:
        """From a row of the ``alerts`` table."""
        evidence = row.evidence if isinstance(row.evidence, dict) else {}
        return cls(
            alert_id=row.id,
            rule=row.rule,
            severity=Severity(row.severity),
            device_id=row.device_id,
            dedup_key=row.dedup_key,
            time=row.first_event_time,
            room_id=row.room_id,
            artwork_id=row.artwork_id,
            evidence=evidence,
            repeats=row.repeat_count or 1,
            link=getattr(row, "correlation", None),
        )

    @property
    def camera_id(self) -> str | None:
        """The camera the alert comes from, if it comes from one."""
        camera = self.evidence.get("camera_id")
        return str(camera) if camera else None

    @property
    def camera_status(self) -> str | None:
        """For a camera sabotage alert: offline, covered, frozen, ..."""
        status = self.evidence.get("status")
        return str(status) if self.rule == "camera_sabotage" and status else None


def sensor_type(facts: AlertFacts, site: Site | None) -> str | None:
    """The type of the sensor that raised the alert (from the site, else the evidence)."""
    if site is not None and site.device_kind(facts.device_id) == "sensor":
        try:
            return site.sensor(facts.device_id).type
        except KeyError:
            return None
    value = facts.evidence.get("sensor_type")
    return str(value) if value else None


def artwork_of(facts: AlertFacts, site: Site | None) -> str | None:
    """The artwork the alert concerns: named on the alert, or the one its sensor is fitted to."""
    if facts.artwork_id:
        return facts.artwork_id
    if site is not None and site.device_kind(facts.device_id) == "sensor":
        try:
            return site.sensor(facts.device_id).artwork
        except KeyError:
            return None
    return None


def signal_keys(facts: AlertFacts, site: Site | None) -> list[str]:
    """Keys to look the alert up by, most specific first: ``rule:subtype``, ``rule``,
    ``*:subtype`` (any rule on that kind of sensor, e.g. a learned rule not in the table)."""
    subtype = facts.camera_status or sensor_type(facts, site)
    keys = [f"{facts.rule}:{subtype}"] if subtype else []
    keys.append(facts.rule)
    if subtype:
        keys.append(f"*:{subtype}")
    return keys


def site_closed(site: Site | None, at: datetime) -> bool | None:
    """Whether no public room of the site is open at ``at`` (None: no site to tell)."""
    if site is None:
        return None
    public = [room for room in site.rooms if room.public and room.opening_hours]
    if not public:
        return None
    return not any(site.is_open_to_public(room.id, at) for room in public)
