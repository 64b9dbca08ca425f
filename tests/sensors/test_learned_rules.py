"""Rules against learned per-sensor baselines: each raises its alert with reasons, and stays
quiet on normal days."""

from __future__ import annotations

import math
import random
from datetime import timedelta

from artguard.events import Alert, Severity
from artguard.sensors.baseline import HourlyProfile, binomial_tail
from artguard.sensors.learned_rules import (
    ClimateDriftRule,
    MotionWhenStillRule,
    VibrationUnusualRule,
)
from artguard.site import Site
from tests.conftest import NIGHT, NOON

from .helpers import every, reading

TEN_S = timedelta(seconds=10)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def test_profile_learns_by_hour_and_needs_history(small_site: Site) -> None:
    profile = HourlyProfile(small_site.tz, min_hours=2)
    for day in range(2):
        for at in every(NIGHT + day * DAY, NIGHT + day * DAY + HOUR, TEN_S):
            profile.add(at, 5.0 + day)
    # the second night is not folded until its hour is over
    assert profile.expected(NIGHT + 2 * DAY) is None
    profile.add(NIGHT + 2 * DAY + 2 * HOUR, 0.0)
    expected = profile.expected(NIGHT + 2 * DAY)
    assert expected is not None and expected.basis == "hour" and expected.hours == 2
    assert 5.0 < expected.mean < 6.0
    assert profile.expected(NOON) is None  # never seen noon


def test_binomial_tail() -> None:
    assert binomial_tail(0, 6, 0.3) == 1.0
    assert math.isclose(binomial_tail(6, 6, 0.5), 1 / 64)
    assert math.isclose(binomial_tail(1, 6, 0.1), 1 - 0.9**6)


def motion_days(rule: MotionWhenStillRule, days: int, rng: random.Random) -> list[Alert]:
    """Quiet nights (2% stray blips) and busy noons (70% motion), ``days`` times."""
    alerts: list[Alert] = []
    for day in range(days):
        for at in every(NIGHT + day * DAY, NIGHT + day * DAY + HOUR, TEN_S):
            alerts += rule.on_event(reading("pir-gallery", at, float(rng.random() < 0.02)))
        for at in every(NOON + day * DAY, NOON + day * DAY + HOUR, TEN_S):
            alerts += rule.on_event(reading("pir-gallery", at, float(rng.random() < 0.7)))
    return alerts


def test_motion_at_a_normally_still_hour(small_site: Site) -> None:
    rule = MotionWhenStillRule(small_site)
    rng = random.Random(2)
    assert motion_days(rule, 4, rng) == []  # normal days: quiet
    intruder = NIGHT + 4 * DAY + timedelta(minutes=20)
    alerts: list[Alert] = []
    for i in range(6):
        alerts += rule.on_event(reading("pir-gallery", intruder + i * TEN_S, 1.0))
    assert len(alerts) == 1  # once, not once per reading
    alert = alerts[0]
    assert alert.rule == "motion_unusual_time" and alert.room_id == "gallery"
    assert alert.severity is Severity.high  # gallery: security level 2
    assert "saw motion in 4 of its 4 readings of the last minute" in alert.reasons[0]
    assert "usually shows motion in" in alert.reasons[1] and "Fri 02:20" in alert.reasons[1]


def test_motion_at_a_busy_hour_is_normal(small_site: Site) -> None:
    rule = MotionWhenStillRule(small_site)
    motion_days(rule, 3, random.Random(5))
    busy = NOON + 3 * DAY
    alerts = [
        a for i in range(30) for a in rule.on_event(reading("pir-gallery", busy + i * TEN_S, 1.0))
    ]
    assert alerts == []


def test_motion_at_an_hour_learned_busy_though_closed(small_site: Site) -> None:
    """Evening cleaning rounds at 20:00 (gallery closed): learned as normal, no alarm."""
    rule = MotionWhenStillRule(small_site)
    rng = random.Random(6)
    evening = NIGHT + timedelta(hours=18)
    for day in range(3):
        for at in every(evening + day * DAY, evening + day * DAY + HOUR, TEN_S):
            rule.on_event(reading("pir-gallery", at, float(rng.random() < 0.5)))
    later = evening + 3 * DAY
    alerts = [
        a for i in range(30) for a in rule.on_event(reading("pir-gallery", later + i * TEN_S, 1.0))
    ]
    assert not small_site.is_open_to_public("gallery", later)
    assert alerts == []


def test_motion_before_anything_is_learned_stays_quiet(small_site: Site) -> None:
    rule = MotionWhenStillRule(small_site)
    assert [
        a for i in range(10) for a in rule.on_event(reading("pir-gallery", NIGHT + i * TEN_S, 1.0))
    ] == []


def test_vibration_unlike_the_mounts_usual(small_site: Site) -> None:
    rule = VibrationUnusualRule(small_site)
    rng = random.Random(3)
    at, alerts = NIGHT, []
    for _ in range(8640):  # a day of ordinary hum
        alerts += rule.on_event(reading("vib-aw-1", at, abs(rng.gauss(0, 0.04))))
        at += TEN_S
    assert alerts == []
    alerts = rule.on_event(reading("vib-aw-1", at, 0.3))  # a knock, below the 0.5 g limit
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "vibration_unusual" and alert.artwork_id == "aw-1"
    assert "vib-aw-1 read 0.3 g; its usual is" in alert.reasons[0]
    assert alert.evidence["score"] >= 0.9


def test_vibration_lower_than_usual_is_no_alarm(small_site: Site) -> None:
    rule = VibrationUnusualRule(small_site)
    rng = random.Random(3)
    at = NIGHT
    for _ in range(2000):
        rule.on_event(reading("vib-aw-1", at, 0.2 + abs(rng.gauss(0, 0.01))))
        at += TEN_S
    assert rule.on_event(reading("vib-aw-1", at, 0.0)) == []


def climate(
    rule: ClimateDriftRule, days: int, rng: random.Random, drift: float = 0.0
) -> list[Alert]:
    """Vault temperature with a 1 C daily swing; ``drift`` C/hour added on the last day."""
    alerts: list[Alert] = []
    for at in every(NIGHT, NIGHT + days * DAY, TEN_S):
        hours = (at - NIGHT).total_seconds() / 3600
        value = 20 + 0.5 * math.sin(2 * math.pi * hours / 24) + rng.gauss(0, 0.05)
        if hours >= 24 * (days - 1):
            value += drift * (hours - 24 * (days - 1))
        alerts += rule.on_event(reading("t-vault", at, value))
    return alerts


def test_temperature_drift_from_the_hours_normal(small_site: Site) -> None:
    alerts = climate(ClimateDriftRule(small_site), 4, random.Random(1), drift=0.5)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "climate_drift" and alert.severity is Severity.low
    assert alert.title == "Temperature drifting above normal in Vault"
    assert "usually reads 20" in alert.reasons[0]
    # 1.5 C allowed at 0.5 C/hour: found after about 3 hours, well inside the sensor's limits
    assert 2.5 * HOUR < alert.site_time - (NIGHT + 3 * DAY) < 4 * HOUR


def test_normal_days_raise_no_drift(small_site: Site) -> None:
    assert climate(ClimateDriftRule(small_site), 4, random.Random(1)) == []
