"""A drill's results: per injected scenario and over the whole run. Plain data, so the CLI,
the HTML report, the store, the API and the weekly report all read the same thing."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ScenarioOutcome:
    """One injected scenario and what artguard made of it."""

    scenario: str
    start: datetime
    rooms: list[str]
    detected: bool
    time_to_detect_s: float | None
    """First matching alert's site time minus the attack's start (simulated seconds)."""
    incident_id: str | None
    pattern: str | None
    score: float | None
    tier: str | None
    rules: list[str] = field(default_factory=list)
    """The rules whose alerts made the matching incident."""
    why_missed: str | None = None
    """For a miss: the closest incident seen and why it did not count, or that nothing fired."""


@dataclass(frozen=True)
class FalseIncident:
    """An incident no injected scenario explains."""

    incident_id: str
    pattern: str
    score: float
    tier: str
    room: str | None
    first_alert_time: datetime
    title: str


@dataclass
class DrillResult:
    """Everything a drill measured."""

    site_id: str
    seed: int
    days: float
    start: datetime
    end: datetime
    scenarios: list[ScenarioOutcome]
    false_incidents: list[FalseIncident]
    events: int
    """Device events and badge requests the twin fed through the pipeline."""
    wall_seconds: float
    """How long the run took on this machine."""
    id: str | None = None
    finished_time: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def detection_rate(self) -> float:
        if not self.scenarios:
            return 0.0
        return sum(o.detected for o in self.scenarios) / len(self.scenarios)

    def false_per_day(self) -> dict[str, float]:
        """False incidents per simulated site-day, by escalation tier."""
        counts: dict[str, float] = {}
        for incident in self.false_incidents:
            counts[incident.tier] = counts.get(incident.tier, 0) + 1
        return {tier: n / self.days for tier, n in sorted(counts.items())} if self.days else {}

    def detection_times(self) -> list[float]:
        return sorted(o.time_to_detect_s for o in self.scenarios if o.time_to_detect_s is not None)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["detection_rate"] = self.detection_rate
        data["false_per_day"] = self.false_per_day()
        return data
