"""The drill runner drives the real pipeline: a scripted forced door at night becomes an
after-hours intrusion incident, scored with its time to detect; badges are decided by access
control (a failed face is a denial) and the requester's follow-up runs on the answer."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest

from artguard.events import AccessAttempt, AccessDecision, DoorState
from artguard.site import load_site
from artguard.twin.scenarios import SCENARIOS, scenario
from artguard.twin.truth import GroundTruth
from artguard.twin.world import World

SITE = load_site("src/artguard/demo/site.yaml")
answers: list[AccessDecision] = []


def _forced_staff_door(world: World, at: datetime) -> None:
    door = world.site.door("d-staff-entrance")
    world.emit(DoorState(device_id=door.contact, site_time=at, door_id=door.id, contact="open"))
    world.emit(
        DoorState(
            device_id=door.contact,
            site_time=at + timedelta(seconds=20),
            door_id=door.id,
            contact="closed",
        )
    )
    world.record(
        GroundTruth(
            scenario="test_forced_door",
            start=at,
            rooms=(door.to_room,),
            patterns=("after_hours_intrusion",),
            rules=("door_forced",),
            door=door.id,
        )
    )


def _face_failed_badge(world: World, at: datetime) -> None:
    attempt = AccessAttempt(device_id="r-vault-out", site_time=at, credential_id="card-1001")
    world.badge(
        attempt,
        on_grant=lambda when, d: answers.append(d),
        on_deny=lambda when, d: answers.append(d),
        face_failed="photo held to the camera",
    )


@pytest.fixture
def test_scenarios() -> Iterator[None]:
    answers.clear()
    scenario("test_forced_door", "a door forced at night", when="closed")(_forced_staff_door)
    scenario("test_face_failed", "a badge whose face check fails")(_face_failed_badge)
    try:
        yield
    finally:
        SCENARIOS.pop("test_forced_door", None)
        SCENARIOS.pop("test_face_failed", None)


async def test_forced_door_is_detected_through_the_real_pipeline(test_scenarios: None) -> None:
    from artguard.drill.runner import DrillSpec, run_drill

    spec = DrillSpec(
        SITE,
        days=0.2,
        seed=3,
        scenarios=["test_forced_door", "test_face_failed"],
        repeat=2,
        behaviours=(),  # the scenarios alone: nothing else badges or opens doors
    )
    result = await run_drill(spec)

    forced = [o for o in result.scenarios if o.scenario == "test_forced_door"]
    assert len(forced) == 2  # both repeats injected, recorded and scored
    for outcome in forced:
        assert outcome.detected, outcome.why_missed
        assert outcome.pattern == "after_hours_intrusion"
        assert "door_forced" in outcome.rules
        assert outcome.time_to_detect_s is not None and 0 <= outcome.time_to_detect_s <= 2
        assert outcome.tier in {"page_guard", "supervisor", "lockdown"}  # never below its minimum
    assert result.detection_rate == 1.0
    # nobody closed the first incident: the second forcing is a repeat of its cause, scored
    # by the time the runner heard it raised
    assert forced[0].incident_id == forced[1].incident_id
    assert result.extra["injections"] and result.extra["no_truth"] == ["test_face_failed"]
    assert result.events >= 4 + 2  # four door states and two badges
    assert result.extra["badges"] == 2

    # the failed face was decided as AccessService.decide_with_face decides it: a denial
    assert [d.outcome for d in answers] == ["deny", "deny"]
    assert all("face.failed" in d.rules for d in answers)
    assert all(any("photo held" in r for r in d.reasons) for d in answers)


async def test_a_simulated_operator_closes_incidents_with_the_truths_verdict(
    test_scenarios: None,
) -> None:
    from artguard.drill.runner import DrillSpec, run_drill

    spec = DrillSpec(
        SITE,
        days=0.2,
        seed=3,
        scenarios=["test_forced_door"],
        repeat=2,
        behaviours=(),
        operator_after=timedelta(minutes=10),
    )
    result = await run_drill(spec)
    first, second = result.scenarios
    assert first.detected and second.detected
    # the first incident was resolved before the second attack: it opened its own
    assert first.incident_id != second.incident_id
    assert result.extra["operator_closed"] == {"resolve": 2}
    assert result.false_incidents == []
