"""Learned per-sensor normal by hour of the week: what this sensor usually reads now.

A sensor reports many times an hour. Each hour's readings are summarised (their mean: the
temperature, or for a motion sensor the fraction of readings that saw motion) and, when the
hour is over, folded into two learned profiles with exponential forgetting:

* the same **weekday and hour** (e.g. Tuesdays 14:00-15:00): the most specific, needs weeks;
* the same **hour of any day**: the fallback while the weekday profile is still young.

:meth:`HourlyProfile.expected` answers from the most specific profile that has seen at least
``min_hours`` hours, or None while neither has: rules stay quiet until they have learned.
The hour being lived is never part of its own expectation, so a drift within the hour cannot
teach itself as normal. Memory is fixed: 168 + 24 running statistics per sensor.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from artguard.sensors.stats import RunningStats


@dataclass(frozen=True)
class Expectation:
    """What the profile expects at a time."""

    mean: float
    spread: float
    """Standard deviation of the hourly means across the days learned (0 with one day)."""
    hours: int
    """How many past hours the answer rests on."""
    basis: str
    """``weekday_hour`` or ``hour``."""


class HourlyProfile:
    """The learned normal of one sensor's readings by (weekday, hour) in site local time."""

    def __init__(self, tz: ZoneInfo, alpha: float = 0.25, min_hours: int = 2) -> None:
        if min_hours < 1:
            raise ValueError(f"min_hours must be at least 1, got {min_hours}")
        self._tz = tz
        self._weekly = [RunningStats(alpha) for _ in range(7 * 24)]
        self._daily = [RunningStats(alpha) for _ in range(24)]
        self._min_hours = min_hours
        self._hour_key: tuple[int, int, int, int] | None = None  # year, month, day, hour
        self._slot = 0
        self._sum = 0.0
        self._count = 0

    def add(self, at: datetime, value: float) -> None:
        """Learn one reading taken at ``at`` (timezone-aware, in time order)."""
        local = at.astimezone(self._tz)
        key = (local.year, local.month, local.day, local.hour)
        if key != self._hour_key:
            self._fold()
            self._hour_key = key
            self._slot = local.weekday() * 24 + local.hour
        self._sum += value
        self._count += 1

    def _fold(self) -> None:
        if self._count == 0:
            return
        mean = self._sum / self._count
        self._weekly[self._slot].add(mean)
        self._daily[self._slot % 24].add(mean)
        self._sum, self._count = 0.0, 0

    def expected(self, at: datetime) -> Expectation | None:
        """The learned normal for ``at``, or None while not enough has been learned."""
        local = at.astimezone(self._tz)
        slot = local.weekday() * 24 + local.hour
        for stats, basis in (
            (self._weekly[slot], "weekday_hour"),
            (self._daily[local.hour], "hour"),
        ):
            if stats.count >= self._min_hours:
                return Expectation(stats.mean, stats.std, stats.count, basis)
        return None


def binomial_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p): how unlikely k or more hits in n tries are."""
    if k <= 0:
        return 1.0
    p = min(max(p, 0.0), 1.0)
    return math.fsum(math.comb(n, j) * p**j * (1.0 - p) ** (n - j) for j in range(k, n + 1))
