"""Sensor health: impossible values, stuck values, silent sensors."""

from __future__ import annotations

import random
from datetime import timedelta

from artguard.events import Severity
from artguard.sensors.health import ImpossibleValueRule, SilentSensorRule, StuckValueRule
from artguard.site import Site
from tests.conftest import NIGHT

from .helpers import reading

TEN_S = timedelta(seconds=10)


def test_impossible_humidity_alerts_once_until_sane_again(small_site: Site) -> None:
    rule = ImpossibleValueRule(small_site)
    assert rule.on_event(reading("rh-vault", NIGHT, 50)) == []
    alerts = rule.on_event(reading("rh-vault", NIGHT + TEN_S, 120))
    assert len(alerts) == 1 and alerts[0].severity is Severity.medium
    assert "read 120 %RH; a working humidity sensor reads 0..100" in alerts[0].reasons[0]
    assert rule.on_event(reading("rh-vault", NIGHT + 2 * TEN_S, 130)) == []
    assert rule.on_event(reading("rh-vault", NIGHT + 3 * TEN_S, 50)) == []
    assert len(rule.on_event(reading("rh-vault", NIGHT + 4 * TEN_S, -3))) == 1


def test_impossible_temperature_vibration_and_unknown_sensor(small_site: Site) -> None:
    rule = ImpossibleValueRule(small_site)
    assert len(rule.on_event(reading("t-vault", NIGHT, -55))) == 1
    assert len(rule.on_event(reading("vib-aw-1", NIGHT, -0.2))) == 1
    assert rule.on_event(reading("t-vault", NIGHT, 35)) == []  # hot, but possible
    assert rule.on_event(reading("no-such-sensor", NIGHT, 1e9)) == []


def test_stuck_after_a_lively_history(small_site: Site) -> None:
    rule = StuckValueRule(small_site)
    rng = random.Random(1)
    at, alerts = NIGHT, []
    for _ in range(360):  # an hour of a live sensor
        alerts += rule.on_event(reading("t-vault", at, round(20 + rng.gauss(0, 0.2), 2)))
        at += TEN_S
    assert alerts == []
    for _ in range(720):  # then the same value for two hours
        alerts += rule.on_event(reading("t-vault", at, 19.5))
        at += TEN_S
    assert len(alerts) == 1
    assert "has read exactly 19.5 C" in alerts[0].reasons[0]
    assert alerts[0].site_time - alerts[0].first_event_time >= timedelta(hours=1)


def test_a_coarse_sensor_that_rarely_changes_is_not_stuck(small_site: Site) -> None:
    rule = StuckValueRule(small_site)
    at, alerts = NIGHT, []
    for i in range(3000):  # 0.5 C resolution: long plateaus are normal for this sensor
        alerts += rule.on_event(reading("t-vault", at, 20.0 if (i // 600) % 2 else 20.5))
        at += TEN_S
    assert alerts == []


def test_silent_after_its_learned_interval(small_site: Site) -> None:
    rule = SilentSensorRule(small_site)
    at = NIGHT
    for _ in range(30):
        rule.on_event(reading("pir-gallery", at, 0.0))
        at += TEN_S
    last = at - TEN_S
    assert rule.allowance("pir-gallery") == timedelta(seconds=60)  # 5 x 10 s, floor 60 s
    assert rule.on_tick(last + timedelta(seconds=50)) == []
    alerts = rule.on_tick(last + timedelta(seconds=70))
    assert len(alerts) == 1
    assert alerts[0].rule == "sensor_silent" and alerts[0].room_id == "gallery"
    assert "last reported 70 s ago; it usually reports every 10 s" in alerts[0].reasons[0]
    assert rule.on_tick(last + timedelta(seconds=200)) == []  # once
    rule.on_event(reading("pir-gallery", last + timedelta(seconds=210), 0.0))
    assert len(rule.on_tick(last + timedelta(seconds=400))) == 1  # re-armed


def test_silence_is_not_judged_before_the_interval_is_learned(small_site: Site) -> None:
    rule = SilentSensorRule(small_site)
    rule.on_event(reading("pir-gallery", NIGHT, 0.0))
    rule.on_event(reading("pir-gallery", NIGHT + TEN_S, 0.0))
    assert rule.on_tick(NIGHT + timedelta(days=1)) == []


def test_ticking_every_second_still_finds_the_first_sensor_to_fall_silent(
    small_site: Site,
) -> None:
    """Ticks skip the scan until the earliest possible silence; a sensor learned later with
    a shorter cadence moves that time earlier."""
    rule = SilentSensorRule(small_site)
    at = NIGHT
    for i in range(60):  # the vault's thermometer every 10 min: allowed 50 min of quiet
        rule.on_event(reading("t-vault", NIGHT + i * timedelta(minutes=10), 20.0))
    at = NIGHT + 59 * timedelta(minutes=10)
    found: list[tuple[str, float]] = []
    for second in range(1, 3601):
        now = at + timedelta(seconds=second)
        if second <= 100 and second % 10 == 0:  # the PIR reports every 10 s, then stops
            rule.on_event(reading("pir-gallery", now, 0.0))
        found += [(a.device_id, second) for a in rule.on_tick(now)]
    assert found == [("pir-gallery", 161), ("t-vault", 3001)]
