"""The streaming detector on constructed series."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from artguard.sensors.detector import DEFAULT_THRESHOLD, DetectorConfig, StreamingDetector

START = datetime(2026, 11, 2, tzinfo=UTC)


def feed(detector: StreamingDetector, values: list[float], step_min: float = 5) -> list[float]:
    return [
        detector.update(START + timedelta(minutes=step_min * i), v) for i, v in enumerate(values)
    ]


def noise(n: int, seed: int = 1, mean: float = 20.0, sd: float = 0.5) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def test_a_spike_scores_high_and_ordinary_values_low() -> None:
    values = noise(2000)
    values[1500] = 30.0  # 20 standard deviations
    scores = feed(StreamingDetector(), values)
    assert scores[1500] >= 0.95
    ordinary = scores[200:1500]
    assert max(ordinary) < DEFAULT_THRESHOLD
    assert sum(ordinary) / len(ordinary) < 0.6
    assert all(0.0 <= s < 1.0 for s in scores)


def test_one_event_is_reported_once_then_suppressed() -> None:
    values = noise(2000)
    values[1500] = values[1510] = 30.0
    scores = feed(StreamingDetector(), values)
    assert scores[1500] >= 0.95 and scores[1510] == 0.5
    unsuppressed = feed(StreamingDetector(DetectorConfig(suppress_for=0)), values)
    assert unsuppressed[1510] >= DEFAULT_THRESHOLD


def test_a_sudden_burst_of_noise_shows_through_the_volatility_view() -> None:
    values = noise(1500, sd=0.2)
    values += [20 + (3.0 if i % 2 else -3.0) for i in range(20)]  # inside +-3, but jumping
    detector = StreamingDetector()
    scores = feed(detector, values)
    assert max(scores[1500:]) >= DEFAULT_THRESHOLD


def test_a_value_normal_at_noon_is_anomalous_at_night() -> None:
    """Daily cycle 10..30; at 03:00 (usual ~10) a noon-like 30 must stand out."""

    def daily(t: datetime) -> float:
        return 20 - 10 * math.cos(2 * math.pi * (t.hour + t.minute / 60 - 3) / 24)

    detector = StreamingDetector()
    rng = random.Random(4)
    times = [START + timedelta(minutes=10 * i) for i in range(6 * 24 * 14)]  # two weeks
    scores = [detector.update(t, daily(t) + rng.gauss(0, 0.3)) for t in times]
    assert max(scores[6 * 24 * 3 :]) < DEFAULT_THRESHOLD  # the cycle itself is normal
    # Next night the value climbs smoothly from its usual ~10 to a noon-like 30 by 03:00.
    at, reasons = times[-1], []
    while at.hour != 2:
        at += timedelta(minutes=10)
        detector.update(at, daily(at))
    for step in range(1, 7):
        at += timedelta(minutes=10)
        score = detector.update(at, daily(at) + (30 - daily(at)) * step / 6)
        assert detector.last is not None
        if score >= DEFAULT_THRESHOLD:
            reasons.append(detector.last.strongest())
    assert reasons and reasons[0] == "time_of_day"


def test_bad_values_and_config_are_refused() -> None:
    with pytest.raises(ValueError, match="finite"):
        StreamingDetector().update(START, math.nan)
    with pytest.raises(ValueError, match="level_alpha"):
        DetectorConfig(level_alpha=0.0)
