"""Scoring ground truth against incidents, with hand-made truths and incidents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.drill import gate
from artguard.drill.result import DrillResult
from artguard.drill.score import (
    AlertSeen,
    IncidentSeen,
    Scored,
    Watched,
    detection,
    score,
    to_result,
)
from artguard.site import load_site
from artguard.twin.truth import GroundTruth

SITE = load_site("src/artguard/demo/site.yaml")
T0 = datetime(2026, 6, 3, 2, 0, tzinfo=UTC)


def s(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def alert(
    rule: str, room: str | None, *times: float, artwork: str | None = None, **kw
) -> AlertSeen:
    return AlertSeen(
        id=f"a-{rule}-{room}-{times[0]}",
        rule=rule,
        room_id=room,
        artwork_id=artwork,
        device_id=kw.pop("device", "dev"),
        times=tuple(s(t) for t in times),
        **kw,
    )


def incident(iid: str, pattern: str, *alerts: AlertSeen, tier: str = "page_guard") -> IncidentSeen:
    return IncidentSeen(
        id=iid,
        pattern=pattern,
        score=0.8,
        tier=tier,
        title=f"{pattern} {iid}",
        room_id=alerts[0].room_id,
        alerts=alerts,
    )


THEFT = GroundTruth(
    scenario="theft_attempt",
    start=T0,
    rooms=("gallery-1",),
    patterns=("theft_in_progress",),
    rules=("sensor_threshold", "barrier_breach"),
    artwork="aw-turner",
)


def test_detected_by_the_right_pattern_rule_and_place_with_time_to_detect() -> None:
    found = [
        incident(
            "i1",
            "theft_in_progress",
            alert("door_forced", "gallery-1", 2),  # not one of the truth's rules
            alert("sensor_threshold", "gallery-1", 40, 9),  # 9 s is the first in the window
        )
    ]
    result = score([THEFT], found, SITE)
    (o,) = result.scenarios
    assert o.detected and o.incident_id == "i1" and o.pattern == "theft_in_progress"
    assert o.time_to_detect_s == 9
    assert o.rules == ["door_forced", "sensor_threshold"] and o.tier == "page_guard"
    assert result.false_incidents == []


def test_artwork_counts_as_the_place_even_in_another_room() -> None:
    found = [
        incident("i1", "theft_in_progress", alert("sensor_threshold", None, 5, artwork="aw-turner"))
    ]
    assert detection(THEFT, found, SITE) is not None


def test_wrong_pattern_is_a_miss_that_names_the_pattern_seen() -> None:
    found = [incident("i1", "touching_artwork", alert("sensor_threshold", "gallery-1", 5))]
    (o,) = score([THEFT], found, SITE).scenarios
    assert not o.detected and o.time_to_detect_s is None
    assert "pattern touching_artwork, expected theft_in_progress" in (o.why_missed or "")
    assert "i1" in (o.why_missed or "")


def test_wrong_rule_wrong_room_and_late_alerts_are_misses_with_reasons() -> None:
    late = THEFT.window.total_seconds() + 60
    cases = {
        "rule door_forced": alert("door_forced", "gallery-1", 5),
        "place gallery-2": alert("sensor_threshold", "gallery-2", 5),
        "outside the": alert("sensor_threshold", "gallery-1", late),
    }
    for expected, seen in cases.items():
        (o,) = score([THEFT], [incident("i1", "theft_in_progress", seen)], SITE).scenarios
        assert not o.detected, expected
        assert expected in (o.why_missed or ""), (expected, o.why_missed)


def test_nothing_fired_is_said_so() -> None:
    far = incident("i9", "theft_in_progress", alert("sensor_threshold", "gallery-1", 86_400))
    (o,) = score([THEFT], [far], SITE).scenarios
    assert not o.detected and (o.why_missed or "").startswith("nothing fired")


def test_any_rule_when_the_truth_names_none_and_door_matches_by_device() -> None:
    door = SITE.doors[0]
    truth = GroundTruth(
        scenario="forced_door",
        start=T0,
        rooms=("nowhere",),
        patterns=("after_hours_intrusion",),
        door=door.id,
    )
    device = (door.contact or door.id) if door.contact else door.id
    found = [incident("i1", "after_hours_intrusion", alert("whatever", None, 3, device=device))]
    assert detection(truth, found, SITE) is not None


def test_unexplained_incidents_are_false_with_tier_and_nuisance_named() -> None:
    nuisance = GroundTruth(
        scenario="wheelchair_door",
        start=s(3_600),
        rooms=("entrance-hall",),
        patterns=(),
        attack=False,
    )
    found = [
        incident("hit", "theft_in_progress", alert("sensor_threshold", "gallery-1", 5)),
        # next door to the theft, in its window: explained by it, not false
        incident("side", "after_hours_intrusion", alert("motion", "entrance-hall", 30), tier="log"),
        incident("wc", "tailgating", alert("door_held_open", "entrance-hall", 3_610)),
        incident(
            "noise",
            "environmental_risk",
            alert("sensor_learned", "gallery-2", 7_200),
            tier="dashboard",
        ),
    ]
    result = score([THEFT, nuisance], found, SITE)
    assert [o.scenario for o in result.scenarios] == ["theft_attempt"]  # nuisances not scored
    assert {f.incident_id: f.tier for f in result.false_incidents} == {
        "wc": "page_guard",
        "noise": "dashboard",
    }
    assert result.false_causes == {"wc": "wheelchair_door"}
    (row,) = result.nuisances
    assert row["high_risk"] is True and row["incidents"][0]["id"] == "wc"


def _drill(scored: Scored, days: float = 1) -> DrillResult:
    """A drill result of ``days`` around ``scored`` (the other figures do not matter here)."""
    end = s(days * 86_400)
    return to_result(
        scored, site_id="x", seed=1, days=days, start=T0, end=end, events=10, wall_seconds=1
    )


def test_gate_counts_high_risk_by_tier_per_site_day() -> None:
    found = [
        incident("hit", "theft_in_progress", alert("sensor_threshold", "gallery-1", 5)),
        incident("f1", "tailgating", alert("tailgating", "office", 9_000), tier="page_guard"),
        incident("f2", "tailgating", alert("tailgating", "office", 19_000), tier="supervisor"),
        incident("f3", "tailgating", alert("tailgating", "office", 29_000), tier="dashboard"),
    ]
    scored = score([THEFT], found, SITE)

    one_day, two_days = _drill(scored, 1), _drill(scored, 2)
    assert gate.false_high_risk_per_day(one_day) == 2
    assert gate.false_high_risk_per_day(two_days) == 1
    assert not gate.evaluate(one_day).passed  # 2 > 1 per day
    assert gate.evaluate(two_days).passed  # 100% detected, 1 per day
    assert one_day.false_per_day() == {"dashboard": 1, "page_guard": 1, "supervisor": 1}


@pytest.mark.parametrize(
    "tier, high",
    [("log", False), ("dashboard", False), ("page_guard", True), ("lockdown", True), (None, False)],
)
def test_high_risk_starts_at_paging_a_guard(tier: str | None, high: bool) -> None:
    assert gate.is_high_risk(tier) is high


def test_gate_fails_a_drill_without_attacks_and_one_below_the_rate() -> None:
    empty = _drill(score([], [], SITE))
    assert not gate.evaluate(empty).passed
    truths = [
        GroundTruth(
            scenario=f"t{i}",
            start=s(i * 3_600),
            rooms=("gallery-1",),
            patterns=("theft_in_progress",),
        )
        for i in range(20)
    ]
    found = [
        incident(f"i{i}", "theft_in_progress", alert("x", "gallery-1", i * 3_600 + 1))
        for i in range(19)
    ]
    nineteen = _drill(score(truths, found, SITE))
    assert nineteen.detection_rate == 0.95 and gate.evaluate(nineteen).passed
    eighteen = _drill(score(truths, found[:18], SITE))
    assert not gate.evaluate(eighteen).passed


CASING = GroundTruth(
    scenario="casing",
    start=T0,
    rooms=("gallery-3",),
    patterns=(),
    artwork="aw-rothko-light-red",
    window=timedelta(minutes=20),
    details={"watch_reason": "circling"},
)


def test_a_truth_without_pattern_is_detected_by_a_watch_flag_for_its_reason() -> None:
    flags = [
        Watched(s(30), "gallery-3", ("lingering",)),  # not the reason named
        Watched(s(400), "gallery-2", ("circling",)),  # another room
        Watched(s(500), "gallery-3", ("lingering", "circling")),
        Watched(s(600), "gallery-3", ("circling",)),
    ]
    (o,) = score([CASING], [], SITE, flags).scenarios
    assert o.detected and o.time_to_detect_s == 500
    assert o.pattern == "watch:circling" and o.incident_id is None and o.tier is None


def test_a_missed_watch_names_the_flags_seen_nearby() -> None:
    flags = [
        Watched(s(30), "gallery-3", ("lingering",)),
        Watched(s(5_000), "gallery-3", ("circling",)),
    ]
    (o,) = score([CASING], [], SITE, flags).scenarios
    assert not o.detected
    assert "no visitor watch flag for circling in gallery-3" in (o.why_missed or "")
    assert "gallery-3 lingering" in (o.why_missed or "")


def test_a_long_window_explains_only_incidents_of_its_kind_after_the_first_half_hour() -> None:
    drift = GroundTruth(
        scenario="humidity_drift",
        start=T0,
        rooms=("gallery-2",),
        patterns=("environmental_risk",),
        rules=("climate_drift",),
        window=timedelta(hours=6),
    )
    found = [
        incident("early", "after_hours_intrusion", alert("motion", "gallery-2", 600)),
        incident("drift", "environmental_risk", alert("climate_drift", "gallery-2", 10_000)),
        incident("guard", "after_hours_intrusion", alert("motion", "gallery-2", 10_800)),
    ]
    result = score([drift], found, SITE)
    assert result.scenarios[0].detected
    assert [f.incident_id for f in result.false_incidents] == ["guard"]


def test_repeats_heard_on_the_bus_keep_their_own_times() -> None:
    from types import SimpleNamespace

    from artguard.drill.score import Raised, _times_by_row

    def row(rid: str, key: str, first: float, last: float) -> SimpleNamespace:
        return SimpleNamespace(
            id=rid, dedup_key=key, first_event_time=s(first), last_seen_time=s(last)
        )

    rows = [row("a", "touch:aw-1", 0, 7_200), row("b", "door:d-1", 10, 10)]
    raised = [
        Raised("a", "touch:aw-1", s(1)),
        Raised("a2", "touch:aw-1", s(3_600)),  # a repeat: stored on row a only as last seen
        Raised("a3", "touch:aw-1", s(7_200)),
        Raised("b", "door:d-1", s(10)),
    ]
    times = _times_by_row(rows, raised)
    assert times["a"] == (s(1), s(3_600), s(7_200))
    assert times["b"] == (s(10),)
    assert _times_by_row(rows, [])["a"] == (s(7_200),)  # without the bus: the last sighting
