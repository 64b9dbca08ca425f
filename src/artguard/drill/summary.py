"""The headline figures of a drill, computed one way for the store, the API, the HTML report,
the dashboard and the weekly report.

A false incident is *high-risk* as the regression gate defines it
(:func:`artguard.drill.gate.is_high_risk`: a tier that sends a person), so the dashboard, the
reports and the gate never disagree.
Percentiles interpolate linearly between ranks, as the incident KPIs do.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from artguard.drill.gate import false_high_risk_per_day
from artguard.drill.result import DrillResult, ScenarioOutcome


def percentile(values: list[float], q: float) -> float | None:
    """The ``q`` quantile (0..1) of ``values``, interpolated; None when there are none."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def false_high_per_day(result: DrillResult) -> float:
    """False high-risk incidents per simulated site-day (0 for a zero-day run)."""
    return false_high_risk_per_day(result)


@dataclass(frozen=True)
class DrillFigures:
    """What a list of drills shows for each run (also the store's summary columns)."""

    id: str | None
    finished_time: datetime | None
    site_id: str
    seed: int
    days: float
    scenarios: int
    detected: int
    detection_rate: float
    false_incidents: int
    false_high_per_day: float
    ttd_median_s: float | None
    ttd_p90_s: float | None
    events: int
    wall_seconds: float

    @classmethod
    def of(cls, result: DrillResult) -> DrillFigures:
        times = result.detection_times()
        return cls(
            id=result.id,
            finished_time=result.finished_time,
            site_id=result.site_id,
            seed=result.seed,
            days=result.days,
            scenarios=len(result.scenarios),
            detected=sum(o.detected for o in result.scenarios),
            detection_rate=result.detection_rate,
            false_incidents=len(result.false_incidents),
            false_high_per_day=false_high_per_day(result),
            ttd_median_s=statistics.median(times) if times else None,
            ttd_p90_s=percentile(times, 0.9),
            events=result.events,
            wall_seconds=result.wall_seconds,
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["finished_time"] = self.finished_time.isoformat() if self.finished_time else None
        return data


@dataclass(frozen=True)
class ScenarioFigures:
    """One scenario kind over all its injections in a drill."""

    scenario: str
    runs: int
    detected: int
    ttd_median_s: float | None
    ttd_max_s: float | None
    patterns: tuple[str, ...]
    """The incident patterns its detections were recognised as, most common first."""

    @property
    def missed(self) -> int:
        return self.runs - self.detected

    @property
    def rate(self) -> float:
        return self.detected / self.runs if self.runs else 0.0


def by_scenario(result: DrillResult) -> list[ScenarioFigures]:
    """One :class:`ScenarioFigures` per scenario kind, in order of first injection."""
    groups: dict[str, list[ScenarioOutcome]] = {}
    for outcome in result.scenarios:
        groups.setdefault(outcome.scenario, []).append(outcome)
    figures = []
    for name, outcomes in groups.items():
        times = sorted(o.time_to_detect_s for o in outcomes if o.time_to_detect_s is not None)
        counts: dict[str, int] = {}
        for o in outcomes:
            if o.detected and o.pattern:
                counts[o.pattern] = counts.get(o.pattern, 0) + 1
        patterns = tuple(p for p, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        figures.append(
            ScenarioFigures(
                scenario=name,
                runs=len(outcomes),
                detected=sum(o.detected for o in outcomes),
                ttd_median_s=statistics.median(times) if times else None,
                ttd_max_s=times[-1] if times else None,
                patterns=patterns,
            )
        )
    return figures
