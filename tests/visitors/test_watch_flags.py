"""Each watch flag is raised for a constructed trajectory that departs from normal, with the
right reasons and evidence; a normal crowd raises none."""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from artguard.events import WatchFlag
from artguard.site import Site
from artguard.visitors.model import BehaviourModel
from artguard.visitors.watch import VisitorWatch
from tests.visitors.helpers import (
    EXIT_BOX,
    MIDDLE_BOX,
    Point,
    events,
    merged,
    stay,
    visitors_site,
    walk,
)


@pytest.fixture(scope="module")
def site() -> Site:
    return visitors_site()


def run(watch: VisitorWatch, stream: list) -> list[WatchFlag]:
    flags: list[WatchFlag] = []
    for event in stream:
        flags += watch.on_detection(event)
    return flags


def crowd(n: int, seed: int = 1, start: float = 0.0) -> list[Point]:
    """Visitors crossing the plaza west to east, some stopping once at the masterpiece."""
    rng = random.Random(seed)
    points: list[Point] = []
    for i in range(n):
        t0 = start + i * 3.0
        y = rng.uniform(3, 17)
        if i % 3 == 0:  # stops once at the artwork (6, 10)
            path = [(-2.0, y), (5.0, 10.0), (14.0, y)]
            points += walk(100 + i, t0, path[:2], speed=rng.uniform(0.9, 1.4))
            tail = points[-1].t
            points += stay(100 + i, tail + 0.2, rng.uniform(10, 40), (5.0, 10.0), MIDDLE_BOX)
            points += walk(100 + i, points[-1].t + 0.2, path[1:], speed=1.1)
        else:
            points += walk(100 + i, t0, [(-2.0, y), (14.0, y + rng.uniform(-1, 1))])
    return points


def learned_crowd(site: Site, n: int = 120) -> BehaviourModel:
    watch = VisitorWatch(site)
    stream = events(crowd(n))
    run(watch, stream)
    watch.finish_all(stream[-1].site_time)
    return watch.model


def test_a_normal_crowd_raises_no_flags_and_is_learned(site: Site) -> None:
    model = learned_crowd(site)
    assert model.visitors == 120  # no two crowd members joined into one visitor
    assert model.visits["aw-star"].total == 40  # every third visitor stopped there, once
    assert model.visits["aw-star"].quantile(0.99) == 1
    assert model.dwell["aw-star"].quantile(0.5) >= 10
    found = model.dominant_flow("plaza", "12-15", (6.0, 8.0), min_samples=20, coherence=0.6)
    assert found is not None and found[0][0] > 0.9  # the learned flow runs east
    watch = VisitorWatch(site, model, learn=False)
    assert run(watch, events(crowd(60, seed=7))) == []


def test_circling_back_to_a_masterpiece_is_flagged_with_default_limit(site: Site) -> None:
    watch = VisitorWatch(site)  # nothing learned yet
    points: list[Point] = []
    t = 0.0
    for _ in range(4):  # walk up, stop and look, walk 6 m away, come back
        points += walk(1, t, [(12.0, 10.0), (6.5, 10.0)], pause=6)
        points += walk(1, points[-1].t + 0.2, [(6.5, 10.0), (12.0, 10.0)])
        t = points[-1].t + 0.2
    flags = run(watch, events(points))
    assert [f.status for f in flags] == ["raised"]
    flag = flags[0]
    assert flag.reason_kinds == ["circling"]
    assert "4 separate times" in flag.reasons[0] and "Test Masterpiece" in flag.reasons[0]
    assert "default limit 4" in flag.reasons[0]
    assert flag.learned is False
    assert flag.evidence["circling.visits"] == 4 and flag.room_id == "plaza"


def test_circling_uses_the_learned_p99(site: Site) -> None:
    model = learned_crowd(site, n=160)  # 54 stopped, each once: p99 = 1
    watch = VisitorWatch(site, model, learn=False)
    points: list[Point] = []
    t = 0.0
    for _ in range(3):
        points += walk(1, t, [(12.0, 10.0), (6.5, 10.0)], pause=6)
        points += walk(1, points[-1].t + 0.2, [(6.5, 10.0), (12.0, 10.0)])
        t = points[-1].t + 0.2
    flags = run(watch, events(points))
    # Walking back west is also against the learned flow: two reasons, each once.
    assert sorted(flags[-1].reason_kinds) == ["against_flow", "circling"]
    assert flags[-1].learned is True
    assert flags[-1].evidence["circling.visits_p99"] == 1
    assert flags[-1].evidence["circling.visits"] == 3
    assert any("learned 99th percentile is 1 visits" in r for r in flags[-1].reasons)


def test_walking_past_a_masterpiece_is_no_visit(site: Site) -> None:
    watch = VisitorWatch(site)
    points: list[Point] = []
    t = 0.0
    for _ in range(5):  # back and forth past it without stopping
        points += walk(1, t, [(12.0, 10.0), (0.0, 10.0), (12.0, 10.0)])
        t = points[-1].t + 0.2
    assert run(watch, events(points)) == []


def test_lingering_by_an_exit_default_and_learned(site: Site) -> None:
    short = VisitorWatch(site)
    assert run(short, events(stay(1, 0, 80, (-3.0, 2.0), EXIT_BOX))) == []
    long = VisitorWatch(site)
    flags = run(long, events(stay(1, 0, 95, (-3.0, 2.0), EXIT_BOX)))
    assert len(flags) == 1 and flags[0].reason_kinds == ["lingering"]
    assert "By the west exit" in flags[0].reasons[0] and "an exit" in flags[0].reasons[0]
    assert flags[0].evidence["lingering.limit_seconds"] == 90.0
    assert flags[0].learned is False

    model = BehaviourModel()
    for seconds in [4, 6, 8, 5, 7, 10, 12, 6] * 8:  # people pass the exit in seconds
        model.add_dwell("z-exit", seconds)
    learned = VisitorWatch(site, model)
    flags = run(learned, events(stay(1, 0, 35, (-3.0, 2.0), EXIT_BOX)))
    assert len(flags) == 1 and flags[0].learned is True
    assert flags[0].evidence["lingering.limit_seconds"] == 30.0  # the floor, p99 is 15 s


def test_against_the_flow_needs_a_learned_flow(site: Site) -> None:
    west = walk(1, 0, [(13.0, 8.0), (0.0, 8.0)])
    assert run(VisitorWatch(site), events(west)) == []  # no flow learned: never "against"

    model = learned_crowd(site)
    east = walk(2, 0, [(0.0, 8.0), (13.0, 8.0)])
    assert run(VisitorWatch(site, model, learn=False), events(east)) == []
    flags = run(VisitorWatch(site, model, learn=False), events(west))
    assert len(flags) == 1 and flags[0].reason_kinds == ["against_flow"]
    assert flags[0].evidence["against_flow.angle_degrees"] > 150
    assert flags[0].evidence["against_flow.against_seconds"] >= 4


def test_still_in_the_room_after_the_closing_announcement(site: Site) -> None:
    # Closing 18:00, announcement 17:45 (default 15 min), flag 20 min after it: 18:05.
    before = datetime(2026, 11, 23, 18, 4, tzinfo=UTC)
    after = datetime(2026, 11, 23, 18, 6, tzinfo=UTC)
    assert run(VisitorWatch(site), events(stay(1, 0, 10, (5, 5), MIDDLE_BOX), base=before)) == []
    flags = run(VisitorWatch(site), events(stay(1, 0, 10, (5, 5), MIDDLE_BOX), base=after))
    assert len(flags) == 1 and flags[0].reason_kinds == ["after_closing"]
    assert "21 min after the closing announcement" in flags[0].reasons[0]
    assert "Plaza" in flags[0].reasons[0]
    # The night is for the after-hours presence rules, not a watch flag.
    night = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert run(VisitorWatch(site), events(stay(1, 0, 10, (5, 5), MIDDLE_BOX), base=night)) == []


def test_flags_are_updated_once_per_reason_and_cleared_when_the_visitor_leaves(
    site: Site,
) -> None:
    watch = VisitorWatch(site)
    base = datetime(2026, 11, 23, 18, 0, tzinfo=UTC)  # 15 min after the announcement
    linger = stay(1, 0, 400, (-3.0, 2.0), EXIT_BOX)  # 90 s: lingering; 300 s: after closing
    stream = events(linger, base=base)
    flags = run(watch, stream)
    assert [(f.status, f.reason_kinds) for f in flags] == [
        ("raised", ["lingering"]),
        ("updated", ["lingering", "after_closing"]),
    ]
    assert all(f.visitor_id == flags[0].visitor_id for f in flags)
    gone = watch.tick(stream[-1].site_time.replace(minute=7, second=10))
    assert [f.status for f in gone] == ["cleared"]
    assert gone[0].reason_kinds == ["lingering", "after_closing"]
    assert watch.states == {}


def test_a_bad_appearance_length_is_ignored_not_fatal(site: Site) -> None:
    watch = VisitorWatch(site)
    points = [Point(0.0, 1, (5.0, 5.0), MIDDLE_BOX, [0.1] * 10)]
    points += stay(1, 0.2, 5, (5.0, 5.0), MIDDLE_BOX)
    assert run(watch, merged(events(points))) == []
    assert len(watch.states) == 1
