"""Running statistics in O(1) memory: the building block of every learned sensor model."""

from __future__ import annotations

import math


class RunningStats:
    """Exponentially weighted mean and variance of a stream.

    Until ``1 / alpha`` values have been seen it is the plain running mean and variance, so the
    first values are not swamped by the zero start; afterwards old values fade with weight
    ``(1 - alpha)`` per new value (an effective memory of about ``1 / alpha`` values).
    """

    __slots__ = ("alpha", "count", "mean", "var")

    def __init__(self, alpha: float) -> None:
        if not 0.0 < alpha <= 1.0:
            raise ValueError(f"alpha must be in (0, 1], got {alpha}")
        self.alpha = alpha
        self.count = 0
        self.mean = 0.0
        self.var = 0.0

    def add(self, value: float) -> None:
        self.count += 1
        rate = max(self.alpha, 1.0 / self.count)
        delta = value - self.mean
        self.mean += rate * delta
        self.var = (1.0 - rate) * (self.var + rate * delta * delta)

    @property
    def std(self) -> float:
        return math.sqrt(self.var)

    def z(self, value: float, floor: float = 0.0) -> float:
        """Distance of ``value`` from the mean in standard deviations (never divides by 0)."""
        spread = max(self.std, floor, 1e-9 * (abs(self.mean) + 1.0))
        return abs(value - self.mean) / spread
