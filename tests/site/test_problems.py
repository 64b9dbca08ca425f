"""Each kind of problem in a site file is reported with its line, its field and what was expected.

Every case breaks the (valid) starter site in one place and expects exactly one problem.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import BASE, edit, line_of, only, problems_for

CASES = [
    # schema: shape and types
    pytest.param(
        "{id: ground, name: Ground floor, level: 0}",
        "{id: ground, name: Ground floor, level: 0, colour: red}",
        "floors[ground].colour",
        "colour: red",
        "unknown key 'colour' (expected one of: id, name, level)",
        id="unknown-key",
    ),
    pytest.param(
        "    adjacent: [entrance-hall, store]",
        "    adjacnt: [entrance-hall, store]",
        "rooms[gallery].adjacnt",
        "adjacnt:",
        "did you mean 'adjacent'?",
        id="misspelt-key",
    ),
    pytest.param(
        "    security_level: 3\n",
        "",
        "rooms[store].security_level",
        "- id: store",
        "missing required field 'security_level' (1 public",
        id="missing-field",
    ),
    pytest.param(
        "    fps: 5",
        "    fps: fast",
        "cameras[cam-gallery].fps",
        "fps: fast",
        "input should be a valid number",
        id="wrong-type",
    ),
    pytest.param(
        "timezone: Europe/London",
        "timezone: Europe/Londn",
        "site.timezone",
        "timezone:",
        "unknown time zone 'Europe/Londn' (expected an IANA name",
        id="bad-timezone",
    ),
    pytest.param(
        "  id: __SITE_ID__".replace("__SITE_ID__", "test-site"),
        "  id: test site",
        "site.id",
        "id: test site",
        "invalid id 'test site': ids are 1-128 characters",
        id="bad-id",
    ),
    pytest.param(
        "polygon: [[6, 0], [16, 0], [16, 10], [6, 10]]",
        "polygon: [[6, 0], [16, 10], [16, 0], [6, 10]]",
        "rooms[gallery].polygon",
        "[[6, 0], [16, 10]",
        "the polygon crosses itself",
        id="self-intersecting-polygon",
    ),
    pytest.param(
        "unit: C, min: 16, max: 24}",
        "unit: C, min: 24, max: 16}",
        "sensors[temp-gallery]",
        "id: temp-gallery",
        "min (24) must be below max (16)",
        id="sensor-min-above-max",
    ),
    pytest.param(
        "source: rtsp://192.168.1.21/stream1",
        "source: ftp://192.168.1.21/stream1",
        "cameras[cam-gallery].source",
        "source: ftp",
        "unsupported source scheme 'ftp'",
        id="camera-source-scheme",
    ),
    pytest.param(
        "valid_until: 2027-12-31}",
        "valid_until: 2027-13-31}",
        "people[p-002].credentials[pin-0002].valid_until",
        "2027-13-31",
        "expected a date (2026-01-31) or date-time",
        id="bad-date",
    ),
    pytest.param(
        "  snapshots: 30d",
        "  snapshots: 30 days",
        "retention.snapshots",
        "snapshots: 30 days",
        "expected a positive duration like 30d, 12h, 90m",
        id="bad-duration",
    ),
    pytest.param(
        "    anti_passback: {mode: none}",
        "    anti_passback: {mode: strict}",
        "policies.access.anti_passback.mode",
        "anti_passback: {mode: strict}",
        "input should be 'none', 'soft', 'hard' or 'timed' (got 'strict')",
        id="bad-policy-value",
    ),
    pytest.param(
        "  door_held_open_seconds: 30",
        "  door_held_open_seconds: 30\n  lockout_minutes: 15",
        "policies.lockout_minutes",
        "lockout_minutes",
        "unknown key 'lockout_minutes'",
        id="unknown-policy",
    ),
    # cross-references
    pytest.param(
        "    to_room: store",
        "    to_room: stor",
        "doors[d-store].to_room",
        "to_room: stor",
        "unknown room 'stor' (expected one of: entrance-hall, gallery, store, outside); "
        "did you mean 'store'?",
        id="door-to-unknown-room",
    ),
    pytest.param(
        "    floor: ground\n    polygon: [[16, 0]",
        "    floor: first\n    polygon: [[16, 0]",
        "rooms[store].floor",
        "floor: first",
        "unknown floor 'first' (expected one of: ground)",
        id="unknown-floor",
    ),
    pytest.param(
        "    public: true\n    opening_hours: public-hours\n    adjacent: [entrance-hall, store]",
        "    public: true\n    opening_hours: public-hour\n    adjacent: [entrance-hall, store]",
        "rooms[gallery].opening_hours",
        "opening_hours: public-hour\n",
        "unknown schedule 'public-hour'",
        id="unknown-opening-hours",
    ),
    pytest.param(
        "    opening_hours: null            # never open to the public\n",
        "",
        None,
        None,
        None,
        id="null-opening-hours-may-be-omitted",
    ),
    pytest.param(
        "    public: false\n    opening_hours: null",
        "    public: true\n    opening_hours: null",
        "rooms[store].public",
        "public: true\n    opening_hours: null",
        "a public room needs opening_hours",
        id="public-room-without-hours",
    ),
    pytest.param(
        "    adjacent: [entrance-hall, store]",
        "    adjacent: [entrance-hall, store, attic]",
        "rooms[gallery].adjacent[2]",
        "adjacent: [entrance-hall, store, attic]",
        "unknown room 'attic'",
        id="unknown-adjacent-room",
    ),
    pytest.param(
        "    opening_hours: null            # never open to the public\n    adjacent: [gallery]",
        "    adjacent: []",
        "rooms[gallery].adjacent[1]",
        "adjacent: [entrance-hall, store]",
        "'gallery' lists 'store' as adjacent but 'store' does not list 'gallery'",
        id="one-sided-adjacency",
    ),
    pytest.param(
        "    position: [11, 0]",
        "    position: [30, 0]",
        "artworks[aw-001].position",
        "position: [30, 0]",
        "position [30.0, 0.0] is outside room 'gallery'",
        id="artwork-outside-its-room",
    ),
    pytest.param(
        "    room: gallery\n    position",
        "    room: galery\n    position",
        "artworks[aw-001].room",
        "room: galery",
        "unknown room 'galery'",
        id="artwork-unknown-room",
    ),
    pytest.param(
        "mount_sensors: [vib-aw-001]",
        "mount_sensors: [vib-aw-001, vib-aw-999]",
        "artworks[aw-001].mount_sensors[1]",
        "mount_sensors:",
        "unknown sensor 'vib-aw-999'",
        id="unknown-mount-sensor",
    ),
    pytest.param(
        "      - camera: cam-gallery",
        "      - camera: cam-galery",
        "artworks[aw-001].barriers[0].camera",
        "camera: cam-galery",
        "unknown camera 'cam-galery' (expected one of: cam-gallery)",
        id="barrier-unknown-camera",
    ),
    pytest.param(
        "[[520, 180], [760, 180], [760, 460], [520, 460]]",
        "[[520, 180], [1760, 180], [1760, 460], [520, 460]]",
        "artworks[aw-001].barriers[0].polygon[1]",
        "[1760, 180]",
        "point [1760.0, 180.0] is outside camera 'cam-gallery''s image (expected x 0..1280, "
        "y 0..720 pixels); 1 more points are outside too",
        id="barrier-outside-image",
    ),
    pytest.param(
        "    rooms: [gallery]",
        "    rooms: [gallery, cellar]",
        "cameras[cam-gallery].rooms[1]",
        "rooms: [gallery, cellar]",
        "unknown room 'cellar'",
        id="camera-unknown-room",
    ),
    pytest.param(
        "  - {id: pir-store, type: motion",
        "  - {id: pir-gallery, type: motion",
        "sensors[pir-gallery].id",
        "{id: pir-gallery, type: motion, room: store}",
        "duplicate sensor id 'pir-gallery'; each sensor needs its own id (first used by "
        "sensors[pir-gallery].id on line 105)",
        id="duplicate-id",
    ),
    pytest.param(
        "    readers: [r-store]",
        "    readers: [pir-store]",
        "sensors[pir-store].id",
        "{id: pir-store",
        "device id 'pir-store' is already used by a reader",
        id="reader-id-equals-sensor-id",
    ),
    pytest.param(
        "    lock: lock-store",
        "    lock: lock-entrance",
        "doors[d-store].lock",
        "lock: lock-entrance\n    contact: dc-store",
        "device id 'lock-entrance' is already used by a lock",
        id="lock-on-two-doors",
    ),
    pytest.param(
        "    contact: dc-store",
        "    contact: pir-store",
        "doors[d-store].contact",
        "contact: pir-store",
        "sensor 'pir-store' is a motion sensor; expected a door_contact sensor",
        id="contact-is-not-a-door-contact",
    ),
    pytest.param(
        "{id: dc-store, type: door_contact, room: store, door: d-store}",
        "{id: dc-store, type: door_contact, room: entrance-hall, door: d-store}",
        "sensors[dc-store].room",
        "{id: dc-store",
        "the sensor is on door 'd-store', which joins 'gallery' and 'store'",
        id="door-contact-in-wrong-room",
    ),
    pytest.param(
        "room: gallery, artwork: aw-001",
        "room: store, artwork: aw-001",
        "sensors[vib-aw-001].artwork",
        "{id: vib-aw-001",
        "artwork 'aw-001' is in room 'gallery' but this sensor is in 'store'",
        id="sensor-artwork-in-other-room",
    ),
    pytest.param(
        "    role: curator",
        "    role: curate",
        "people[p-002].role",
        "role: curate",
        "unknown role 'curate' (expected one of: curator, guard)",
        id="person-unknown-role",
    ),
    pytest.param(
        "    schedule: day-shift",
        "    schedule: days",
        "people[p-002].schedule",
        "schedule: days",
        "unknown schedule 'days'",
        id="person-unknown-schedule",
    ),
    pytest.param(
        "    zones: [entrance-hall, gallery, store]",
        "    zones: [entrance-hall, gallery, shop]",
        "people[p-002].zones[2]",
        "zones: [entrance-hall, gallery, shop]",
        "unknown room 'shop'",
        id="person-unknown-zone",
    ),
    pytest.param(
        "{id: card-0002, type: card}",
        "{id: card-0001, type: card}",
        "people[p-002].credentials[card-0001].id",
        "{id: card-0001, type: card}\n      - {id: pin",
        "credential 'card-0001' is listed twice",
        id="credential-on-two-people",
    ),
    pytest.param(
        "    two_person: {rooms: []}",
        "    two_person: {rooms: [vault]}",
        "policies.access.two_person.rooms[0]",
        "two_person: {rooms: [vault]}",
        "unknown room 'vault'",
        id="unknown-two-person-room",
    ),
    pytest.param(
        "  - {date: 2026-12-26, name: Boxing Day}",
        "  - {date: 2026-12-25, name: Boxing Day}",
        "holidays[1].date",
        "name: Boxing Day",
        "2026-12-25 is listed twice",
        id="duplicate-holiday",
    ),
]


@pytest.mark.parametrize(("old", "new", "field", "line_needle", "message"), CASES)
def test_problem_is_reported_with_line_and_field(
    tmp_path: Path,
    old: str,
    new: str,
    field: str | None,
    line_needle: str | None,
    message: str | None,
) -> None:
    text = edit(BASE, old, new)
    problems = problems_for(tmp_path, text)
    if field is None:
        assert problems == []
        return
    assert line_needle is not None and message is not None
    problem = only(problems, field)
    assert len(problems) == 1, [str(p) for p in problems]
    assert message in problem.message
    assert problem.line == line_of(text, line_needle)
    assert problem.file == str(tmp_path / "site.yaml")


def test_problem_text_is_file_line_column_field_message(tmp_path: Path) -> None:
    text = edit(BASE, "    to_room: store", "    to_room: galery-1")
    [problem] = problems_for(tmp_path, text)
    line = line_of(text, "to_room: galery-1")
    assert str(problem) == (
        f"{tmp_path / 'site.yaml'}:{line}:5: doors[d-store].to_room: unknown room 'galery-1' "
        "(expected one of: entrance-hall, gallery, store, outside); did you mean 'gallery'?"
    )


def test_door_between_rooms_that_are_not_adjacent(tmp_path: Path) -> None:
    text = edit(BASE, "    adjacent: [entrance-hall, store]", "    adjacent: [entrance-hall]")
    text = edit(
        text, "never open to the public\n    adjacent: [gallery]", "never open\n    adjacent: []"
    )
    [problem] = problems_for(tmp_path, text)
    assert problem.field == "doors[d-store]"
    assert problem.line == line_of(text, "- id: d-store")
    assert "door joins 'gallery' and 'store' but the rooms are not adjacent" in problem.message


def test_door_contact_sensor_must_belong_to_a_door(tmp_path: Path) -> None:
    text = edit(BASE, "    contact: dc-store\n", "")
    text = edit(text, "room: store, door: d-store}", "room: store}")
    [problem] = problems_for(tmp_path, text)
    assert problem.field == "sensors[dc-store].type"
    assert "must belong to a door" in problem.message


def test_barrier_camera_must_cover_the_artworks_room(tmp_path: Path) -> None:
    text = edit(
        BASE,
        "cameras:\n",
        "cameras:\n  - {id: cam-hall, name: Hall, source: /videos/hall.mp4, rooms: [entrance-hall],"
        " resolution: [1280, 720]}\n",
    )
    text = edit(text, "      - camera: cam-gallery", "      - camera: cam-hall")
    [problem] = problems_for(tmp_path, text)
    assert problem.field == "artworks[aw-001].barriers[0].camera"
    assert "camera 'cam-hall' covers entrance-hall, not this artwork's room 'gallery'" in (
        problem.message
    )
