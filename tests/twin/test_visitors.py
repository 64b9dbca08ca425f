"""Visitors of the twin: when they come, where they walk, that they leave by closing."""

from __future__ import annotations

from datetime import datetime, timedelta

from artguard.site import load_site
from artguard.site.geometry import contains
from artguard.twin import visitors
from artguard.twin.motion import position
from artguard.twin.visitors import Visitors, VisitorSettings, daily_curve, dwell_median
from artguard.twin.walkway import walkway
from artguard.twin.world import World

SITE = load_site("src/artguard/demo/site.yaml")
TUESDAY = datetime(2026, 6, 2, 0, 0, tzinfo=SITE.tz)  # open 10:00-18:00
MONDAY = datetime(2026, 6, 1, 0, 0, tzinfo=SITE.tz)  # closed all day


def _moves(world: World) -> list[tuple[datetime, dict[str, object]]]:
    seen: list[tuple[datetime, dict[str, object]]] = []
    world.on("move", lambda at, **data: seen.append((at, data)))
    return seen


def _run(world: World, until: datetime, step: timedelta = timedelta(minutes=5)) -> None:
    t = world.start
    while t < until:
        t = min(t + step, until)
        world.due(t)


def test_arrivals_follow_a_daily_curve_inside_opening_hours_only() -> None:
    world = World(SITE, MONDAY, seed=3)
    crowd = Visitors(world, VisitorSettings())
    crowd.install(MONDAY, MONDAY + timedelta(days=2))  # Monday closed, Tuesday open

    assert crowd.per_day == 1500  # 300 per public room, five public rooms
    assert all(a.astimezone(SITE.tz).date() == TUESDAY.date() for a in crowd.arrivals)
    assert 1100 <= len(crowd.arrivals) <= 1900
    opening = TUESDAY.replace(hour=10)
    last_entry = TUESDAY.replace(hour=18) - timedelta(minutes=45)
    assert all(opening <= a <= last_entry for a in crowd.arrivals)
    assert all(SITE.is_open_to_public("entrance-hall", a) for a in crowd.arrivals)

    hours = daily_curve(crowd.arrivals, SITE)
    peak = max(hours, key=lambda h: hours[h])
    assert 11 <= peak <= 14
    assert hours[10] < hours[peak] / 1.5  # ramp up after opening
    assert hours.get(17, 0) < hours[peak] / 4  # taper to the last entry


def test_per_day_is_a_parameter() -> None:
    world = World(SITE, TUESDAY, seed=3)
    crowd = Visitors(world, VisitorSettings(per_day=200))
    crowd.install(TUESDAY, TUESDAY + timedelta(days=1))
    assert 140 <= len(crowd.arrivals) <= 260


def test_every_visitor_is_out_before_closing_having_used_only_public_rooms() -> None:
    world = World(SITE, TUESDAY, seed=5)
    moves = _moves(world)
    visitors.install(world, TUESDAY, TUESDAY + timedelta(days=1), VisitorSettings(per_day=400))
    closing = TUESDAY.replace(hour=18)
    _run(world, closing)

    assert not any(w.startswith("v-") for people in world.presence.by_room.values() for w in people)
    entered = {d["who"] for _, d in moves if d["src"] == "outside"}
    left = {d["who"] for _, d in moves if d["dst"] == "outside"}
    assert len(entered) > 250 and entered == left
    public = {r.id for r in SITE.rooms if r.public} | {"outside"}
    assert all(d["src"] in public and d["dst"] in public for _, d in moves)
    assert all(d["role"] == "visitor" for _, d in moves)
    assert all(at <= closing - timedelta(minutes=3) for at, d in moves if d["dst"] == "outside")
    # Room changes go through the floor plan: adjacent rooms, named doors where there are.
    for _, d in moves:
        if "outside" not in (d["src"], d["dst"]):
            assert d["dst"] in SITE.adjacent(str(d["src"]))
    assert {d["door"] for _, d in moves if d["src"] == "outside"} == {"d-main-entrance"}
    assert any(d["door"] == "d-hall-g1" for _, d in moves)


def test_visitors_stand_where_their_room_is_and_stop_at_artworks() -> None:
    world = World(SITE, TUESDAY, seed=7)
    visitors.install(world, TUESDAY, TUESDAY + timedelta(days=1))
    way = walkway(SITE)
    t = TUESDAY.replace(hour=13)
    _run(world, t)
    near_art = clear = 0
    people = [(w, r) for r, ws in world.presence.by_room.items() for w in ws]
    assert len(people) > 10
    for who, room in people:
        xy = position(world, who, t)
        assert xy is not None
        assert contains(SITE.room(room).polygon, xy), (who, room, xy)
        near_art += any(
            a.room == room and ((a.position[0] - xy[0]) ** 2 + (a.position[1] - xy[1]) ** 2) < 4
            for a in SITE.artworks
        )
        clear += way.grid(room).cell(xy) in way.grid(room).clear
    assert clear >= 0.9 * len(people)  # off clear floor only on a doorway's first steps
    assert near_art >= len(people) // 5  # a good share are looking at a work right now


def test_dwell_time_varies_by_artwork_but_not_by_run() -> None:
    medians = {a.id: dwell_median(a) for a in SITE.artworks}
    assert len({round(m) for m in medians.values()}) >= 6
    tier4 = [m for a, m in medians.items() if SITE.artwork(a).value_tier == 4]
    assert min(tier4) >= 0.6 * 44 and max(tier4) <= 1.5 * 44
    assert medians == {a.id: dwell_median(a) for a in SITE.artworks}


def test_same_seed_same_visitors_other_seed_others() -> None:
    def trace(seed: int) -> list[tuple[str, str, str, str]]:
        world = World(SITE, TUESDAY, seed=seed)
        moves = _moves(world)
        visitors.install(world, TUESDAY, TUESDAY + timedelta(days=1), VisitorSettings(per_day=150))
        _run(world, TUESDAY.replace(hour=13))
        return [(at.isoformat(), str(d["who"]), str(d["src"]), str(d["dst"])) for at, d in moves]

    first = trace(11)
    assert len(first) > 100
    assert trace(11) == first
    assert trace(12) != first


def test_lean_ins_are_recorded_as_nuisance_under_the_barrier_minimum() -> None:
    world = World(SITE, TUESDAY, seed=2)
    visitors.install(
        world, TUESDAY, TUESDAY + timedelta(days=1), VisitorSettings(per_day=300, lean_in_rate=0.5)
    )
    _run(world, TUESDAY.replace(hour=14))
    leans = [t for t in world.truth if t.scenario == "leaning_in"]
    assert len(leans) >= 20
    for truth in leans:
        assert truth.attack is False
        art = SITE.artwork(str(truth.artwork))
        assert float(truth.details["seconds"]) < art.barrier_min_seconds
        assert art.barriers
