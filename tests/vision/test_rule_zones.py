"""Restricted zones and after-hours presence on hand-made detections in the demo museum."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.events import Alert, Detection, Severity, TrackedObject
from artguard.rules.base import Rule
from artguard.site import Site, load_site
from artguard.vision.rules.zones import AfterHoursPresenceRule, RestrictedZoneRule
from tests.site.helpers import DEMO_SITE

MONDAY_NIGHT = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 02:00 in London, all closed
TUESDAY_NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # galleries open 10:00-18:00
TUESDAY_CLOSING = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


def standing(track: int | None, feet: tuple[float, float], **kw: object) -> TrackedObject:
    x, y = feet
    return TrackedObject(track_id=track, confidence=0.8, bbox=(x - 40, y - 300, x + 40, y), **kw)  # type: ignore[arg-type]


def frames(
    camera: str, start: datetime, seconds: float, *objects: TrackedObject, step: float = 0.5
) -> list[Detection]:
    n = round(seconds / step) + 1
    return [
        Detection(
            device_id=camera, site_time=start + timedelta(seconds=i * step), objects=list(objects)
        )
        for i in range(n)
    ]


def feed(rule: Rule, events: list[Detection]) -> list[Alert]:
    return [alert for event in events for alert in rule.on_event(event)]


# cam-court's "Roof-lantern service hatch" [[1500, 40], [1880, 40], [1880, 260], [1500, 260]]
# is restricted at all times; cam-vault's "Painting racks" during the night shift only.
HATCH = (1700.0, 200.0)
RACKS = (300.0, 600.0)


def test_a_person_in_a_restricted_zone_is_one_alert(site: Site) -> None:
    rule = RestrictedZoneRule(site)
    alerts = feed(rule, frames("cam-court", TUESDAY_NOON, 10.0, standing(5, HATCH)))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "restricted_zone"
    assert alert.room_id == "sculpture-court"  # placed through the camera's homography
    assert alert.severity == Severity.high  # security level 2
    assert alert.site_time - alert.first_event_time == timedelta(seconds=1)
    assert alert.evidence["zone_id"] == "z-court-lantern"
    assert alert.dedup_key == "restricted_zone:z-court-lantern"
    assert "Roof-lantern service hatch" in alert.reasons[0]
    assert "for 1.0 s" in alert.reasons[0] and "restricted at all times" in alert.reasons[0]


def test_one_frame_is_not_enough(site: Site) -> None:
    rule = RestrictedZoneRule(site)
    blip = frames("cam-court", TUESDAY_NOON, 0.5, standing(5, HATCH))  # two frames, 0.5 s
    assert feed(rule, blip) == []


def test_feet_outside_the_zone_do_not_count(site: Site) -> None:
    rule = RestrictedZoneRule(site)
    # A tall person standing just below the hatch: their box overlaps it, their feet do not.
    assert feed(rule, frames("cam-court", TUESDAY_NOON, 10.0, standing(5, (1700, 400)))) == []


def test_each_person_and_each_stay_alerts_once(site: Site) -> None:
    rule = RestrictedZoneRule(site)
    alerts = feed(
        rule, frames("cam-court", TUESDAY_NOON, 5.0, standing(1, HATCH), standing(2, HATCH))
    )
    later = TUESDAY_NOON + timedelta(minutes=2)  # person 1 comes back after leaving
    alerts += feed(rule, frames("cam-court", later, 5.0, standing(1, HATCH)))
    assert [a.evidence["track_id"] for a in alerts] == [1, 2, 1]


def test_a_scheduled_zone_applies_only_in_its_schedule(site: Site) -> None:
    rule = RestrictedZoneRule(site)
    assert feed(rule, frames("cam-vault", TUESDAY_NOON, 5.0, standing(1, RACKS))) == []
    alerts = feed(rule, frames("cam-vault", MONDAY_NIGHT, 5.0, standing(1, RACKS)))
    assert len(alerts) == 1
    assert alerts[0].severity == Severity.critical  # the vault is security level 4
    assert alerts[0].room_id == "storage-vault"
    assert "Guards, night shift" in alerts[0].reasons[0]


def test_presence_in_a_closed_gallery_is_an_after_hours_alert(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    alerts = feed(rule, frames("cam-g1", MONDAY_NIGHT, 4.0, standing(9, (900, 800))))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "after_hours_presence" and alert.room_id == "gallery-1"
    assert alert.severity == Severity.high
    assert alert.dedup_key == "after_hours_presence:gallery-1"
    assert "closed to the public" in alert.reasons[0] and "02:00:00" in alert.reasons[0]


def test_no_after_hours_alert_while_open_or_just_after_closing(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    assert feed(rule, frames("cam-g1", TUESDAY_NOON, 4.0, standing(9, (900, 800)))) == []
    leaving = TUESDAY_CLOSING + timedelta(minutes=5)  # within the 10 min grace
    assert feed(rule, frames("cam-g1", leaving, 4.0, standing(9, (900, 800)))) == []
    hiding = TUESDAY_CLOSING + timedelta(minutes=15)
    assert len(feed(rule, frames("cam-g1", hiding, 4.0, standing(9, (900, 800))))) == 1


def test_staff_rooms_are_left_to_zones_and_access_control(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    assert feed(rule, frames("cam-corridor", MONDAY_NIGHT, 4.0, standing(1, (600, 500)))) == []


def test_the_room_comes_from_the_floor_position_when_known(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    in_court = standing(3, (900, 300), floor_xy=(20.0, 20.0))  # cam-hall also sees the court
    alerts = feed(rule, frames("cam-hall", MONDAY_NIGHT, 2.0, in_court))
    assert [a.room_id for a in alerts] == ["sculpture-court"]
    in_hall = standing(4, (900, 900))  # no floor position: the camera's home room
    alerts = feed(rule, frames("cam-hall", MONDAY_NIGHT, 2.0, in_hall))
    assert [a.room_id for a in alerts] == ["entrance-hall"]
    assert alerts[0].severity == Severity.medium  # the hall is security level 1
