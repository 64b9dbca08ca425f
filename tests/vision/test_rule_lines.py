"""Line crossing with direction and live occupancy, on hand-made tracks in the demo museum.

cam-g1's line "Door from the entrance hall" runs from (1700, 420) down to (1700, 1000); walking
down the image the right-hand side is the left of the picture: Gallery 1.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.events import Alert, Detection, Severity, TrackedObject
from artguard.site import Site, load_site
from artguard.vision.rules import vision_rules
from artguard.vision.rules.lines import LineCrossingRule, OccupancyCounter
from tests.site.helpers import DEMO_SITE

OPEN = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # Tuesday noon
NIGHT = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


def feet(track: int | None, x: float, y: float) -> TrackedObject:
    return TrackedObject(track_id=track, confidence=0.8, bbox=(x - 40, y - 300, x + 40, y))


def walk(
    track: int | None,
    xs: list[float],
    y: float,
    start: datetime,
    camera: str = "cam-g1",
) -> list[Detection]:
    return [
        Detection(
            device_id=camera,
            site_time=start + timedelta(seconds=0.4 * i),
            objects=[feet(track, x, y)],
        )
        for i, x in enumerate(xs)
    ]


INTO_G1 = [1850, 1800, 1750, 1710, 1690, 1650, 1600, 1550]  # right to left across x = 1700
OUT_OF_G1 = list(reversed(INTO_G1))


def feed(rule: LineCrossingRule, events: list[Detection]) -> list[Alert]:
    return [alert for event in events for alert in rule.on_event(event)]


def test_entries_and_exits_give_direction_and_occupancy(site: Site) -> None:
    rule = LineCrossingRule(site)
    assert feed(rule, walk(1, INTO_G1, 700, OPEN)) == []  # open: counted, no alert
    assert feed(rule, walk(2, INTO_G1, 800, OPEN + timedelta(seconds=5))) == []
    counts = rule.occupancy()
    assert counts["gallery-1"] == 2 and counts["entrance-hall"] == 0  # never below zero
    feed(rule, walk(1, OUT_OF_G1, 700, OPEN + timedelta(seconds=20)))
    counts = rule.occupancy()
    assert counts["gallery-1"] == 1 and counts["entrance-hall"] == 1
    assert rule.counter.line_totals()["ln-g1-hall"] == {"in": 2, "out": 1}
    crossings = rule.counter.crossings(line_id="ln-g1-hall")
    assert [(c.track_id, c.direction, c.from_room, c.to_room) for c in crossings] == [
        (1, "in", "entrance-hall", "gallery-1"),
        (2, "in", "entrance-hall", "gallery-1"),
        (1, "out", "gallery-1", "entrance-hall"),
    ]
    assert crossings[0].at == OPEN + timedelta(seconds=0.4 * 4)  # the frame past the line


def test_crossings_since_a_time(site: Site) -> None:
    rule = LineCrossingRule(site)
    feed(rule, walk(1, INTO_G1, 700, OPEN))
    feed(rule, walk(2, INTO_G1, 700, OPEN + timedelta(minutes=5)))
    recent = rule.counter.crossings(since=OPEN + timedelta(minutes=1))
    assert [c.track_id for c in recent] == [2]


def test_standing_on_the_threshold_is_not_counted(site: Site) -> None:
    rule = LineCrossingRule(site)
    jitter = [1712, 1696, 1705, 1694, 1707, 1703, 1695, 1706] * 5  # +-7 px around the line
    assert feed(rule, walk(3, [1800, *jitter], 700, OPEN)) == []
    assert rule.counter.line_totals()["ln-g1-hall"] == {"in": 0, "out": 0}


def test_walking_round_the_end_of_the_line_is_not_a_crossing(site: Site) -> None:
    rule = LineCrossingRule(site)
    feed(rule, walk(3, INTO_G1, 1060, OPEN))  # below the line's lower end (y 1000)
    feed(rule, walk(4, INTO_G1, 300, OPEN))  # above its upper end (y 420)
    assert rule.occupancy()["gallery-1"] == 0


def test_untracked_people_cannot_cross(site: Site) -> None:
    rule = LineCrossingRule(site)
    feed(rule, walk(None, INTO_G1, 700, OPEN))
    assert rule.occupancy()["gallery-1"] == 0


def test_entry_into_a_closed_gallery_is_an_alert(site: Site) -> None:
    rule = LineCrossingRule(site)
    alerts = feed(rule, walk(6, INTO_G1, 700, NIGHT))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "line_crossing" and alert.room_id == "gallery-1"
    assert alert.severity == Severity.high
    assert alert.evidence["direction"] == "in" and alert.evidence["line_id"] == "ln-g1-hall"
    assert alert.evidence["occupancy"] == 1
    assert "from Entrance hall into Gallery 1" in alert.reasons[0]
    # leaving the closed gallery for the (equally closed) hall is an entry into the hall
    alerts = feed(rule, walk(6, OUT_OF_G1, 700, NIGHT + timedelta(seconds=30)))
    assert [a.evidence["to_room"] for a in alerts] == ["entrance-hall"]
    assert alerts[0].severity == Severity.medium


def test_an_upward_line_counts_walking_up_the_image(site: Site) -> None:
    rule = LineCrossingRule(site)
    # cam-hall's line into the court runs right to left at y = 560: walking up enters the court
    ys = [700, 640, 600, 570, 540, 500, 450]
    events = [
        Detection(
            device_id="cam-hall",
            site_time=OPEN + timedelta(seconds=0.4 * i),
            objects=[feet(1, 960, y)],
        )
        for i, y in enumerate(ys)
    ]
    feed(rule, events)
    assert rule.counter.line_totals()["ln-hall-court"] == {"in": 1, "out": 0}
    assert rule.occupancy()["sculpture-court"] == 1


def test_a_shared_counter_sees_the_rules_crossings_and_resets(site: Site) -> None:
    counter = OccupancyCounter(site)
    rules = vision_rules(site, counter)
    line_rule = next(r for r in rules if isinstance(r, LineCrossingRule))
    for event in walk(1, INTO_G1, 700, OPEN):
        line_rule.on_event(event)
    assert counter.counts()["gallery-1"] == 1 and counter.updated is not None
    counter.reset(["gallery-1"])
    assert counter.counts()["gallery-1"] == 0
    assert counter.line_totals()["ln-g1-hall"] == {"in": 1, "out": 0}
    counter.reset()
    assert counter.line_totals()["ln-g1-hall"] == {"in": 0, "out": 0}
