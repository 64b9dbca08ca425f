"""The :class:`Site` root model and the lookups the rest of artguard calls per event.

Indexes are built once when the model is created, so every helper is a dictionary lookup.
A ``Site`` built by :func:`artguard.site.load_site` has also passed the cross-reference
checks; one built directly from a dict has only passed the schema.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import Field

from artguard.site.base import SiteModel
from artguard.site.entities import OUTSIDE, Artwork, Camera, Door, Floor, Room, Sensor, SiteInfo
from artguard.site.people import Credential, Person, Role
from artguard.site.playbooks import DoorControl, Notifications, Playbook
from artguard.site.policies import EvidenceSettings, Policies, Privacy, Retention
from artguard.site.procedures import Procedures
from artguard.site.schedule import Holiday, Schedule, schedule_active

DeviceKind = Literal["reader", "lock", "camera", "sensor", "door"]
T = TypeVar("T")
SCHEDULE_CACHE_SIZE = 4096


class Site(SiteModel):
    """A whole site, as described by one YAML file."""

    info: SiteInfo = Field(alias="site", description="Site id, name and time zone.")
    floors: list[Floor] = Field(min_length=1, description="Storeys of the building.")
    schedules: list[Schedule] = Field(
        default_factory=list, description="Opening hours and staff shifts."
    )
    holidays: list[Holiday] = Field(
        default_factory=list, description="Public holidays and closure days."
    )
    rooms: list[Room] = Field(min_length=1, description="Rooms on the floor plan.")
    artworks: list[Artwork] = Field(
        default_factory=list, description="Artworks and their barriers."
    )
    cameras: list[Camera] = Field(default_factory=list, description="CCTV cameras.")
    doors: list[Door] = Field(
        default_factory=list, description="Doors with readers, locks, contacts."
    )
    sensors: list[Sensor] = Field(default_factory=list, description="Physical sensors.")
    roles: list[Role] = Field(default_factory=list, description="Staff roles.")
    people: list[Person] = Field(default_factory=list, description="Staff and their credentials.")
    policies: Policies = Field(default_factory=Policies, description="Site-wide security policies.")
    retention: Retention = Field(default_factory=Retention, description="How long data is kept.")
    privacy: Privacy = Field(
        default_factory=Privacy, description="Faces in stored camera evidence."
    )
    evidence: EvidenceSettings = Field(
        default_factory=EvidenceSettings,
        description="The snapshot and optional clip stored for each camera alert.",
    )
    procedures: Procedures = Field(
        default_factory=dict,
        description="Standard operating procedures per incident pattern; replace the defaults.",
    )
    playbooks: list[Playbook] = Field(
        default_factory=list, description="What artguard does on its own when incidents match."
    )
    notifications: Notifications = Field(
        default_factory=Notifications, description="Channels and each audience's defaults."
    )
    door_control: DoorControl = Field(
        default_factory=DoorControl, description="How door locks are commanded (MQTT, HTTP)."
    )

    def model_post_init(self, context: Any, /) -> None:
        _ = self._index  # build the lookup tables once, up front

    @cached_property
    def _index(self) -> _Index:
        # A cached_property lives in the instance __dict__, so reads are plain attribute
        # lookups; a pydantic PrivateAttr goes through __getattr__ (~2 us per read), which
        # matters on the per-event hot paths (rules, ingestion checks).
        return _Index.build(self)

    # -- identity ---------------------------------------------------------------------------

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def tz(self) -> ZoneInfo:
        """The site's time zone; schedules are evaluated in it."""
        return self._index.tz

    # -- objects by id (KeyError with a clear message when unknown) -------------------------

    def room(self, room_id: str) -> Room:
        return self._get(self._index.rooms, room_id, "room")

    def door(self, door_id: str) -> Door:
        return self._get(self._index.doors, door_id, "door")

    def sensor(self, sensor_id: str) -> Sensor:
        return self._get(self._index.sensors, sensor_id, "sensor")

    def camera(self, camera_id: str) -> Camera:
        return self._get(self._index.cameras, camera_id, "camera")

    def artwork(self, artwork_id: str) -> Artwork:
        return self._get(self._index.artworks, artwork_id, "artwork")

    def person(self, person_id: str) -> Person:
        return self._get(self._index.people, person_id, "person")

    def schedule(self, schedule_id: str) -> Schedule:
        return self._get(self._index.schedules, schedule_id, "schedule")

    # -- devices -----------------------------------------------------------------------------

    def door_for_reader(self, reader_id: str) -> Door | None:
        return self._index.reader_door.get(reader_id)

    def reader_leads_out(self, reader_id: str) -> bool:
        """Whether the reader is one of its door's ``exit_readers`` (badging out of to_room)."""
        return reader_id in self._index.exit_readers

    def door_for_contact(self, sensor_id: str) -> Door | None:
        return self._index.contact_door.get(sensor_id)

    def door_for_lock(self, lock_id: str) -> Door | None:
        return self._index.lock_door.get(lock_id)

    def credential(self, credential_id: str) -> Credential | None:
        return self._index.credentials.get(credential_id)

    def credential_holder(self, credential_id: str) -> Person | None:
        return self._index.credential_person.get(credential_id)

    def device_ids(self) -> frozenset[str]:
        """Every id that may send events: readers, locks, cameras, sensors and doors."""
        return self._index.device_ids

    def device_kind(self, device_id: str) -> DeviceKind | None:
        return self._index.device_kinds.get(device_id)

    def device_room(self, device_id: str) -> str | None:
        """The room a device reports about.

        A reader, lock or door belongs to the room its door leads into (``to_room``); for an
        exterior door leading ``outside`` that is the inside room. A sensor is in its room; a
        camera belongs to the first room it covers.
        """
        return self._index.device_rooms.get(device_id)

    # -- floor plan and time ----------------------------------------------------------------

    def adjacent(self, room_id: str) -> frozenset[str]:
        self.room(room_id)
        return self._index.adjacent.get(room_id, frozenset())

    def in_schedule(self, schedule_id: str, at: datetime) -> bool:
        """Whether the schedule is on at aware instant ``at`` (site time, holidays respected).

        Answers are cached per whole minute: windows start and end on whole minutes, and the
        rules ask this for nearly every event.
        """
        index = self._index
        if at.tzinfo is None:  # schedule_active says what is wrong
            return schedule_active(self.schedule(schedule_id), at, self.tz, index.holidays)
        key = (schedule_id, int(at.timestamp()) // 60)
        known = index.schedule_minutes.get(key)
        if known is not None:
            return known
        active = schedule_active(self.schedule(schedule_id), at, self.tz, index.holidays)
        if schedule_id in index.minute_schedules:
            if len(index.schedule_minutes) >= SCHEDULE_CACHE_SIZE:
                index.schedule_minutes.clear()
            index.schedule_minutes[key] = active
        return active

    def is_open_to_public(self, room_id: str, at: datetime) -> bool:
        room = self.room(room_id)
        if not room.public or room.opening_hours is None:
            return False
        return self.in_schedule(room.opening_hours, at)

    def is_holiday(self, day: date) -> bool:
        return day in self._index.holidays

    def held_open_limit(self, door_id: str) -> timedelta:
        door = self.door(door_id)
        seconds = door.held_open_seconds or self.policies.door_held_open_seconds
        return timedelta(seconds=seconds)

    def credential_valid(self, credential_id: str, at: datetime) -> bool:
        """Whether the credential exists and is inside its validity period at ``at``."""
        credential = self._index.credentials.get(credential_id)
        return credential is not None and credential.valid_at(at, self.tz)

    def _get(self, table: dict[str, T], key: str, kind: str) -> T:
        try:
            return table[key]
        except KeyError:
            raise KeyError(f"unknown {kind} {key!r} in site {self._index.site_id!r}") from None


@dataclass
class _Index:
    """Lookup tables over a site; the first object wins where a broken site repeats an id."""

    site_id: str
    tz: ZoneInfo
    rooms: dict[str, Room]
    doors: dict[str, Door]
    sensors: dict[str, Sensor]
    cameras: dict[str, Camera]
    artworks: dict[str, Artwork]
    people: dict[str, Person]
    schedules: dict[str, Schedule]
    holidays: frozenset[date]
    adjacent: dict[str, frozenset[str]]
    reader_door: dict[str, Door] = field(default_factory=dict)
    lock_door: dict[str, Door] = field(default_factory=dict)
    contact_door: dict[str, Door] = field(default_factory=dict)
    exit_readers: set[str] = field(default_factory=set)
    credentials: dict[str, Credential] = field(default_factory=dict)
    credential_person: dict[str, Person] = field(default_factory=dict)
    device_kinds: dict[str, DeviceKind] = field(default_factory=dict)
    device_rooms: dict[str, str] = field(default_factory=dict)
    device_ids: frozenset[str] = frozenset()
    minute_schedules: frozenset[str] = frozenset()
    """Schedules whose windows all start and end on whole minutes (answers can be cached)."""
    schedule_minutes: dict[tuple[str, int], bool] = field(default_factory=dict)
    """Cached ``in_schedule`` answers by (schedule id, minutes since the epoch)."""

    @classmethod
    def build(cls, site: Site) -> _Index:
        info: SiteInfo | None = getattr(site, "info", None)  # absent in a partial site
        index = cls(
            site_id=info.id if info else "?",
            tz=ZoneInfo(info.timezone) if info else ZoneInfo("UTC"),
            rooms=_by_id(site.rooms),
            doors=_by_id(site.doors),
            sensors=_by_id(site.sensors),
            cameras=_by_id(site.cameras),
            artworks=_by_id(site.artworks),
            people=_by_id(site.people),
            schedules=_by_id(site.schedules),
            holidays=frozenset(h.date for h in site.holidays),
            adjacent=_symmetric_adjacency(site.rooms),
            minute_schedules=frozenset(
                s.id
                for s in site.schedules
                if all(
                    t.second == 0 and t.microsecond == 0
                    for w in s.windows
                    for t in (w.start, w.end)
                )
            ),
        )
        for door in site.doors:
            inside = door.from_room if door.to_room == OUTSIDE else door.to_room
            index._device(door.id, "door", inside)
            for reader in door.readers:
                index.reader_door.setdefault(reader, door)
                index._device(reader, "reader", inside)
            for reader in door.exit_readers:
                if reader not in index.reader_door:
                    index.reader_door[reader] = door
                    index.exit_readers.add(reader)
                index._device(reader, "reader", inside)
            if door.lock:
                index.lock_door.setdefault(door.lock, door)
                index._device(door.lock, "lock", inside)
            if door.contact:
                index.contact_door.setdefault(door.contact, door)
        for sensor in site.sensors:
            index._device(sensor.id, "sensor", sensor.room)
            if sensor.type == "door_contact" and sensor.door in index.doors:
                index.contact_door.setdefault(sensor.id, index.doors[sensor.door])
        for camera in site.cameras:
            index._device(camera.id, "camera", camera.rooms[0])
        for person in site.people:
            for credential in person.credentials:
                index.credentials.setdefault(credential.id, credential)
                index.credential_person.setdefault(credential.id, person)
        index.device_ids = frozenset(index.device_kinds)
        return index

    def _device(self, device_id: str, kind: DeviceKind, room: str) -> None:
        if device_id not in self.device_kinds:
            self.device_kinds[device_id] = kind
            self.device_rooms[device_id] = room


def _by_id(items: list[T]) -> dict[str, T]:
    table: dict[str, T] = {}
    for item in items:
        table.setdefault(item.id, item)  # type: ignore[attr-defined]
    return table


def _symmetric_adjacency(rooms: list[Room]) -> dict[str, frozenset[str]]:
    pairs: dict[str, set[str]] = {room.id: set() for room in rooms}
    for room in rooms:
        for other in room.adjacent:
            pairs[room.id].add(other)
            pairs.setdefault(other, set()).add(room.id)
    return {room_id: frozenset(others) for room_id, others in pairs.items()}
