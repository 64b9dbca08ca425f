"""The site fields the video rules read: cameras' zones, lines and speaker; artworks' barrier
timing. Each broken case edits the valid starter site in one place and expects one problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from artguard.site import Site, load_site, parse_site
from artguard.site.entities import CountLine, Zone

from .helpers import BASE, DEMO_SITE, edit, line_of, only, problems_for
from .test_docs import documented_keys

CAMERA = "    fps: 5\n"
VISION = """    fps: 5
    speaker: spk-gallery
    zones:
      - {id: z-rope, name: Behind the rope, kind: restricted, schedule: night-shift,
         polygon: [[100, 500], [400, 500], [400, 700], [100, 700]]}
      - {id: z-store-door, name: Store-room door, kind: loiter,
         polygon: [[900, 400], [1200, 400], [1200, 700], [900, 700]]}
    lines:
      - {id: ln-hall, name: Door from the hall, points: [[40, 300], [40, 700]],
         in_room: gallery, out_room: entrance-hall}
"""
WITH_VISION = edit(BASE, CAMERA, VISION)


def test_zones_lines_and_speaker_load_with_their_defaults() -> None:
    site = parse_site(WITH_VISION)
    camera = site.camera("cam-gallery")
    assert camera.speaker == "spk-gallery"
    rope, door = camera.zones
    assert (rope.kind, rope.schedule, rope.loiter_seconds) == ("restricted", "night-shift", None)
    assert (door.kind, door.schedule, door.loiter_seconds) == ("loiter", None, 120.0)
    [line] = camera.lines
    assert line.points == ((40.0, 300.0), (40.0, 700.0))
    assert (line.in_room, line.out_room) == ("gallery", "entrance-hall")
    artwork = site.artwork("aw-001")
    assert (artwork.barrier_min_seconds, artwork.barrier_cooldown_seconds) == (0.5, 30.0)


def test_the_new_fields_survive_a_json_round_trip() -> None:
    site = parse_site(WITH_VISION)
    again = Site.model_validate(site.model_dump(mode="json", by_alias=True))
    assert again.camera("cam-gallery") == site.camera("cam-gallery")


def test_the_demo_cameras_have_zones_lines_and_speakers() -> None:
    site = load_site(DEMO_SITE)
    assert {c.speaker for c in site.cameras} >= {"spk-g1", "spk-g2", "spk-g3", "spk-court"}
    kinds = {z.kind for c in site.cameras for z in c.zones}
    assert kinds == {"restricted", "loiter"}
    lines = [line for c in site.cameras for line in c.lines]
    assert len(lines) >= 5
    # every public gallery can be counted: each has a line into it
    into = {line.in_room for line in lines} | {line.out_room for line in lines}
    assert {"gallery-1", "gallery-2", "gallery-3", "sculpture-court"} <= into


@pytest.mark.parametrize(
    ("heading", "model"), [("cameras[].zones[]", Zone), ("cameras[].lines[]", CountLine)]
)
def test_the_new_sections_are_documented(heading: str, model: type) -> None:
    keys = [info.alias or name for name, info in model.model_fields.items()]
    assert documented_keys(heading) == keys
    assert all(info.description for info in model.model_fields.values())


CASES = [
    pytest.param(
        "[[100, 500], [400, 500], [400, 700], [100, 700]]",
        "[[100, 500], [1400, 500], [400, 700], [100, 700]]",
        "cameras[cam-gallery].zones[z-rope].polygon[1]",
        "[[100, 500], [1400, 500]",
        "point [1400.0, 500.0] is outside camera 'cam-gallery'",
        id="zone-outside-image",
    ),
    pytest.param(
        "kind: restricted, schedule: night-shift",
        "kind: restricted, schedule: nights",
        "cameras[cam-gallery].zones[z-rope].schedule",
        "z-rope",
        "unknown schedule 'nights'",
        id="zone-unknown-schedule",
    ),
    pytest.param(
        "kind: restricted, schedule: night-shift",
        "kind: restricted, loiter_seconds: 60, schedule: night-shift",
        "cameras[cam-gallery].zones[z-rope]",
        "z-rope",
        "loiter_seconds applies to loiter zones",
        id="restricted-with-loiter-seconds",
    ),
    pytest.param(
        "{id: z-store-door,",
        "{id: z-rope,",
        "cameras[cam-gallery].zones[z-rope].id",
        "{id: z-rope, name: Store",
        "duplicate zone id 'z-rope'",
        id="duplicate-zone",
    ),
    pytest.param(
        "kind: loiter,",
        "kind: loiter, loiter_seconds: 0,",
        "cameras[cam-gallery].zones[z-store-door].loiter_seconds",
        "z-store-door",
        "greater than 0",
        id="loiter-seconds-zero",
    ),
    pytest.param(
        "kind: loiter,",
        "kind: linger,",
        "cameras[cam-gallery].zones[z-store-door].kind",
        "z-store-door",
        "'restricted', 'loiter', 'exit' or 'blind_spot'",
        id="unknown-zone-kind",
    ),
    pytest.param(
        "[[40, 300], [40, 700]]",
        "[[40, 300], [40, 900]]",
        "cameras[cam-gallery].lines[ln-hall].points[1]",
        "ln-hall",
        "is outside camera 'cam-gallery'",
        id="line-outside-image",
    ),
    pytest.param(
        "[[40, 300], [40, 700]]",
        "[[40, 300], [40, 300]]",
        "cameras[cam-gallery].lines[ln-hall]",
        "ln-hall",
        "less than a pixel apart",
        id="line-one-point",
    ),
    pytest.param(
        "out_room: entrance-hall}",
        "out_room: gallery}",
        "cameras[cam-gallery].lines[ln-hall]",
        "ln-hall",
        "in_room and out_room are both 'gallery'",
        id="line-same-room",
    ),
    pytest.param(
        "out_room: entrance-hall}",
        "out_room: hall}",
        "cameras[cam-gallery].lines[ln-hall].out_room",
        "in_room: gallery, out_room: hall",
        "unknown room 'hall'",
        id="line-unknown-room",
    ),
    pytest.param(
        "in_room: gallery, out_room: entrance-hall}",
        "in_room: store, out_room: outside}",
        "cameras[cam-gallery].lines[ln-hall].in_room",
        "in_room: store",
        "neither side of this line",
        id="line-not-seen-by-camera",
    ),
    pytest.param(
        "out_room: entrance-hall}",
        "out_room: outside}",
        None,
        None,
        None,
        id="line-to-outside-is-fine",
    ),
    pytest.param(
        "    speaker: spk-gallery",
        "    speaker: pir-gallery",
        "cameras[cam-gallery].speaker",
        "speaker: pir-gallery",
        "speaker 'pir-gallery' has the id of a sensor",
        id="speaker-reuses-a-device-id",
    ),
    pytest.param(
        "    position: [11, 0]",
        "    position: [11, 0]\n    barrier_min_seconds: -1",
        "artworks[aw-001].barrier_min_seconds",
        "barrier_min_seconds",
        "greater than or equal to 0",
        id="negative-barrier-time",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "where", "message"), CASES)
def test_each_problem_is_reported_once_with_its_field(
    tmp_path: Path, old: str, new: str, field: str | None, where: str | None, message: str | None
) -> None:
    text = edit(WITH_VISION, old, new)
    problems = problems_for(tmp_path, text)
    if field is None:
        assert problems == []
        return
    problem = only(problems, field)
    assert len(problems) == 1, [str(p) for p in problems]
    assert message in problem.message
    assert problem.line == line_of(text, where)


def test_a_line_between_rooms_that_do_not_adjoin(tmp_path: Path) -> None:
    text = edit(WITH_VISION, "in_room: gallery,", "in_room: store,")
    text = edit(text, "    rooms: [gallery]\n", "    rooms: [gallery, store]\n")
    problems = problems_for(tmp_path, text)
    assert [p.field for p in problems] == ["cameras[cam-gallery].lines[ln-hall]"]
    assert "not adjacent" in problems[0].message
