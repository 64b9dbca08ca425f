"""Sensor rules: thresholds with hysteresis, glass-break, tamper."""

from __future__ import annotations

from datetime import timedelta

from artguard.events import SensorReading, Severity
from artguard.rules.sensors import GlassBreakRule, SensorTamperRule, SensorThresholdRule
from artguard.site import Site
from tests.conftest import NIGHT


def value(sensor: str, v: float, seconds: float = 0, **kw) -> SensorReading:
    return SensorReading(
        device_id=sensor, value=v, site_time=NIGHT + timedelta(seconds=seconds), **kw
    )


def test_threshold_fires_on_crossing_not_on_every_reading(small_site: Site) -> None:
    rule = SensorThresholdRule(small_site)
    assert rule.on_event(value("rh-vault", 55)) == []
    first = rule.on_event(value("rh-vault", 63.5, 10))
    assert [a.evidence["direction"] for a in first] == ["above"]
    assert "63.5 %RH, above its limit of 60 %RH" in first[0].reasons[0]
    assert first[0].room_id == "vault"
    assert rule.on_event(value("rh-vault", 64, 20)) == []


def test_threshold_hysteresis_then_rearm(small_site: Site) -> None:
    rule = SensorThresholdRule(small_site)
    assert len(rule.on_event(value("rh-vault", 61))) == 1
    assert rule.on_event(value("rh-vault", 59.9, 1)) == []  # within hysteresis: still out
    assert rule.on_event(value("rh-vault", 60.5, 2)) == []  # no flapping alert
    assert rule.on_event(value("rh-vault", 55, 3)) == []  # back inside: re-armed
    assert len(rule.on_event(value("rh-vault", 61, 4))) == 1


def test_below_minimum_and_vibration_severity(small_site: Site) -> None:
    rule = SensorThresholdRule(small_site)
    below = rule.on_event(value("t-vault", 12.0))
    assert below[0].evidence["direction"] == "below"
    assert below[0].severity == Severity.low
    knock = rule.on_event(value("vib-aw-1", 1.4))
    assert knock[0].severity == Severity.high
    assert knock[0].artwork_id == "aw-1"


def test_sensor_without_limits_never_alerts(small_site: Site) -> None:
    rule = SensorThresholdRule(small_site)
    assert rule.on_event(value("pir-gallery", 1.0)) == []


def test_glass_break(small_site: Site) -> None:
    rule = GlassBreakRule(small_site)
    assert rule.on_event(value("gb-gallery", 0.0)) == []
    alerts = rule.on_event(value("gb-gallery", 1.0))
    assert alerts[0].severity == Severity.critical and alerts[0].room_id == "gallery"


def test_tamper_fires_once_until_restored(small_site: Site) -> None:
    rule = SensorTamperRule(small_site)
    assert len(rule.on_event(value("pir-gallery", 0, tamper=True))) == 1
    assert rule.on_event(value("pir-gallery", 0, 1, tamper=True)) == []
    rule.on_event(value("pir-gallery", 0, 2))
    assert len(rule.on_event(value("pir-gallery", 0, 3, tamper=True))) == 1
