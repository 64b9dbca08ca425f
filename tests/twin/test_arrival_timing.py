"""A scenario planned ahead brings its people in at their time, not when it is planned."""

from __future__ import annotations

from datetime import datetime, timedelta

from artguard.site import load_site
from artguard.twin.visitors import arrive
from artguard.twin.world import World

SITE = load_site("src/artguard/demo/site.yaml")
MIDNIGHT = datetime(2026, 6, 2, 0, 0, tzinfo=SITE.tz)


def test_a_visitor_planned_for_the_afternoon_is_nowhere_until_then() -> None:
    world = World(SITE, MIDNIGHT, seed=1)
    moves: list[datetime] = []
    world.on("move", lambda at, **_: moves.append(at))
    comes = MIDNIGHT + timedelta(hours=17)
    walker = arrive(world, "hider-1", comes)
    assert walker is not None
    walker.commit()
    assert world.presence.room_of("hider-1") is None and moves == []  # planned, not here
    world.due(comes - timedelta(seconds=1))
    assert world.presence.room_of("hider-1") is None and moves == []
    world.due(comes)
    assert world.presence.room_of("hider-1") == "entrance-hall" and moves == [comes]
