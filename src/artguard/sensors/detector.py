"""The streaming anomaly detector for one sensor series: ``update(t, value) -> score``.

Three views of each new value, each a distance in standard deviations from what was learned:

* **level**: from the series' long-run mean (memory ~1000 values);
* **volatility**: the step ``|value - previous|`` against the usual step size (only a larger
  step counts), so a burst of noise or a sudden jump shows even inside the usual range;
* **time of day**: from the mean of the same hour of the day (24 learned hourly profiles), so a
  value normal at noon but not at 3 a.m. stands out.

The evidence ``m = max(level, 0.5 * volatility, 0.5 * time_of_day)`` maps to a score
``m / (1 + m)`` in [0, 1). After a strong detection (``m > 6``) scores are capped at 0.5 for the
next 100 values: one event is reported once, not once per reading. The first 30 values only
learn (score 0). Memory is O(1): 26 running statistics and the previous value.

This mix was chosen by its score on the Numenta Anomaly Benchmark (``bench/nab.py``; every
variant tried is listed in ``docs/sensors.md``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from artguard.sensors.stats import RunningStats


@dataclass(frozen=True)
class DetectorConfig:
    """Tuning of :class:`StreamingDetector` (defaults: the NAB-selected values)."""

    level_alpha: float = 1 / 1000
    hour_alpha: float = 1 / 50
    hour_min_samples: int = 10
    volatility_weight: float = 0.5
    hour_weight: float = 0.5
    suppress_above: float = 6.0
    suppress_for: int = 100
    warmup: int = 30
    """Values learned before any score above 0 (a handful of values is no 'usual' yet)."""

    def __post_init__(self) -> None:
        for name in ("level_alpha", "hour_alpha"):
            value = getattr(self, name)
            if not 0.0 < value <= 1.0:
                raise ValueError(f"{name} must be in (0, 1], got {value}")
        if self.hour_min_samples < 1 or self.suppress_for < 0 or self.warmup < 0:
            raise ValueError("hour_min_samples must be >= 1; suppress_for and warmup >= 0")


DEFAULT_THRESHOLD = 0.86
"""Score at or above which a value is flagged (NAB's corpus-optimal threshold was 0.863)."""


@dataclass(frozen=True)
class Evidence:
    """Why a value scored what it did: the three distances, in standard deviations."""

    level: float
    volatility: float
    time_of_day: float
    suppressed: bool

    def strongest(self) -> str:
        parts = {
            "level": self.level,
            "volatility": self.volatility * 0.5,
            "time_of_day": self.time_of_day * 0.5,
        }
        return max(parts, key=lambda k: parts[k])


@dataclass
class StreamingDetector:
    """Online anomaly score of one series; feed values in time order."""

    config: DetectorConfig = field(default_factory=DetectorConfig)
    last: Evidence | None = None

    def __post_init__(self) -> None:
        c = self.config
        self._level = RunningStats(c.level_alpha)
        self._step = RunningStats(c.level_alpha)
        self._hours = [RunningStats(c.hour_alpha) for _ in range(24)]
        self._previous: float | None = None
        self._cooldown = 0

    @property
    def count(self) -> int:
        """Values learned so far."""
        return self._level.count

    @property
    def usual(self) -> tuple[float, float]:
        """The learned long-run mean and standard deviation."""
        return self._level.mean, self._level.std

    def update(self, t: datetime, value: float) -> float:
        """Anomaly score in [0, 1) of ``value`` at ``t``; then learn from it."""
        if not math.isfinite(value):
            raise ValueError(f"value must be a finite number, got {value!r}")
        c = self.config
        level = self._level.z(value) if self._level.count >= 2 else 0.0
        volatility = 0.0
        if self._previous is not None:
            step = abs(value - self._previous)
            if self._step.count >= 2:
                spread = max(self._step.std, 1e-9 * (abs(self._step.mean) + 1.0))
                volatility = max(0.0, (step - self._step.mean) / spread)
            self._step.add(step)
        hour = self._hours[t.hour]
        time_of_day = 0.0
        if hour.count >= c.hour_min_samples:
            time_of_day = hour.z(value, floor=0.1 * self._level.std)
        hour.add(value)
        self._level.add(value)
        self._previous = value

        evidence = max(level, c.volatility_weight * volatility, c.hour_weight * time_of_day)
        if self._level.count <= c.warmup:
            evidence = 0.0
        score = evidence / (1.0 + evidence)
        suppressed = False
        if self._cooldown > 0:
            self._cooldown -= 1
            if score > 0.5:
                score, suppressed = 0.5, True
        elif evidence > c.suppress_above:
            self._cooldown = c.suppress_for
        self.last = Evidence(level, volatility, time_of_day, suppressed)
        return score
