"""Virtual barrier on hand-made detections in the demo museum: reaching, near, body, timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from artguard.bus import MemoryBus
from artguard.events import Alert, Detection, EventBase, Severity, TrackedObject
from artguard.rules.engine import RuleEngine
from artguard.site import Site, load_site
from artguard.vision.rules import vision_rules
from artguard.vision.rules.barrier import BarrierRule
from tests.site.helpers import DEMO_SITE

T0 = datetime(2026, 7, 7, 11, 0, tzinfo=UTC)  # a Tuesday, galleries open
# cam-g2 sees Ophelia (tier 4) inside [[820, 240], [1120, 240], [1120, 460], [820, 460]]
# and Carnation, Lily, Lily, Rose (tier 3) inside [[200, 300], [480, 320], [480, 760], [200, 780]].


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


def skeleton(
    box: tuple[float, float, float, float],
    *,
    left_wrist: tuple[float, float] | None = None,
    left_elbow: tuple[float, float] | None = None,
    score: float = 0.9,
) -> list[tuple[float, float, float]]:
    """COCO-17 keypoints of a person standing upright in ``box``, arms down by default."""
    x1, y1, x2, y2 = box
    w, h, cx = x2 - x1, y2 - y1, (x1 + x2) / 2

    def at(dx: float, dy: float) -> tuple[float, float, float]:
        return (cx + dx * w, y1 + dy * h, score)

    points = [
        at(0, 0.08),  # nose
        at(-0.05, 0.06),
        at(0.05, 0.06),
        at(-0.1, 0.07),
        at(0.1, 0.07),
        at(-0.2, 0.2),  # shoulders
        at(0.2, 0.2),
        at(-0.25, 0.35),  # elbows
        at(0.25, 0.35),
        at(-0.25, 0.5),  # wrists
        at(0.25, 0.5),
        at(-0.12, 0.55),  # hips
        at(0.12, 0.55),
        at(-0.1, 0.75),  # knees
        at(0.1, 0.75),
        at(-0.1, 0.98),  # ankles
        at(0.1, 0.98),
    ]
    if left_wrist is not None:
        points[9] = (*left_wrist, score)
    if left_elbow is not None:
        points[7] = (*left_elbow, score)
    return points


def person(track: int | None, box: tuple[float, float, float, float], **kw: Any) -> TrackedObject:
    keypoints = kw.pop("keypoints", None)
    return TrackedObject(track_id=track, confidence=0.88, bbox=box, keypoints=keypoints, **kw)


# A visitor to the right of Ophelia stretching their left arm into its barrier.
REACH_BOX = (1080.0, 300.0, 1300.0, 900.0)
REACHING = skeleton(REACH_BOX, left_wrist=(1095, 420), left_elbow=(1130, 440))
# A visitor standing in front of Ophelia (seen over it by the camera), arms down.
NEAR_BOX = (900.0, 250.0, 1060.0, 900.0)


def frame(seconds: float, *objects: TrackedObject, camera: str = "cam-g2") -> Detection:
    return Detection(
        device_id=camera, site_time=T0 + timedelta(seconds=seconds), objects=list(objects)
    )


def feed(rule: BarrierRule, events: list[Detection]) -> list[Alert]:
    return [alert for event in events for alert in rule.on_event(event)]


def reach(track: int, start: float, seconds: float, step: float = 0.2) -> list[Detection]:
    n = round(seconds / step) + 1
    return [frame(start + i * step, person(track, REACH_BOX, keypoints=REACHING)) for i in range(n)]


def test_reaching_wrist_for_the_minimum_time_is_one_alert(site: Site) -> None:
    rule = BarrierRule(site)
    early = feed(rule, reach(7, 0.0, 0.4))
    assert early == []  # 0.4 s inside: not yet a touch (the minimum is 0.5 s)
    alerts = feed(rule, reach(7, 0.6, 3.0))  # the same lean-in goes on for 3 more seconds
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "virtual_barrier"
    assert alert.artwork_id == "aw-millais-ophelia" and alert.room_id == "gallery-2"
    assert alert.severity == Severity.high  # tier 4
    assert alert.first_event_time == T0
    assert alert.site_time == T0 + timedelta(seconds=0.6)
    assert alert.dedup_key == "virtual_barrier:aw-millais-ophelia"
    assert alert.evidence["contact"] == "reaching"
    assert alert.evidence["keypoints"] == "left wrist"
    assert alert.evidence["seconds_inside"] == pytest.approx(0.6)
    assert alert.evidence["depth_px"] == pytest.approx(25, abs=1)  # 1120 - 1095
    assert alert.evidence["speaker"] == "spk-g2"
    assert alert.evidence["track_id"] == 7
    assert "left wrist inside for 0.6 s" in alert.reasons[0]
    assert "Ophelia" in alert.reasons[0] and "25 px past its edge" in alert.reasons[0]
    assert "value tier 4 (masterpiece)" in alert.reasons[1]


def test_a_hand_passing_through_is_not_a_touch(site: Site) -> None:
    rule = BarrierRule(site)
    events = [*reach(3, 0.0, 0.2), frame(0.4, person(3, REACH_BOX, keypoints=skeleton(REACH_BOX)))]
    events += [
        frame(2.0 + i, person(3, REACH_BOX, keypoints=skeleton(REACH_BOX))) for i in range(5)
    ]
    assert feed(rule, events) == []


def test_standing_near_is_no_alert_with_or_without_keypoints(site: Site) -> None:
    rule = BarrierRule(site)
    with_pose = [
        frame(i * 0.2, person(1, NEAR_BOX, keypoints=skeleton(NEAR_BOX))) for i in range(50)
    ]
    box_only = [frame(20 + i * 0.2, person(2, NEAR_BOX)) for i in range(50)]
    assert feed(rule, with_pose + box_only) == []


def test_cooldown_makes_one_alert_per_lean_in(site: Site) -> None:
    rule = BarrierRule(site)
    alerts = feed(rule, reach(7, 0.0, 2.0))  # leans in
    alerts += feed(rule, reach(7, 5.0, 2.0))  # steps back, leans in again 5 s later
    alerts += feed(rule, reach(7, 12.0, 2.0))  # and again
    assert len(alerts) == 1  # the cool-down (30 s) covers the same visitor's repeats
    alerts += feed(rule, reach(7, 40.0, 2.0))  # 40 s after the first alert: a new lean-in
    assert [a.site_time - T0 for a in alerts] == [timedelta(seconds=0.6), timedelta(seconds=40.6)]


def test_another_visitor_during_the_cooldown_is_another_touch(site: Site) -> None:
    rule = BarrierRule(site)
    alerts = feed(rule, reach(7, 0.0, 1.0)) + feed(rule, reach(8, 5.0, 1.0))
    assert [a.evidence["track_id"] for a in alerts] == [7, 8]


def test_a_flickering_keypoint_continues_the_same_lean_in(site: Site) -> None:
    rule = BarrierRule(site)
    low = skeleton(REACH_BOX, left_wrist=(1095, 420), left_elbow=(1130, 440), score=0.1)
    events = [
        frame(0.0, person(7, REACH_BOX, keypoints=REACHING)),
        frame(0.2, person(7, REACH_BOX, keypoints=REACHING)),
        frame(0.4, person(7, REACH_BOX, keypoints=low)),  # wrist score below 0.3: not seen
        frame(0.6, person(7, REACH_BOX, keypoints=REACHING)),
    ]
    alerts = feed(rule, events)
    assert len(alerts) == 1 and alerts[0].first_event_time == T0


def test_feet_inside_a_floor_barrier_alert_from_the_box_alone(site: Site) -> None:
    rule = BarrierRule(site)
    box = (300.0, 200.0, 400.0, 740.0)  # feet at (350, 740), inside the Sargent barrier
    alerts = feed(rule, [frame(i * 0.25, person(4, box)) for i in range(4)])
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.artwork_id == "aw-sargent-carnation"
    assert alert.evidence["contact"] == "body" and alert.evidence["keypoints"] == "feet"
    assert "judged from the person's box" in alert.reasons[0]


def test_other_classes_and_cameras_are_ignored(site: Site) -> None:
    rule = BarrierRule(site)
    bag = TrackedObject(
        track_id=1, class_name="backpack", confidence=0.9, bbox=(900, 300, 1000, 400)
    )
    events = [frame(i * 0.2, bag) for i in range(10)]
    events += [  # the same pixels on a camera that has no barrier there
        frame(5.0 + i * 0.2, person(2, REACH_BOX, keypoints=REACHING), camera="cam-corridor")
        for i in range(10)
    ]
    assert feed(rule, events) == []


@pytest.mark.parametrize(
    ("tier", "severity"),
    [(1, Severity.low), (2, Severity.medium), (3, Severity.high), (4, Severity.high)],
)
def test_severity_follows_the_value_tier(site: Site, tier: int, severity: Severity) -> None:
    data = site.model_dump(by_alias=True)
    for art in data["artworks"]:
        if art["id"] == "aw-millais-ophelia":
            art["value_tier"] = tier
    rule = BarrierRule(Site.model_validate(data))
    alerts = feed(rule, reach(7, 0.0, 1.0))
    assert [a.severity for a in alerts] == [severity]


def test_per_artwork_minimum_time_and_cooldown_come_from_the_site(site: Site) -> None:
    data = site.model_dump(by_alias=True)
    for art in data["artworks"]:
        if art["id"] == "aw-millais-ophelia":
            art["barrier_min_seconds"] = 2.0
            art["barrier_cooldown_seconds"] = 5.0
    rule = BarrierRule(Site.model_validate(data))
    assert feed(rule, reach(7, 0.0, 1.8)) == []
    first = feed(rule, reach(7, 2.0, 1.0))  # continues the lean-in past 2 s
    again = feed(rule, reach(7, 10.0, 3.0))  # 8 s after the alert: past the 5 s cool-down
    assert len(first) == 1 and len(again) == 1
    assert again[0].first_event_time == T0 + timedelta(seconds=10)


async def test_the_rule_engine_publishes_barrier_alerts(site: Site) -> None:
    bus = MemoryBus()
    seen: list[EventBase] = []

    async def collect(event: EventBase) -> None:
        seen.append(event)

    bus.subscribe("test", collect, kinds={"alert"})
    engine = RuleEngine(bus, vision_rules(site))
    engine.attach()
    await bus.start()
    try:
        for event in reach(7, 0.0, 1.0):
            await bus.publish(event)
        await bus.drain()
    finally:
        await bus.stop()
    assert [a.rule for a in seen if isinstance(a, Alert)] == ["virtual_barrier"]
