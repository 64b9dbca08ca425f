"""The visitor watch's fast paths (hand-off gates, room look-up, cached bands and closing clock,
the tick's early return) flag exactly what the plain code did, on a fixed crowd.

``data/fast_path_golden.json`` holds what the watch gave on this input before the fast paths
(same flags at the same times, same hand-off links, same learned model). Regenerate it only
for a deliberate change of behaviour: ``.venv/bin/python -m tests.visitors.test_fast_path``.
"""

from __future__ import annotations

import hashlib
import json
import random
from datetime import timedelta
from pathlib import Path
from typing import Any

from artguard.site.geometry import contains
from artguard.visitors.model import _band, band_of
from artguard.visitors.observe import _RoomFloor
from artguard.visitors.watch import VisitorWatch
from tests.visitors.helpers import (
    EXIT_BOX,
    MIDDLE_BOX,
    NOON,
    Point,
    events,
    look,
    merged,
    stay,
    visitors_site,
    walk,
)

GOLDEN = Path(__file__).parent / "data" / "fast_path_golden.json"
START = NOON.replace(hour=17, minute=38)
"""Twenty minutes before the plaza closes (18:00): some visitors stay past the announcement."""


def crowd(seed: int = 7) -> list[Any]:
    """Detections of a mixed crowd on both cameras: people crossing the plaza into the gallery
    (hand-off), track breaks, look-alikes, three visitors circling the masterpiece, two
    lingering by the exit and a few staying past closing."""
    rng = random.Random(seed)
    looks = [look(t, g) for t, g in ((0, 12), (8, 14), (3, 13), (0, 13), (8, 12))]
    plaza: list[Point] = []
    gallery: list[Point] = []
    track = 100
    for i in range(45):
        t0 = i * 9.0 + rng.uniform(0, 4)
        y = rng.uniform(2, 18)
        wear = rng.choice(looks)
        track += 1
        if i % 4 == 0:  # a track break half way across
            plaza += walk(track, t0, [(-2.0, y), (6.0, y)], appearance=wear)
            track += 1
            plaza += walk(track, plaza[-1].t + 1.0, [(7.0, y), (19.0, y)], appearance=wear)
        else:
            plaza += walk(track, t0, [(-2.0, y), (19.0, y + rng.uniform(-2, 2))], appearance=wear)
            end = plaza[-1].t
            if i % 3 == 0:  # on into the gallery: a new track on the next camera
                track += 1
                path = [(20.5, y), (30.0, rng.uniform(5, 15)), (38.0, rng.uniform(2, 18))]
                later = end + rng.uniform(0.4, 2.5)
                gallery += walk(track, later, path, pause=rng.uniform(0, 20), appearance=wear)
    for j in range(3):  # circling the masterpiece at (6, 10)
        track += 1
        t = 30.0 + j * 60
        wear = looks[j]
        for _ in range(5):
            plaza += walk(track, t, [(0.0, 4.0 + j), (5.5, 10.0)], appearance=wear)
            plaza += stay(track, plaza[-1].t + 0.2, rng.uniform(12, 20), (5.5, 10.0), MIDDLE_BOX)
            plaza += walk(track, plaza[-1].t + 0.2, [(5.5, 10.0), (0.0, 4.0 + j)])
            t = plaza[-1].t + rng.uniform(5, 15)
    for k in range(2):  # lingering by the exit
        track += 1
        plaza += stay(track, 100.0 + k * 200, 100.0, (-6.0, 8.0), EXIT_BOX, looks[k + 2])
    for m in range(3):  # still there after closing (18:00; announcement 17:45, +20 min)
        track += 1
        plaza += stay(track, 1400.0 + m * 5, 240.0, (10.0 + m, 15.0), MIDDLE_BOX, looks[m])
    return merged(
        events(plaza, camera="cam-1", base=START), events(gallery, camera="cam-2", base=START)
    )


def outcome() -> dict[str, Any]:
    """What the watch makes of the crowd, ticked every 5 s as the analyser does."""
    watch = VisitorWatch(visitors_site())
    stream = crowd()
    flags = []
    next_tick = stream[0].site_time
    for event in stream:
        if event.site_time >= next_tick:
            flags += watch.tick(event.site_time)
            next_tick = event.site_time + timedelta(seconds=5)
        flags += watch.on_detection(event)
    flags += watch.finish_all(stream[-1].site_time)
    model = json.dumps(watch.model.to_json(), sort_keys=True)
    return {
        "flags": [
            [f.visitor_id, f.status, list(f.reason_kinds), f.site_time.isoformat(), f.room_id]
            for f in flags
        ],
        "links": [
            [link.track_key, link.visitor_id, link.from_track, link.gap_s, link.floor_m,
             link.appearance]
            for link in watch.linker.links
        ],
        "visitors": watch.visitors_seen,
        "model_sha256": hashlib.sha256(model.encode()).hexdigest(),
    }  # fmt: skip


def test_the_watch_flags_links_and_learns_as_before_on_a_fixed_crowd() -> None:
    golden = json.loads(GOLDEN.read_text())
    found = json.loads(json.dumps(outcome()))  # the same JSON types as the stored file
    reasons = {kind for _, _, kinds, _, _ in golden["flags"] for kind in kinds}
    assert {"circling", "lingering", "after_closing"} <= reasons  # the input exercises them
    assert len(golden["links"]) >= 10  # track breaks and camera hand-offs joined
    assert found["flags"] == golden["flags"]
    assert found["links"] == golden["links"]
    assert found["visitors"] == golden["visitors"]
    assert found["model_sha256"] == golden["model_sha256"]


def test_the_room_floor_test_agrees_with_the_geometry_inside_outside_and_on_edges() -> None:
    rng = random.Random(3)
    polygon = [(0.0, 0.0), (10.0, 0.0), (10.0, 6.0), (4.0, 6.0), (4.0, 12.0), (0.0, 12.0)]
    floor = _RoomFloor.of("r", polygon)
    points = [(rng.uniform(-2, 12), rng.uniform(-2, 14)) for _ in range(3000)]
    points += [(x, y) for x, y in polygon]  # corners
    points += [(10.0, 3.0), (7.0, 6.0), (4.0, 9.0), (2.0, 0.0), (0.0, 11.0), (10.0 + 1e-12, 3.0)]
    for point in points:
        assert floor.contains(point) == contains(polygon, point), point


def test_the_remembered_band_is_the_computed_one_across_a_day_and_dst() -> None:
    tz = visitors_site().tz
    at = NOON.replace(month=3, day=28, hour=0)  # the clocks go forward on the 29th
    for _ in range(2 * 24 * 12):
        assert band_of(at, tz) == _band(at, tz)
        at += timedelta(minutes=5, seconds=7)


if __name__ == "__main__":
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(outcome(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
