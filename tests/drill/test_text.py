"""The printed drill table: per scenario, false incidents, overall figures and the gate."""

from __future__ import annotations

from datetime import timedelta

from artguard.drill import gate, text
from artguard.drill.result import DrillResult, FalseIncident, ScenarioOutcome
from tests.drill.test_score import T0, s


def result() -> DrillResult:
    hit = ScenarioOutcome(
        "theft_attempt", s(0), ["gallery-1"], True, 4.0, "inc-1", "theft_in_progress", 0.93,
        "supervisor", ["barrier_breach"],
    )  # fmt: skip
    slow = ScenarioOutcome(
        "humidity_drift", s(7_200), ["gallery-2"], True, 10_440.0, "inc-2",
        "environmental_risk", 0.15, "dashboard",
    )  # fmt: skip
    miss = ScenarioOutcome(
        "casing", s(3_600), ["gallery-3"], False, None, None, None, None, None,
        why_missed="nothing fired from 01:30 to 02:20",
    )  # fmt: skip
    false = [
        FalseIncident("inc-9", "after_hours_intrusion", 0.7, "page_guard", "gallery-2",
                      s(9_000), "Intrusion"),
        FalseIncident("inc-8", "door_held_open", 0.17, "dashboard", None, s(9_500), "Door held"),
    ]  # fmt: skip
    return DrillResult(
        "demo-museum", 7, 2.0, T0, T0 + timedelta(days=2), [hit, slow, miss], false, 1234, 10.0,
        extra={"speedup": 17280.0, "false_causes": {"inc-8": "wheelchair_door"},
               "nuisances": [{"incidents": [{"id": "inc-8"}], "high_risk": False}]},
    )  # fmt: skip


def test_table_lists_each_attack_with_ttd_pattern_score_and_tier_and_why_missed() -> None:
    lines = text.render(result())
    table = "\n".join(lines)
    theft = next(line for line in lines if line.startswith("theft_attempt"))
    assert "yes" in theft and "4 s" in theft and "theft_in_progress" in theft
    assert "0.93" in theft and "supervisor" in theft
    assert "2.9 h" in next(line for line in lines if line.startswith("humidity_drift"))
    casing = next(line for line in lines if line.startswith("casing"))
    assert " NO " in casing
    assert "missed: nothing fired from 01:30 to 02:20" in table
    assert "[nuisance: wheelchair_door]" in table


def test_overall_figures_and_gate() -> None:
    r = result()
    table = "\n".join(text.render(r, gate.evaluate(r)))
    assert "detection rate        66.7% (2 of 3 attacks)" in table
    assert "false incidents/day   dashboard 0.50, page_guard 0.50 (2 over 2 site-day(s))" in table
    assert "false high-risk/day   0.50 (tier page_guard+)" in table
    assert "time to detect        median 87.0 min, p90 2.6 h" in table
    assert "events fed            1234" in table
    assert "wall time             10.0 s (x17,280 real time)" in table
    assert "nuisances             1 simulated, 1 raised an incident, 0 high-risk" in table
    assert "gate                  FAIL" in table and "FAIL detection rate" in table


def test_percentile_interpolates() -> None:
    assert text.percentile([], 0.9) is None
    assert text.percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == 9.1
