"""An incident's assessment: its contributions, risk score, named pattern and title."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from artguard.events import Severity
from artguard.site import Site
from artguard.triage.adjustment import TIER1_MIN_SCORE, Adjustments, is_tier1
from artguard.triage.patterns import recognise
from artguard.triage.scoring import (
    Contribution,
    combine,
    contributions,
    risk_band,
    severity_for,
)
from artguard.triage.signals import AlertFacts


@dataclass(frozen=True)
class Assessment:
    score: float
    pattern: str
    pattern_label: str | None  # None: no named pattern matched
    pattern_reasons: list[str]
    other_patterns: list[str]
    contributions: list[Contribution]
    severity: Severity  # the worse of the worst alert's and the score's

    @property
    def risk(self) -> str:
        return risk_band(self.score) or "low"

    def stored(self) -> dict[str, Any]:
        """The incident columns this assessment sets."""
        return {
            "score": round(self.score, 4),
            "pattern": self.pattern,
            "pattern_reasons": list(self.pattern_reasons)
            + ([f"also matches: {', '.join(self.other_patterns)}"] if self.other_patterns else []),
            "contributions": [c.as_dict() for c in self.contributions],
            "severity": self.severity.value,
        }


def assess(
    alerts: list[AlertFacts], site: Site | None, adjustments: Adjustments | None = None
) -> Assessment:
    """Score and name an incident from all of its alerts.

    ``adjustments`` are the operators' feedback by key (:mod:`.adjustment`). They change
    weights, never the pattern (patterns read categories, not weights), and never take a
    tier-1 incident below ``min(score without feedback, TIER1_MIN_SCORE)``.
    """
    if not alerts:
        raise ValueError("an incident needs at least one alert to assess")
    items = contributions(alerts, site, adjustments)
    score = combine([c.weight for c in items])
    matches = recognise(items)
    held = None
    if any(c.feedback for c in items) and matches:
        live = {c.category for c in items if not c.suppressed}
        if is_tier1(matches[0].name, live):
            floor = min(combine([c.weight for c in contributions(alerts, site)]), TIER1_MIN_SCORE)
            if score < floor:
                held = (
                    f"score held at {floor:.2f}: feedback lowered it to {score:.2f}, but "
                    f"feedback never takes a {matches[0].label.lower()} below "
                    f"{TIER1_MIN_SCORE:.2f}"
                )
                score = floor
    worst = Severity.highest([a.severity for a in alerts])
    severity = Severity.highest([worst, severity_for(score)])
    if matches:
        top = matches[0]
        return Assessment(
            score=score,
            pattern=top.name,
            pattern_label=top.label,
            pattern_reasons=top.reasons + ([held] if held else []),
            other_patterns=[m.name for m in matches[1:]],
            contributions=items,
            severity=severity,
        )
    strongest = max(items, key=lambda c: c.weight)
    return Assessment(
        score=score,
        pattern=strongest.rule,
        pattern_label=None,
        pattern_reasons=[f"no named pattern; strongest signal: {strongest.label}"],
        other_patterns=[],
        contributions=items,
        severity=severity,
    )


def incident_title(assessment: Assessment, worst_alert_title: str, site: Site | None) -> str:
    """'Theft in progress: Hall, Gallery' for a named pattern, else the worst alert's title."""
    if assessment.pattern_label is None:
        return worst_alert_title
    rooms: dict[str, None] = {}
    for c in assessment.contributions:
        if c.room and not c.suppressed:
            rooms[_room_name(c.room, site)] = None
    where = ", ".join(rooms)
    title = f"{assessment.pattern_label}: {where}" if where else assessment.pattern_label
    return title[:200]


def _room_name(room_id: str, site: Site | None) -> str:
    if site is None:
        return room_id
    try:
        return site.room(room_id).name
    except KeyError:
        return room_id
