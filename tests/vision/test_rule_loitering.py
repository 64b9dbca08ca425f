"""Loitering per track on hand-made detections: cam-g2's staff-door zone allows 90 s."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.events import Alert, Detection, Severity, TrackedObject
from artguard.site import Site, load_site
from artguard.vision.rules.loitering import LoiteringRule
from tests.site.helpers import DEMO_SITE

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
DOOR = (1350.0, 900.0)  # feet inside [[1200, 700], [1500, 700], [1500, 1000], [1200, 1000]]
AWAY = (600.0, 900.0)


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


def at(track: int | None, feet: tuple[float, float]) -> TrackedObject:
    x, y = feet
    return TrackedObject(track_id=track, confidence=0.8, bbox=(x - 40, y - 300, x + 40, y))


def second(s: float, *objects: TrackedObject, camera: str = "cam-g2") -> Detection:
    return Detection(device_id=camera, site_time=T0 + timedelta(seconds=s), objects=list(objects))


def feed(rule: LoiteringRule, events: list[Detection]) -> list[Alert]:
    return [alert for event in events for alert in rule.on_event(event)]


def test_staying_past_the_limit_is_one_alert(site: Site) -> None:
    rule = LoiteringRule(site)
    alerts = feed(rule, [second(s, at(4, DOOR)) for s in range(0, 200)])
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "loitering" and alert.room_id == "gallery-2"
    assert alert.site_time == T0 + timedelta(seconds=90)
    assert alert.first_event_time == T0
    assert alert.evidence == {
        "camera_id": "cam-g2",
        "zone_id": "z-g2-staff-door",
        "track_id": 4,
        "dwell_seconds": 90.0,
        "limit_seconds": 90.0,
    }
    assert alert.severity == Severity.low  # a gallery; the corridor's zone would be medium
    assert "stayed in 'In front of the staff door' for 90 s" in alert.reasons[0]


def test_dwell_is_per_track_not_per_zone(site: Site) -> None:
    rule = LoiteringRule(site)
    # A stream of visitors, each passing the door in 20 s: the zone is never empty for
    # 150 s, yet nobody loiters.
    events = [second(s, at(s // 20, DOOR)) for s in range(0, 150)]
    assert feed(rule, events) == []


def test_a_short_disappearance_keeps_the_dwell_a_long_one_restarts_it(site: Site) -> None:
    rule = LoiteringRule(site)
    hidden = [second(s, at(4, DOOR)) for s in range(0, 60)]
    hidden += [second(s, at(7, AWAY)) for s in range(60, 63)]  # track 4 unseen for 3 s
    hidden += [second(s, at(4, DOOR)) for s in range(63, 95)]
    assert len(feed(rule, hidden)) == 1

    rule = LoiteringRule(site)
    left = [second(s, at(4, DOOR)) for s in range(0, 60)]
    left += [second(s, at(4, AWAY)) for s in range(60, 70)]  # walks off for 10 s
    left += [second(s, at(4, DOOR)) for s in range(70, 140)]  # 70 s more: 130 s in all
    assert feed(rule, left) == []


def test_untracked_people_and_zones_of_other_cameras_are_ignored(site: Site) -> None:
    rule = LoiteringRule(site)
    assert feed(rule, [second(s, at(None, DOOR)) for s in range(0, 200)]) == []
    assert feed(rule, [second(s, at(1, DOOR), camera="cam-g1") for s in range(0, 200)]) == []


def test_the_corridor_zone_is_medium_severity(site: Site) -> None:
    rule = LoiteringRule(site)
    vault_door = (880.0, 400.0)  # cam-corridor's "Outside the vault door", 120 s
    alerts = feed(rule, [second(s, at(2, vault_door), camera="cam-corridor") for s in range(130)])
    assert [(a.severity, a.evidence["limit_seconds"]) for a in alerts] == [(Severity.medium, 120.0)]
