"""Hand-made drill results for the store, HTML, API and report tests (no twin, no runner)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from artguard.drill.result import DrillResult, FalseIncident, ScenarioOutcome

START = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
FINISHED = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)


def hit(
    scenario: str,
    hour: float,
    ttd: float,
    pattern: str,
    score: float = 0.9,
    tier: str = "page_guard",
    rules: tuple[str, ...] = ("barrier_breach",),
    rooms: tuple[str, ...] = ("gallery-1",),
) -> ScenarioOutcome:
    return ScenarioOutcome(
        scenario=scenario,
        start=START + timedelta(hours=hour),
        rooms=list(rooms),
        detected=True,
        time_to_detect_s=ttd,
        incident_id=f"inc-{scenario}-{hour:g}",
        pattern=pattern,
        score=score,
        tier=tier,
        rules=list(rules),
    )


def miss(
    scenario: str, hour: float, why: str, rooms: tuple[str, ...] = ("vault",)
) -> ScenarioOutcome:
    return ScenarioOutcome(
        scenario=scenario,
        start=START + timedelta(hours=hour),
        rooms=list(rooms),
        detected=False,
        time_to_detect_s=None,
        incident_id=None,
        pattern=None,
        score=None,
        tier=None,
        why_missed=why,
    )


def false_incident(n: int, tier: str, score: float, title: str = "Door held open") -> FalseIncident:
    return FalseIncident(
        incident_id=f"false-{n}",
        pattern="tailgating",
        score=score,
        tier=tier,
        room="lobby",
        first_alert_time=START + timedelta(hours=5 + n),
        title=title,
    )


def drill(**changes: object) -> DrillResult:
    """A two-day drill: theft 3 of 3 detected (TTD 4, 6, 20 s), tailgating 1 of 2 (TTD 30 s),
    insider 0 of 1; three false incidents (one high-risk, score 0.8)."""
    values: dict[str, object] = dict(
        site_id="small-museum",
        seed=42,
        days=2.0,
        start=START,
        end=START + timedelta(days=2),
        scenarios=[
            hit("theft", 1, 4.0, "theft_in_progress", rules=("barrier_breach", "vibration")),
            hit("theft", 13, 6.0, "theft_in_progress"),
            hit("theft", 30, 20.0, "theft_in_progress", score=0.95, tier="supervisor"),
            hit(
                "tailgating",
                8,
                30.0,
                "tailgating",
                score=0.6,
                tier="dashboard",
                rules=("tailgate",),
            ),
            miss("tailgating", 32, "nothing fired"),
            miss("insider", 40, "closest incident inc-9 was in another room"),
        ],
        false_incidents=[
            false_incident(1, "dashboard", 0.5),
            false_incident(2, "dashboard", 0.55),
            false_incident(3, "page_guard", 0.8, title="Vibration at case 3"),
        ],
        events=123_456,
        wall_seconds=12.5,
        finished_time=FINISHED,
        extra={"note": "hand-made"},
    )
    values.update(changes)
    return DrillResult(**values)  # type: ignore[arg-type]
