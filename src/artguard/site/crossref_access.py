"""Cross-reference checks of access devices and people: doors, sensors, staff, policies."""

from __future__ import annotations

from artguard.site.checker import Checker, first_by_id
from artguard.site.entities import OUTSIDE, Door
from artguard.site.people import ALL_ROOMS
from artguard.site.problems import Loc


def check_doors(c: Checker) -> None:
    """Door rooms, implied adjacency and contact sensors."""
    for i, door in enumerate(c.site.doors):
        sides_known = [
            c.ref(("doors", i, side), "rooms", room, extra=(OUTSIDE,))
            for side, room in (("from_room", door.from_room), ("to_room", door.to_room))
        ]
        a, b = c.rooms.get(door.from_room), c.rooms.get(door.to_room)
        if all(sides_known) and a and b and b.id not in a.adjacent and a.id not in b.adjacent:
            c.add(
                ("doors", i),
                f"door joins {a.id!r} and {b.id!r} but the rooms are not adjacent; add "
                f"{b.id!r} to rooms[{a.id}].adjacent and {a.id!r} to rooms[{b.id}].adjacent",
            )
        if door.contact is None:
            continue
        sensor = c.sensors.get(door.contact)
        if not c.ref(("doors", i, "contact"), "sensors", door.contact) or sensor is None:
            continue
        if sensor.type != "door_contact":
            c.add(
                ("doors", i, "contact"),
                f"sensor {sensor.id!r} is a {sensor.type} sensor; expected a door_contact sensor",
            )
        elif sensor.door is not None and sensor.door != door.id:
            c.add(
                ("doors", i, "contact"),
                f"sensor {sensor.id!r} is fitted to door {sensor.door!r} (its door: field)",
            )


def check_sensors(c: Checker) -> None:
    """What each sensor is fitted to, and that it is in the right room."""
    artworks = first_by_id(c.site.artworks)
    for i, sensor in enumerate(c.site.sensors):
        c.ref(("sensors", i, "room"), "rooms", sensor.room)
        if sensor.artwork is not None and c.ref(
            ("sensors", i, "artwork"), "artworks", sensor.artwork
        ):
            art = artworks.get(sensor.artwork)
            if art is not None and c.room_known(art.room) and art.room != sensor.room:
                c.add(
                    ("sensors", i, "artwork"),
                    f"artwork {art.id!r} is in room {art.room!r} but this sensor is in "
                    f"{sensor.room!r}; a sensor on an artwork is in the artwork's room",
                )
        door = c.contact_owner.get(sensor.id)
        if sensor.door is not None:
            found = c.ref(("sensors", i, "door"), "doors", sensor.door)
            door = c.doors.get(sensor.door) if found else None
        sides = (door.from_room, door.to_room) if door is not None else ()
        if door is not None and all(c.room_known(r) for r in sides) and sensor.room not in sides:
            c.add(
                ("sensors", i, "room"),
                f"the sensor is on door {door.id!r}, which joins {door.from_room!r} and "
                f"{door.to_room!r}; expected one of those rooms",
            )
        if sensor.type == "door_contact" and sensor.door is None and door is None:
            c.add(
                ("sensors", i, "type"),
                "a door_contact sensor must belong to a door: set door: on the sensor "
                "or contact: on the door",
            )
        if sensor.type == "passage_counter":
            _check_passage_counter(c, i, sensor.door, door)


def _check_passage_counter(c: Checker, i: int, door_id: str | None, door: Door | None) -> None:
    """A passage counter is compared with the grants at its door: it needs a badged door."""
    if door_id is None:
        c.add(
            ("sensors", i, "door"),
            "a passage_counter counts people through a door: set door: to the door it watches",
        )
    elif door is not None and not door.readers:
        c.add(
            ("sensors", i, "door"),
            f"door {door.id!r} has no readers, so there are no grants to compare its passages "
            "with; fit the counter to a badged door",
        )


def check_people(c: Checker) -> None:
    """Roles, shifts, zones, and credentials that identify one person."""
    first_holder: dict[str, Loc] = {}
    for i, person in enumerate(c.site.people):
        c.ref(("people", i, "role"), "roles", person.role)
        if person.schedule is not None:
            c.ref(("people", i, "schedule"), "schedules", person.schedule)
        for j, zone in enumerate(person.zones):
            if zone != ALL_ROOMS:
                c.ref(("people", i, "zones", j), "rooms", zone)
        for j, credential in enumerate(person.credentials):
            loc = ("people", i, "credentials", j, "id")
            if credential.id in first_holder:
                c.add(
                    loc,
                    f"credential {credential.id!r} is listed twice; a credential identifies "
                    "one person",
                    also=first_holder[credential.id],
                )
            else:
                first_holder[credential.id] = loc


def check_policies(c: Checker) -> None:
    """Every room, door and role the access policy names exists."""
    access = c.site.policies.access
    base: Loc = ("policies", "access")
    for j, room in enumerate(access.two_person.rooms):
        c.ref((*base, "two_person", "rooms", j), "rooms", room)
    for i, interlock in enumerate(access.interlocks):
        for j, door in enumerate(interlock.doors):
            c.ref((*base, "interlocks", i, "doors", j), "doors", door)
    for i, rule in enumerate(access.first_person_in):
        for j, room in enumerate(rule.rooms):
            c.ref((*base, "first_person_in", i, "rooms", j), "rooms", room)
        for j, role in enumerate(rule.supervisor_roles):
            c.ref((*base, "first_person_in", i, "supervisor_roles", j), "roles", role)
    for key in ("roles", "escort_roles"):
        for j, role in enumerate(getattr(access.escort, key)):
            c.ref((*base, "escort", key, j), "roles", role)
    for level in ("elevated", "lockdown"):
        threat = getattr(access.threat_levels, level)
        for key in ("deny_roles", "allow_roles"):
            for j, role in enumerate(getattr(threat, key) or ()):
                c.ref((*base, "threat_levels", level, key, j), "roles", role)
