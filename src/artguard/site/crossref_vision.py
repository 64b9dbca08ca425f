"""Cross-reference checks of what the video rules read from cameras: zones, lines, speakers."""

from __future__ import annotations

from collections.abc import Sequence

from artguard.site.checker import Checker
from artguard.site.entities import OUTSIDE, Camera
from artguard.site.geometry import Point
from artguard.site.problems import Loc


def check_camera_vision(c: Checker) -> None:
    """Zone and line ids are unique, their pixels lie in the image, their rooms exist."""
    first_zone: dict[str, Loc] = {}
    first_line: dict[str, Loc] = {}
    for i, camera in enumerate(c.site.cameras):
        for j, zone in enumerate(camera.zones):
            loc = ("cameras", i, "zones", j)
            _unique(c, first_zone, zone.id, (*loc, "id"), "zone")
            _inside_image(c, camera, zone.polygon, (*loc, "polygon"))
            if zone.schedule is not None:
                c.ref((*loc, "schedule"), "schedules", zone.schedule)
        for j, line in enumerate(camera.lines):
            loc = ("cameras", i, "lines", j)
            _unique(c, first_line, line.id, (*loc, "id"), "line")
            _inside_image(c, camera, line.points, (*loc, "points"))
            _check_line_rooms(c, camera, i, j)
        if camera.speaker is not None and camera.speaker in c.site.device_ids():
            c.add(
                ("cameras", i, "speaker"),
                f"speaker {camera.speaker!r} has the id of a {c.site.device_kind(camera.speaker)}; "
                "give the speaker its own id",
            )


def _unique(c: Checker, first: dict[str, Loc], item_id: str, loc: Loc, word: str) -> None:
    if item_id in first:
        c.add(
            loc,
            f"duplicate {word} id {item_id!r}; {word} ids are unique across all cameras",
            also=first[item_id],
        )
    else:
        first[item_id] = loc


def _inside_image(c: Checker, camera: Camera, points: Sequence[Point], loc: Loc) -> None:
    width, height = camera.resolution
    outside = [k for k, (x, y) in enumerate(points) if not (0 <= x <= width and 0 <= y <= height)]
    if outside:
        more = f"; {len(outside) - 1} more points are outside too" if len(outside) > 1 else ""
        c.add(
            (*loc, outside[0]),
            f"point {list(points[outside[0]])} is outside camera {camera.id!r}'s image "
            f"(expected x 0..{width}, y 0..{height} pixels){more}",
        )


def _check_line_rooms(c: Checker, camera: Camera, i: int, j: int) -> None:
    """Both sides are declared rooms (or outside), adjacent, and the camera sees one of them."""
    line = camera.lines[j]
    loc = ("cameras", i, "lines", j)
    known = [
        c.ref((*loc, side), "rooms", room, extra=(OUTSIDE,))
        for side, room in (("in_room", line.in_room), ("out_room", line.out_room))
    ]
    if not all(known):
        return
    if line.in_room not in camera.rooms and line.out_room not in camera.rooms:
        c.add(
            (*loc, "in_room"),
            f"camera {camera.id!r} covers {', '.join(camera.rooms)}, neither side of this line "
            f"({line.in_room!r}, {line.out_room!r}); a line is drawn where the camera sees it",
        )
    a, b = c.rooms.get(line.in_room), c.rooms.get(line.out_room)
    if a is not None and b is not None and b.id not in a.adjacent and a.id not in b.adjacent:
        c.add(
            loc,
            f"the line joins {a.id!r} and {b.id!r} but the rooms are not adjacent; people "
            "cross a line between rooms they can walk between",
        )
