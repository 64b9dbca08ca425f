"""The things a site is made of: floors, rooms, artworks, cameras, doors, sensors.

Each model checks what it can see on its own (a polygon that crosses itself, a sensor whose
``min`` is above its ``max``). Whether the ids it names exist is checked across the whole site
in :mod:`artguard.site.crossref`.
"""

from __future__ import annotations

import difflib
from functools import cache
from typing import Annotated, Literal
from urllib.parse import urlparse
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)

from artguard.site.base import Id, Name, SiteModel, Text, unique_values
from artguard.site.conservation import Conservation
from artguard.site.geometry import Point, polygon_problem

OUTSIDE = "outside"
"""Reserved room id for the far side of an exterior door."""

SensorType = Literal[
    "motion",
    "vibration",
    "door_contact",
    "glass_break",
    "temperature",
    "humidity",
    "passage_counter",
]
PassageCounting = Literal["cumulative", "per_passage"]
CAMERA_SCHEMES = ("rtsp", "rtsps", "http", "https", "file")
Point3 = tuple[float, float, float]


def _check_polygon(points: list[Point]) -> list[Point]:
    problem = polygon_problem(points)
    if problem:
        raise ValueError(problem)
    return points


Polygon = Annotated[list[Point], Field(min_length=3), AfterValidator(_check_polygon)]


class SiteInfo(SiteModel):
    """Who the site is and which clock its schedules use."""

    id: Id = Field(description="Short id of the site, e.g. 'demo-museum'.")
    name: Name = Field(description="Human name of the site.")
    timezone: str = Field(
        description="IANA time zone, e.g. 'Europe/London'; schedules are in this local time."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            close = difflib.get_close_matches(value, _zone_names(), n=3)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise ValueError(
                f"unknown time zone {value!r} (expected an IANA name such as Europe/London "
                f"or America/New_York){hint}"
            ) from None
        return value


@cache
def _zone_names() -> list[str]:
    return sorted(available_timezones())


class Floor(SiteModel):
    """One storey of the building."""

    id: Id = Field(description="Floor id, referenced by rooms.")
    name: Name = Field(description="Human name, e.g. 'Ground floor'.")
    level: int = Field(default=0, description="Storey number: 0 ground, 1 first, -1 basement.")


class Room(SiteModel):
    """A room (or zone) on a floor plan."""

    id: Id = Field(description=f"Room id ('{OUTSIDE}' is reserved for exterior doors).")
    name: Name = Field(description="Human name shown to operators.")
    floor: Id = Field(description="Id of the floor the room is on.")
    polygon: Polygon = Field(
        description="Outline on the floor plan in metres, [[x, y], ...], at least 3 points "
        "in order around the room, not crossing itself."
    )
    security_level: int = Field(
        ge=1,
        le=4,
        description="1 public circulation, 2 galleries and other guarded rooms, 3 staff only, "
        "4 vault.",
    )
    public: bool = Field(
        default=False, description="Visitors may be here during the room's opening hours."
    )
    opening_hours: Id | None = Field(
        default=None, description="Schedule id of public opening hours; null: never open."
    )
    adjacent: list[Id] = Field(
        default_factory=list,
        description="Rooms reachable directly from this one; must be listed on both sides.",
    )
    conservation: Conservation | None = Field(
        default=None,
        description="Climate limits for the works here (temperature/humidity band, rate).",
    )

    @field_validator("id")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value == OUTSIDE:
            raise ValueError(
                f"the room id {OUTSIDE!r} is reserved for the far side of exterior doors"
            )
        return value

    @model_validator(mode="after")
    def _adjacency_sane(self) -> Room:
        unique_values(self.adjacent, "room")
        if self.id in self.adjacent:
            raise ValueError(f"room {self.id!r} lists itself in adjacent")
        return self


def _year_text(value: object) -> object:
    """Collection metadata years are text ("c.1845", "1816-17"); accept a bare number too."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class Barrier(SiteModel):
    """A virtual barrier around an artwork, as seen by one camera."""

    camera: Id = Field(description="Id of the camera whose image the polygon is drawn on.")
    polygon: Polygon = Field(
        description="Barrier outline in image pixels, [[x, y], ...], within the camera's "
        "resolution; a person inside it is too close."
    )


class Artwork(SiteModel):
    """An artwork on display or in store."""

    id: Id = Field(description="Artwork id.")
    title: Name = Field(description="Title as in the collection record.")
    artist: Name = Field(description="Artist as in the collection record.")
    year: Annotated[str | None, BeforeValidator(_year_text)] = Field(
        default=None, description="Date as free text, e.g. 'c.1845' or 'exhibited 1842'."
    )
    medium: Text | None = Field(default=None, description="Medium, e.g. 'Oil paint on canvas'.")
    accession_number: Name | None = Field(
        default=None, description="The collection's accession number."
    )
    value_tier: int = Field(
        ge=1, le=4, description="1 standard, 2 notable, 3 major, 4 masterpiece."
    )
    room: Id = Field(description="Id of the room the artwork is in.")
    position: Point = Field(
        description="[x, y] on the floor plan in metres; inside the room's polygon (a wall "
        "counts as inside)."
    )
    mount_sensors: list[Id] = Field(
        default_factory=list, description="Ids of sensors fitted to the mount or case."
    )
    barriers: list[Barrier] = Field(
        default_factory=list, description="Virtual barrier polygons, one per camera seeing it."
    )
    barrier_min_seconds: float = Field(
        default=0.5,
        ge=0,
        le=60,
        description="Seconds a hand or body must stay inside a barrier before it is a touch "
        "(a hand passing through while pointing is not).",
    )
    barrier_cooldown_seconds: float = Field(
        default=30.0,
        ge=0,
        le=3600,
        description="After a touch alert, seconds before the same visitor at this artwork can "
        "raise another, so one visitor leaning in repeatedly is one alert.",
    )


ZoneKind = Literal["restricted", "loiter", "exit", "blind_spot"]
DEFAULT_LOITER_SECONDS = 120.0


class Zone(SiteModel):
    """An area of a camera's image where being present (or staying) is worth an alert."""

    id: Id = Field(description="Zone id, unique across the site.")
    name: Name = Field(description="Human name shown in alerts, e.g. 'Behind the rope'.")
    polygon: Polygon = Field(
        description="Zone outline in image pixels, [[x, y], ...], within the camera's "
        "resolution; a person counts as inside when their feet are."
    )
    kind: ZoneKind = Field(
        description="restricted: anyone inside is an alert; loiter: staying longer than "
        "loiter_seconds is; exit, blind_spot: no alert, but a visitor lingering there longer "
        "than is normal gets a watch flag."
    )
    loiter_seconds: float | None = Field(
        default=None,
        gt=0,
        le=86400,
        description=f"Loiter zones: seconds one person may stay inside before an alert "
        f"(default {DEFAULT_LOITER_SECONDS:g}); exit and blind_spot zones: a fixed linger "
        f"limit for watch flags instead of the learned one; restricted zones: not used.",
    )
    schedule: Id | None = Field(
        default=None,
        description="Schedule id of when the zone applies; null: always.",
    )

    @model_validator(mode="before")
    @classmethod
    def _loiter_default(cls, data: object) -> object:
        if not isinstance(data, dict):
            return data
        seconds = data.get("loiter_seconds")
        if data.get("kind") == "loiter" and seconds is None:
            return {**data, "loiter_seconds": DEFAULT_LOITER_SECONDS}
        if data.get("kind") == "restricted" and seconds is not None:
            raise ValueError(
                "loiter_seconds applies to loiter zones; this zone is 'restricted' "
                "(remove loiter_seconds or set kind: loiter)"
            )
        return data


class CountLine(SiteModel):
    """A line across a doorway in a camera's image; people crossing it move between rooms."""

    id: Id = Field(description="Line id, unique across the site.")
    name: Name = Field(description="Human name, e.g. 'Doorway to Gallery 3'.")
    points: tuple[Point, Point] = Field(
        description="[[x1, y1], [x2, y2]] in image pixels, within the camera's resolution."
    )
    in_room: Id = Field(
        description="Room on the right-hand side when walking from the first point to the "
        f"second across the image (or '{OUTSIDE}'); crossing to this side is an entry."
    )
    out_room: Id = Field(description=f"Room on the other side (or '{OUTSIDE}').")

    @model_validator(mode="after")
    def _sane(self) -> CountLine:
        (x1, y1), (x2, y2) = self.points
        if abs(x1 - x2) < 1 and abs(y1 - y2) < 1:
            raise ValueError("the line's two points are less than a pixel apart")
        if self.in_room == self.out_room:
            raise ValueError(
                f"in_room and out_room are both {self.in_room!r}; a line separates two rooms"
            )
        return self


class Camera(SiteModel):
    """A CCTV camera artguard analyses."""

    id: Id = Field(description="Camera id (a device id).")
    name: Name = Field(description="Human name.")
    source: str = Field(
        min_length=1,
        description="Video source: rtsp://, rtsps://, http(s)://, file:// URL or a file path.",
    )
    rooms: list[Id] = Field(
        min_length=1, description="Rooms the camera covers; the first is its home."
    )
    resolution: tuple[Annotated[int, Field(gt=0)], Annotated[int, Field(gt=0)]] = Field(
        description="[width, height] of the analysed image in pixels."
    )
    fps: float = Field(default=5.0, gt=0, le=60, description="Frames per second to analyse.")
    homography: tuple[Point3, Point3, Point3] | None = Field(
        default=None, description="Optional 3x3 matrix from image pixels to floor metres."
    )
    zones: list[Zone] = Field(
        default_factory=list,
        description="Restricted and loitering zones drawn on this camera's image.",
    )
    lines: list[CountLine] = Field(
        default_factory=list,
        description="Counting lines across doorways in this camera's image, for occupancy.",
    )
    speaker: Id | None = Field(
        default=None,
        description="Device id of the gallery speaker that plays the step-back message for "
        "barrier alerts seen by this camera; null: no audible deterrent.",
    )

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        if "://" not in value:
            return value  # a file path
        url = urlparse(value)
        if url.scheme not in CAMERA_SCHEMES:
            raise ValueError(
                f"unsupported source scheme {url.scheme!r} "
                f"(expected one of: {', '.join(CAMERA_SCHEMES)}, or a file path)"
            )
        if url.scheme != "file" and not url.hostname:
            raise ValueError(
                f"source {value!r} has no host (expected e.g. rtsp://10.0.0.21/stream1)"
            )
        return value

    @field_validator("rooms")
    @classmethod
    def _unique_rooms(cls, rooms: list[str]) -> list[str]:
        return unique_values(rooms, "room")

    @field_validator("homography")
    @classmethod
    def _invertible(cls, matrix: tuple[Point3, Point3, Point3] | None) -> object:
        if matrix is not None:
            (a, b, c), (d, e, f), (g, h, i) = matrix
            if abs(a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)) < 1e-12:
                raise ValueError(
                    "the homography is singular (determinant 0); it cannot map the image"
                )
        return matrix


class Door(SiteModel):
    """A door between two rooms (or a room and ``outside``), with its access devices."""

    id: Id = Field(description="Door id (a device id: door controllers report as the door).")
    name: Name = Field(description="Human name.")
    from_room: Id = Field(description=f"Room on one side (or '{OUTSIDE}').")
    to_room: Id = Field(
        description=f"Room on the other side (or '{OUTSIDE}'); readers badge into this room."
    )
    readers: list[Id] = Field(
        default_factory=list,
        description="Ids of the card/PIN/face readers people badge at to enter to_room.",
    )
    exit_readers: list[Id] = Field(
        default_factory=list,
        description="Ids of readers on the to_room side, badged to leave it (anti-passback).",
    )
    lock: Id | None = Field(default=None, description="Id of the door's lock, if controlled.")
    contact: Id | None = Field(
        default=None, description="Id of the door_contact sensor reporting open/closed."
    )
    held_open_seconds: int | None = Field(
        default=None,
        gt=0,
        description="Seconds open before 'held open'; overrides policies.door_held_open_seconds.",
    )

    @model_validator(mode="after")
    def _two_sides(self) -> Door:
        if self.from_room == self.to_room:
            raise ValueError(
                f"from_room and to_room are both {self.from_room!r}; a door joins two rooms"
            )
        unique_values([*self.readers, *self.exit_readers], "reader")
        return self


class Sensor(SiteModel):
    """A physical sensor; every sensor is in a room."""

    id: Id = Field(description="Sensor id (a device id).")
    type: SensorType = Field(
        description="motion, vibration, door_contact, glass_break, temperature, humidity or "
        "passage_counter (people passing through its door into the door's to_room)."
    )
    room: Id = Field(description="Id of the room the sensor is in.")
    artwork: Id | None = Field(default=None, description="Artwork the sensor is fitted to, if any.")
    door: Id | None = Field(
        default=None, description="Door a door_contact or passage_counter sensor is fitted to."
    )
    unit: str | None = Field(
        default=None, max_length=16, description="Unit of readings, e.g. 'C', '%RH', 'g'."
    )
    min: float | None = Field(default=None, description="Lowest acceptable reading, if any.")
    max: float | None = Field(default=None, description="Highest acceptable reading, if any.")
    counting: PassageCounting | None = Field(
        default=None,
        description="passage_counter only: 'cumulative' (each reading is the running total; "
        "the default) or 'per_passage' (each reading is the number of people just counted).",
    )
    rollover: int | None = Field(
        default=None,
        gt=1,
        description="passage_counter only: a cumulative counter wraps to 0 at this value "
        "(e.g. 65536); without it a falling count is taken as a reset.",
    )

    @model_validator(mode="after")
    def _range(self) -> Sensor:
        if self.min is not None and self.max is not None and self.min >= self.max:
            raise ValueError(f"min ({self.min:g}) must be below max ({self.max:g})")
        if self.type != "passage_counter" and (self.counting or self.rollover):
            raise ValueError("counting and rollover apply to passage_counter sensors only")
        if self.counting == "per_passage" and self.rollover is not None:
            raise ValueError("rollover applies to cumulative counting only")
        return self
