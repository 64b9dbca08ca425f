"""Tracks are joined into one visitor across cameras and track breaks when time, floor
position and clothing colours agree, and kept apart when they do not."""

from __future__ import annotations

import pytest

from artguard.site import Site
from artguard.visitors.handoff import HandoffLinker
from artguard.visitors.watch import VisitorWatch
from tests.visitors.helpers import (
    BLUE_GREY,
    EXIT_BOX,
    RED_BLACK,
    events,
    merged,
    stay,
    visitors_site,
    walk,
)


@pytest.fixture(scope="module")
def site() -> Site:
    return visitors_site()


def visitors_of(watch: VisitorWatch) -> dict[str, list[str]]:
    return {v.id: sorted(v.tracks) for v in watch.linker.visitors.values()}


def feed(watch: VisitorWatch, stream: list) -> list:
    flags = []
    for event in stream:
        flags += watch.on_detection(event)
    return flags


def test_a_visitor_walking_into_the_next_cameras_view_stays_one_visitor(site: Site) -> None:
    watch = VisitorWatch(site)
    plaza = walk(5, 0, [(10.0, 8.0), (19.5, 8.0)])  # leaves cam-1 at the plaza's east edge
    gallery = walk(41, plaza[-1].t + 1.5, [(20.5, 8.3), (30.0, 8.0)])  # cam-2, 1.5 s later
    feed(watch, merged(events(plaza, camera="cam-1"), events(gallery, camera="cam-2")))
    assert list(visitors_of(watch).values()) == [["cam-1:5", "cam-2:41"]]
    (link,) = watch.linker.links
    assert link.track_key == "cam-2:41" and link.appearance == pytest.approx(0.0)
    assert link.floor_m is not None and link.floor_m < 1.5
    assert watch.model.transitions == {"plaza>gallery": 1}


def test_a_different_looking_person_at_the_same_place_is_someone_else(site: Site) -> None:
    watch = VisitorWatch(site)
    plaza = walk(5, 0, [(10.0, 8.0), (19.5, 8.0)], appearance=RED_BLACK)
    other = walk(41, plaza[-1].t + 1.5, [(20.5, 8.3), (30.0, 8.0)], appearance=BLUE_GREY)
    feed(watch, merged(events(plaza, camera="cam-1"), events(other, camera="cam-2")))
    assert sorted(visitors_of(watch).values()) == [["cam-1:5"], ["cam-2:41"]]
    assert watch.linker.links == []


def test_too_far_or_too_late_is_someone_else(site: Site) -> None:
    far = VisitorWatch(site)
    plaza = walk(5, 0, [(10.0, 8.0), (19.5, 8.0)])
    distant = walk(41, plaza[-1].t + 1.5, [(35.0, 25.0), (38.0, 25.0)])  # 20 m in 1.5 s
    feed(far, merged(events(plaza, camera="cam-1"), events(distant, camera="cam-2")))
    assert far.visitors_seen == 2 and far.linker.links == []
    late = VisitorWatch(site)
    later = walk(41, plaza[-1].t + 12, [(20.5, 8.3), (30.0, 8.0)])
    feed(late, merged(events(plaza, camera="cam-1"), events(later, camera="cam-2")))
    assert late.visitors_seen == 2 and late.linker.links == []


def test_the_best_match_wins_between_two_candidates(site: Site) -> None:
    linker = HandoffLinker()
    watch = VisitorWatch(site, linker=linker)
    red = walk(1, 0, [(10.0, 5.0), (19.5, 5.0)], appearance=RED_BLACK)
    blue = walk(2, 0, [(10.0, 6.0), (19.5, 6.0)], appearance=BLUE_GREY)
    blue_again = walk(42, red[-1].t + 1.0, [(20.5, 5.5), (30.0, 5.5)], appearance=BLUE_GREY)
    feed(watch, merged(events(red + blue, camera="cam-1"), events(blue_again, camera="cam-2")))
    groups = sorted(visitors_of(watch).values())
    assert groups == [["cam-1:1"], ["cam-1:2", "cam-2:42"]]


def test_someone_still_in_view_on_the_same_camera_is_not_a_candidate(site: Site) -> None:
    watch = VisitorWatch(site)
    first = walk(1, 0, [(2.0, 5.0), (12.0, 5.0)])
    twin = walk(2, 3.0, [(6.0, 5.5), (12.0, 5.5)])  # same clothes, alongside
    feed(watch, events(first + twin))
    assert len(visitors_of(watch)) == 2


def test_the_watch_flag_follows_the_visitor_across_a_track_break(site: Site) -> None:
    watch = VisitorWatch(site)
    before = stay(7, 0, 50, (-3.0, 2.0), EXIT_BOX)
    after = stay(9, 52, 50, (-3.1, 2.1), EXIT_BOX)  # the tracker lost them for 2 s
    flags = feed(watch, events(before + after))
    assert len(flags) == 1 and flags[0].reason_kinds == ["lingering"]
    assert flags[0].tracks == ["cam-1:7", "cam-1:9"]
    assert flags[0].evidence["lingering.linger_seconds"] >= 90
    assert flags[0].cameras == ["cam-1"]
