"""Staff on shift who badged nearby explain after-hours sightings, in the demo museum.

Grace Mensah (p-005) and Liam Byrne (p-006) are guards on the night shift (22:00-06:00), Amelia
Hart (p-001) on the early shift (06:00-14:00). November in London is UTC, so these UTC times
are the guards' clock times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.events import AccessDecision, Alert, Detection, EventBase, Severity, TrackedObject
from artguard.rules.base import Rule
from artguard.site import Site, load_site
from artguard.triage.scoring import contribution
from artguard.triage.signals import AlertFacts
from artguard.vision.rules import vision_rules
from artguard.vision.rules.lines import LineCrossingRule
from artguard.vision.rules.staff_nearby import STAFF_QUIET, STAFF_WINDOW, StaffOnSite
from artguard.vision.rules.zones import AfterHoursPresenceRule
from tests.site.helpers import DEMO_SITE

NIGHT = datetime(2026, 11, 24, 0, 20, tzinfo=UTC)  # Tuesday 00:20, night shift, all closed
HALL_FLOOR = (20.0, 6.0)  # the middle of the entrance hall (metres)


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


def grant(
    person: str, room: str, at: datetime, door: str = "d-hall-g2", outcome: str = "grant"
) -> AccessDecision:
    return AccessDecision(
        device_id="r-hall-g2",
        site_time=at,
        credential_id=f"card-1{person[-3:]}",
        outcome=outcome,  # type: ignore[arg-type]
        risk=0.1,
        reasons=["test"],
        person_id=person,
        door_id=door,
        room_id=room,
    )


def person(track: int, x: float = 900.0, floor: tuple[float, float] | None = None) -> TrackedObject:
    return TrackedObject(
        track_id=track, confidence=0.8, bbox=(x - 40, 500, x + 40, 800), floor_xy=floor
    )


def seen(
    camera: str, at: datetime, *people: TrackedObject, seconds: float = 3.0
) -> list[Detection]:
    return [
        Detection(device_id=camera, site_time=at + timedelta(seconds=0.5 * i), objects=list(people))
        for i in range(round(seconds / 0.5) + 1)
    ]


def feed(rule: Rule, events: list[EventBase]) -> list[Alert]:
    return [alert for event in events for alert in rule.on_event(event)]


# -- after-hours presence ----------------------------------------------------------------------


def test_a_guard_who_badged_into_the_gallery_is_a_low_explained_alert(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    (alert,) = feed(rule, [grant("p-005", "gallery-2", NIGHT), *seen("cam-g2", at, person(1))])
    assert alert.rule == "after_hours_presence_staff"
    assert alert.severity == Severity.low
    assert alert.room_id == "gallery-2"
    assert alert.reasons[0] == (
        "could be staff on shift: Grace Mensah (guard, Guards, night shift) badged into "
        "Gallery 2: Victorian painting 3 min ago"
    )
    assert alert.evidence["explained_by"] == "p-005"
    assert "d-hall-g2" in str(alert.evidence["explained_badges"])
    assert alert.dedup_key == "after_hours_presence_staff:gallery-2"


def test_the_guard_also_explains_the_hall_next_door(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    events = [
        grant("p-005", "gallery-2", NIGHT),
        *seen("cam-hall", at, person(1, floor=HALL_FLOOR)),
    ]
    (alert,) = feed(rule, events)
    assert (alert.rule, alert.room_id, alert.severity) == (
        "after_hours_presence_staff",
        "entrance-hall",
        Severity.low,
    )
    assert "Grace Mensah" in alert.reasons[0]


def test_without_a_recent_grant_the_alert_is_as_before(site: Site) -> None:
    at = NIGHT + timedelta(minutes=3)
    (alert,) = feed(AfterHoursPresenceRule(site), seen("cam-g2", at, person(1)))
    assert (alert.rule, alert.severity) == ("after_hours_presence", Severity.high)
    assert "explained_by" not in alert.evidence
    stale = [grant("p-005", "gallery-2", at - STAFF_WINDOW - timedelta(minutes=1))]
    (alert,) = feed(AfterHoursPresenceRule(site), [*stale, *seen("cam-g2", at, person(1))])
    assert (alert.rule, alert.severity) == ("after_hours_presence", Severity.high)


def test_two_people_and_one_guard_is_a_full_alert_for_both(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    alerts = feed(
        rule, [grant("p-005", "gallery-2", NIGHT), *seen("cam-g2", at, person(1), person(2, 1300))]
    )
    assert [(a.rule, a.severity) for a in alerts] == [("after_hours_presence", Severity.high)] * 2


def test_a_stranger_joining_an_explained_guard_is_a_full_alert(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    first = feed(rule, [grant("p-005", "gallery-2", NIGHT), *seen("cam-g2", at, person(1))])
    later = feed(rule, seen("cam-g2", at + timedelta(seconds=3.5), person(1), person(2, 1300)))
    assert [a.rule for a in first] == ["after_hours_presence_staff"]
    assert [(a.rule, a.evidence["track_id"]) for a in later] == [("after_hours_presence", 2)]


def test_two_guards_explain_two_people(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    grants = [grant("p-005", "gallery-2", NIGHT), grant("p-006", "entrance-hall", NIGHT)]
    alerts = feed(rule, [*grants, *seen("cam-g2", at, person(1), person(2, 1300))])
    # both are explained by the same two guards: one line in the log, not one per track
    assert [a.rule for a in alerts] == ["after_hours_presence_staff"]
    assert alerts[0].evidence["explained_by"] == "p-005,p-006"  # the one badged here first


def test_the_same_guard_in_the_same_room_is_reported_once_per_quiet_period(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    first = feed(rule, [grant("p-005", "gallery-2", NIGHT), *seen("cam-g2", at, person(1))])
    again = feed(rule, seen("cam-g2", at + timedelta(minutes=5), person(7)))  # a new track
    later = at + STAFF_QUIET + timedelta(minutes=1)
    fresh = feed(rule, [grant("p-005", "gallery-2", later), *seen("cam-g2", later, person(9))])
    assert [a.rule for a in first] == ["after_hours_presence_staff"]
    assert again == []
    assert [a.rule for a in fresh] == ["after_hours_presence_staff"]


def test_staff_off_shift_do_not_explain(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    (alert,) = feed(rule, [grant("p-001", "gallery-2", NIGHT), *seen("cam-g2", at, person(1))])
    assert (alert.rule, alert.severity) == ("after_hours_presence", Severity.high)


def test_a_refused_badge_explains_nothing(site: Site) -> None:
    rule = AfterHoursPresenceRule(site)
    at = NIGHT + timedelta(minutes=3)
    refused = grant("p-005", "gallery-2", NIGHT, outcome="deny")
    (alert,) = feed(rule, [refused, *seen("cam-g2", at, person(1))])
    assert alert.rule == "after_hours_presence"


def test_triage_weighs_the_explained_sighting_low(site: Site) -> None:
    at = NIGHT + timedelta(minutes=3)
    (staff,) = feed(
        AfterHoursPresenceRule(site),
        [grant("p-005", "gallery-2", NIGHT), *seen("cam-g2", at, person(1))],
    )
    (stranger,) = feed(AfterHoursPresenceRule(site), seen("cam-g2", at, person(1)))
    low = contribution(AlertFacts.from_alert(staff), site)
    full = contribution(AlertFacts.from_alert(stranger), site)
    assert low.weight < 0.1 < full.weight
    assert low.category == "behaviour"  # not "presence": no after-hours intrusion pattern


# -- whereabouts ------------------------------------------------------------------------------


def test_staff_must_have_had_time_to_walk_there(site: Site) -> None:
    staff = StaffOnSite(site)
    staff.record(grant("p-005", "loading-bay", NIGHT, door="d-loading-bay"))
    assert staff.explain("gallery-3", NIGHT + timedelta(seconds=1), [NIGHT]) is None
    assert staff.explain("gallery-3", NIGHT + timedelta(minutes=2), [NIGHT]) is not None


def test_staff_must_be_allowed_in_the_room(site: Site) -> None:
    staff = StaffOnSite(site)
    staff.record(grant("p-005", "staff-corridor", NIGHT, door="d-g2-corridor"))
    assert (
        staff.explain("storage-vault", NIGHT + timedelta(minutes=1), [NIGHT]) is None
    )  # not her zone
    assert staff.explain("gallery-2", NIGHT + timedelta(minutes=1), [NIGHT]) is not None


def test_being_seen_keeps_a_guard_explained_past_the_window(site: Site) -> None:
    staff = StaffOnSite(site, window=timedelta(minutes=30))
    staff.record(grant("p-005", "gallery-2", NIGHT))
    at = NIGHT
    for room in ["gallery-2", "entrance-hall", "sculpture-court", "gallery-3", "gallery-1"] * 3:
        at += timedelta(minutes=10)
        found = staff.explain(room, at, [at])
        assert found is not None, (room, at)
        staff.seen(found, room, at)
    assert at - NIGHT > timedelta(minutes=30)
    reason = found.reason(site, "gallery-1", at)
    assert "badged into Gallery 2: Victorian painting 150 min ago" in reason
    assert "first seen on camera after it at 00:30:00" in reason
    assert reason.endswith("last seen in Gallery 3: Modern 10 min ago")
    assert staff.explain("gallery-1", at + timedelta(minutes=31), [at]) is None  # then not seen


def test_badging_out_of_the_building_ends_the_explanation(site: Site) -> None:
    staff = StaffOnSite(site)
    staff.record(grant("p-005", "gallery-2", NIGHT))
    staff.record(grant("p-005", "outside", NIGHT + timedelta(minutes=1), door="d-staff-entrance"))
    assert staff.explain("gallery-2", NIGHT + timedelta(minutes=2), [NIGHT]) is None


def test_a_late_older_decision_does_not_move_anyone_back(site: Site) -> None:
    staff = StaffOnSite(site)
    staff.record(grant("p-005", "gallery-2", NIGHT + timedelta(minutes=5)))
    staff.record(grant("p-005", "loading-bay", NIGHT, door="d-loading-bay"))
    at = NIGHT + timedelta(minutes=6)
    found = staff.explain("gallery-2", at, [at])
    assert found is not None and found.staff[0].room_id == "gallery-2"


def test_window_must_be_positive(site: Site) -> None:
    with pytest.raises(ValueError, match="staff window must be positive"):
        StaffOnSite(site, window=timedelta(0))


# -- line crossing ----------------------------------------------------------------------------

INTO_G1 = [1850, 1800, 1750, 1710, 1690, 1650, 1600, 1550]  # cam-g1: across its hall door


def walk_into_g1(track: int, start: datetime) -> list[Detection]:
    return [
        Detection(
            device_id="cam-g1",
            site_time=start + timedelta(seconds=0.4 * i),
            objects=[
                TrackedObject(track_id=track, confidence=0.8, bbox=(x - 40, 400, x + 40, 700))
            ],
        )
        for i, x in enumerate(INTO_G1)
    ]


def test_a_guard_entering_a_closed_gallery_after_badging_is_a_low_crossing(site: Site) -> None:
    rule = LineCrossingRule(site)
    badge = grant("p-006", "gallery-1", NIGHT, door="d-hall-g1")
    (alert,) = feed(rule, [badge, *walk_into_g1(1, NIGHT + timedelta(seconds=5))])
    assert (alert.rule, alert.severity) == ("line_crossing_staff", Severity.low)
    assert alert.dedup_key == "line_crossing_staff:ln-g1-hall:in"
    assert alert.reasons[0].startswith("could be staff on shift: Liam Byrne (guard")
    assert alert.title.endswith("(staff on duty)")
    (alert,) = feed(LineCrossingRule(site), walk_into_g1(1, NIGHT + timedelta(seconds=5)))
    assert (alert.rule, alert.severity) == ("line_crossing", Severity.high)


def test_the_vision_rules_share_one_view_of_the_staff(site: Site) -> None:
    rules = vision_rules(site)
    presence = next(r for r in rules if isinstance(r, AfterHoursPresenceRule))
    lines = next(r for r in rules if isinstance(r, LineCrossingRule))
    assert presence.staff is lines.staff
    assert "access_decision" in presence.kinds and "access_decision" in lines.kinds


def test_someone_on_camera_since_before_the_badge_is_not_that_guard(site: Site) -> None:
    """A visitor hiding in Gallery 2 at closing has been on camera all along; the guard who
    badged into the office meanwhile is not them."""
    rule = AfterHoursPresenceRule(site)
    hiding = person(7)
    before = seen("cam-g2", NIGHT - timedelta(minutes=10), hiding, seconds=600.0)
    badge = grant(
        "p-005", "security-office", NIGHT - timedelta(minutes=4), door="d-security-office"
    )
    events: list[EventBase] = [*before[:400], badge, *before[400:]]
    later = seen("cam-g2", NIGHT + timedelta(seconds=0.5), hiding)
    alerts = feed(rule, [*events, *later])
    assert alerts and {(a.rule, a.severity) for a in alerts} == {
        ("after_hours_presence", Severity.high)
    }


def test_each_person_needs_a_staff_member_who_could_be_them(site: Site) -> None:
    staff = StaffOnSite(site)
    staff.record(grant("p-005", "gallery-2", NIGHT))
    staff.record(grant("p-006", "gallery-2", NIGHT - timedelta(minutes=30)))
    at = NIGHT + timedelta(minutes=1)
    # one person on camera since 20 min ago (only Liam had badged by then), one just appeared
    found = staff.explain("gallery-2", at, [at - timedelta(minutes=20), at])
    assert found is not None
    assert [w.person.id for w in found.staff] == ["p-006", "p-005"]
    # two people on camera since before either badged: nobody explains them
    assert staff.explain("gallery-2", at, [at - timedelta(hours=1)] * 2) is None


def test_a_track_remembers_when_it_was_first_seen(site: Site) -> None:
    staff = StaffOnSite(site)
    assert staff.track("cam-g2", 1, NIGHT) == NIGHT
    assert staff.track("cam-g2", 1, NIGHT + timedelta(seconds=5)) == NIGHT
    assert staff.track("cam-g1", 1, NIGHT + timedelta(seconds=5)) == NIGHT + timedelta(seconds=5)
    later = NIGHT + timedelta(seconds=30)  # gone longer than TRACK_FORGET: a new person
    assert staff.track("cam-g2", 1, later) == later
    assert staff.track("cam-g2", None, later) == later  # untracked: no history to trust
