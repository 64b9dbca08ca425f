"""Placing scenarios over a drill's days, and splitting a drill into parts."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from artguard.drill.result import DrillResult, FalseIncident, ScenarioOutcome
from artguard.drill.runner import DrillSpec, merge, split_days
from artguard.site import load_site
from artguard.triage.signals import site_closed
from artguard.twin.scenarios import SCENARIOS, scenario_names
from artguard.twin.site_day import SPACING, SiteDayError, build, default_start, plan, span
from artguard.twin.world import World

SITE = load_site("src/artguard/demo/site.yaml")
START = default_start(SITE)


@pytest.fixture(scope="module")
def three_days() -> tuple[list, list]:
    return plan(SITE, START, START + timedelta(days=3), scenario_names(), repeat=3, seed=7)


def test_every_scenario_is_placed_repeat_times_when_it_fits(three_days: tuple) -> None:
    injections, failed = three_days
    assert failed == []
    counts = {n: sum(i.scenario == n for i in injections) for n in scenario_names()}
    assert set(counts.values()) == {3}, counts
    for injection in injections:
        when = SCENARIOS[injection.scenario].when
        closed = site_closed(SITE, injection.at)
        assert when == "any" or closed == (when == "closed"), injection


def test_attacks_start_apart_and_end_before_the_drill(three_days: tuple) -> None:
    injections, _ = three_days
    scratch = World(SITE, START, seed=7)
    spans = sorted(span(scratch, i.scenario, i.at) for i in injections)
    starts = [first for first, _ in spans]
    assert all(b - a >= SPACING for a, b in itertools.pairwise(starts))
    assert max(last for _, last in spans) <= START + timedelta(days=3)
    assert min(starts) >= START


def test_plan_is_deterministic_for_a_seed() -> None:
    end = START + timedelta(days=1)
    names = scenario_names()
    assert plan(SITE, START, end, names, seed=3) == plan(SITE, START, end, names, seed=3)
    assert plan(SITE, START, end, names, seed=3) != plan(SITE, START, end, names, seed=4)


def test_no_attack_straddles_a_cut() -> None:
    cut = START + timedelta(days=1)
    injections, _ = plan(
        SITE, START, START + timedelta(days=2), scenario_names(), repeat=2, seed=1, cuts=[cut]
    )
    scratch = World(SITE, START, seed=1)
    for injection in injections:
        first, last = span(scratch, injection.scenario, injection.at)
        assert not (min(injection.at, first) < cut <= last), injection


def test_a_scenario_that_cannot_fit_is_reported_not_placed() -> None:
    # two hours of a closed night: no opening hours for an "open" scenario
    open_ones = [n for n in scenario_names() if SCENARIOS[n].when == "open"]
    injections, failed = plan(SITE, START, START + timedelta(hours=2), open_ones[:1], seed=1)
    assert injections == [] and failed and open_ones[0] in failed[0]


def test_bad_inputs_name_the_value() -> None:
    with pytest.raises(SiteDayError, match="no_such_attack"):
        plan(SITE, START, START + timedelta(days=1), ["no_such_attack"])
    with pytest.raises(SiteDayError, match=r"days must be more than 0 \(got 0\)"):
        build(SITE, START, 0, 1)
    with pytest.raises(SiteDayError, match="repeat must be at least 1"):
        plan(SITE, START, START + timedelta(days=1), [], repeat=0)


def test_split_days_and_merge_the_parts() -> None:
    assert split_days(START, 2.5) == [
        (START, 1.0),
        (START + timedelta(days=1), 1.0),
        (START + timedelta(days=2), 0.5),
    ]

    def part(day: int, detected: bool, false: int) -> DrillResult:
        at = START + timedelta(days=day, hours=3)
        outcome = ScenarioOutcome(
            "s", at, ["r"], detected, 5.0 if detected else None, None, None, None, None
        )
        falses = [
            FalseIncident(f"f{day}{k}", "p", 0.5, "page_guard", None, at, "t") for k in range(false)
        ]
        return DrillResult(
            "demo-museum", 1, 1.0, START + timedelta(days=day), START + timedelta(days=day + 1),
            [outcome], falses, 100, 1.0, extra={"badges": 2, "injections": [{"scenario": "s"}]},
        )  # fmt: skip

    spec = DrillSpec(SITE, days=2.0, seed=1, scenarios=["s"])
    merged = merge([part(0, True, 1), part(1, False, 2)], spec)
    assert merged.days == 2.0 and merged.events == 200
    assert merged.start == START and merged.end == START + timedelta(days=2)
    assert merged.detection_rate == 0.5 and len(merged.false_incidents) == 3
    assert merged.false_per_day() == {"page_guard": 1.5}
    assert merged.extra["badges"] == 4 and len(merged.extra["injections"]) == 2
