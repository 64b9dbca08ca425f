"""The drill's pass marks: the one place the thresholds live.

The CI regression gate (tests/drill/test_regression_gate.py), ``artguard drill`` and the
reports all judge a :class:`~artguard.drill.result.DrillResult` with :func:`evaluate`.

**High-risk** means an incident on the ``page_guard`` tier or above (see
:mod:`artguard.triage.escalation`): one that sends a person, a guard paged or the supervisors
called. A false one costs a guard's round trip at night; a false ``dashboard``/``log`` one costs
a glance at a screen, so it is counted and shown but not gated.
"""

from __future__ import annotations

from dataclasses import dataclass

from artguard.drill.result import DrillResult
from artguard.site.response_policy import Tier, tier_rank

MIN_DETECTION_RATE = 0.95
"""Share of injected attacks detected by the right pattern, in the right place, in time."""
MAX_FALSE_HIGH_RISK_PER_DAY = 1.0
"""False high-risk incidents per simulated site-day."""
HIGH_RISK_TIER: Tier = "page_guard"
"""The lowest tier that counts as high-risk."""


def is_high_risk(tier: str | None) -> bool:
    return tier is not None and tier_rank(tier) >= tier_rank(HIGH_RISK_TIER)


def false_high_risk_per_day(result: DrillResult) -> float:
    if not result.days:
        return 0.0
    count = sum(is_high_risk(f.tier) for f in result.false_incidents)
    return count / result.days


@dataclass(frozen=True)
class Check:
    name: str
    value: float
    limit: float
    passed: bool

    def line(self) -> str:
        mark = "ok  " if self.passed else "FAIL"
        return f"{mark} {self.name}: {self.value:.3f} (limit {self.limit:g})"


@dataclass(frozen=True)
class Verdict:
    checks: list[Check]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def summary(self) -> str:
        return "\n".join(c.line() for c in self.checks)


def evaluate(result: DrillResult) -> Verdict:
    """Whether ``result`` meets the thresholds above."""
    rate = result.detection_rate
    false_high = false_high_risk_per_day(result)
    return Verdict(
        [
            Check(
                "detection rate (>=)",
                rate,
                MIN_DETECTION_RATE,
                bool(result.scenarios) and rate >= MIN_DETECTION_RATE,
            ),
            Check(
                f"false high-risk (tier >= {HIGH_RISK_TIER}) incidents per site-day (<=)",
                false_high,
                MAX_FALSE_HIGH_RISK_PER_DAY,
                false_high <= MAX_FALSE_HIGH_RISK_PER_DAY,
            ),
        ]
    )
