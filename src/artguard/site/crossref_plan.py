"""Cross-reference checks of the floor plan and what is placed on it: rooms, artworks, cameras."""

from __future__ import annotations

from artguard.site.checker import Checker
from artguard.site.geometry import bounds, contains


def check_rooms(c: Checker) -> None:
    """Floors, opening hours and symmetric adjacency."""
    for i, room in enumerate(c.site.rooms):
        c.ref(("rooms", i, "floor"), "floors", room.floor)
        if room.opening_hours is not None:
            c.ref(("rooms", i, "opening_hours"), "schedules", room.opening_hours)
            if not room.public:
                c.add(
                    ("rooms", i, "opening_hours"),
                    "opening_hours is set but public is false; set public: true, "
                    "or opening_hours: null for a room visitors never enter",
                )
        elif room.public:
            c.add(
                ("rooms", i, "public"),
                "a public room needs opening_hours (a schedule id); "
                "set public: false for a room visitors never enter",
            )
        for j, other in enumerate(room.adjacent):
            if not c.ref(("rooms", i, "adjacent", j), "rooms", other):
                continue
            peer = c.rooms.get(other)
            if peer is not None and room.id not in peer.adjacent:
                c.add(
                    ("rooms", i, "adjacent", j),
                    f"{room.id!r} lists {other!r} as adjacent but {other!r} does not list "
                    f"{room.id!r}; add {room.id!r} to rooms[{other}].adjacent",
                )


def check_artworks(c: Checker) -> None:
    """Room, position, mount sensors and barriers of each artwork."""
    for i, art in enumerate(c.site.artworks):
        room_known = c.ref(("artworks", i, "room"), "rooms", art.room)
        if room_known:
            room = c.rooms.get(art.room)
            if room is not None and not contains(room.polygon, art.position):
                x0, y0, x1, y1 = bounds(room.polygon)
                c.add(
                    ("artworks", i, "position"),
                    f"position {list(art.position)} is outside room {room.id!r} "
                    f"(expected a point inside its outline, which spans x {x0:g}..{x1:g}, "
                    f"y {y0:g}..{y1:g} m)",
                )
        for j, sensor_id in enumerate(art.mount_sensors):
            loc = ("artworks", i, "mount_sensors", j)
            sensor = c.sensors.get(sensor_id)
            if not c.ref(loc, "sensors", sensor_id) or sensor is None:
                continue
            if sensor.artwork is not None and sensor.artwork != art.id:
                c.add(loc, f"sensor {sensor_id!r} is fitted to artwork {sensor.artwork!r}")
            elif sensor.artwork is None and room_known and sensor.room != art.room:
                c.add(
                    loc,
                    f"sensor {sensor_id!r} is in room {sensor.room!r}, "
                    f"not in the artwork's room {art.room!r}",
                )
        _check_barriers(c, i, room_known)


def _check_barriers(c: Checker, i: int, room_known: bool) -> None:
    art = c.site.artworks[i]
    first: dict[str, int] = {}
    for j, barrier in enumerate(art.barriers):
        loc = ("artworks", i, "barriers", j, "camera")
        if barrier.camera in first:
            c.add(
                loc,
                f"a second barrier for camera {barrier.camera!r}; give one polygon per camera",
                also=("artworks", i, "barriers", first[barrier.camera], "camera"),
            )
            continue
        first[barrier.camera] = j
        camera = c.cameras.get(barrier.camera)
        if not c.ref(loc, "cameras", barrier.camera) or camera is None:
            continue
        if room_known and art.room not in camera.rooms:
            c.add(
                loc,
                f"camera {camera.id!r} covers {', '.join(camera.rooms)}, not this artwork's "
                f"room {art.room!r}; add the room to the camera's rooms or draw the barrier "
                "on a camera that sees the artwork",
            )
        width, height = camera.resolution
        outside = [
            k
            for k, (x, y) in enumerate(barrier.polygon)
            if not (0 <= x <= width and 0 <= y <= height)
        ]
        if outside:
            more = f"; {len(outside) - 1} more points are outside too" if len(outside) > 1 else ""
            c.add(
                ("artworks", i, "barriers", j, "polygon", outside[0]),
                f"point {list(barrier.polygon[outside[0]])} is outside camera {camera.id!r}'s "
                f"image (expected x 0..{width}, y 0..{height} pixels){more}",
            )


def check_cameras(c: Checker) -> None:
    for i, camera in enumerate(c.site.cameras):
        for j, room in enumerate(camera.rooms):
            c.ref(("cameras", i, "rooms", j), "rooms", room)
