"""Door rules where the physics is clear: forced open, held open too long."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta

from artguard.events import AccessAttempt, AccessDecision, Alert, DoorState, EventBase, Severity
from artguard.rules.base import SEVERITY_BY_SECURITY_LEVEL
from artguard.site import Door, Site

OUTSIDE = "outside"


def local_clock(site: Site, at: datetime) -> str:
    """A time as the guards read it: site local time of day."""
    return f"{at.astimezone(site.tz):%H:%M:%S}"


def door_room(site: Site, door: Door) -> str:
    """The room a door alert is pinned to: the inside room of an exterior door."""
    return door.from_room if door.to_room == OUTSIDE else door.to_room


def door_security_level(site: Site, door: Door) -> int:
    levels = [site.room(r).security_level for r in (door.from_room, door.to_room) if r != OUTSIDE]
    return max(levels, default=1)


def is_free_passage(site: Site, door: Door, at: datetime) -> bool:
    """A door between public rooms while they are open to the public needs no badge."""
    rooms = [r for r in (door.from_room, door.to_room) if r != OUTSIDE]
    return all(site.room(r).public and site.is_open_to_public(r, at) for r in rooms)


class DoorForcedRule:
    """A door opened without a grant shortly before, while locked: forced."""

    name = "door_forced"
    kinds = frozenset({"access_attempt", "access_decision", "door_state"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._window = timedelta(seconds=site.policies.forced_open_grant_window_seconds)
        # a few recent grants per door: a later badge's grant can be analysed before the
        # opening an earlier grant explains (reader and door contact report separately)
        self._grants: dict[str, deque[tuple[datetime, str]]] = {}
        self._unlocked: set[str] = set()
        self._open: set[str] = set()

    def on_event(self, event: EventBase) -> list[Alert]:
        if isinstance(event, AccessAttempt):
            door = self._site.door_for_reader(event.device_id)
            if door is not None and event.granted:
                self._remember_grant(door.id, event)
            return []
        if isinstance(event, AccessDecision):
            if event.outcome == "grant" and event.door_id is not None:
                self._remember_grant(event.door_id, event)
            return []
        if not isinstance(event, DoorState):
            return []
        door_id = event.door_id
        if event.locked is not None:
            (self._unlocked.discard if event.locked else self._unlocked.add)(door_id)
        if event.contact == "closed":
            self._open.discard(door_id)
            return []
        if door_id in self._open:
            return []  # already open: a repeated "open" report is not a new opening
        self._open.add(door_id)
        return self._check_opening(event)

    def _remember_grant(self, door_id: str, event: EventBase) -> None:
        grants = self._grants.setdefault(door_id, deque(maxlen=8))
        grants.append((event.site_time, event.id))

    def _check_opening(self, event: DoorState) -> list[Alert]:
        door = self._site.door(event.door_id)
        if event.door_id in self._unlocked or is_free_passage(self._site, door, event.site_time):
            return []
        grants = self._grants.get(door.id, ())
        if any(timedelta(0) <= event.site_time - g[0] <= self._window for g in grants):
            return []
        earlier = [g for g in grants if g[0] <= event.site_time]
        grant = max(earlier) if earlier else (grants[-1] if grants else None)
        level = door_security_level(self._site, door)
        if grant is None:
            since = "no badge was granted at this door"
        else:
            since = (
                f"the last grant was {(event.site_time - grant[0]).total_seconds():.0f} s before"
            )
        return [
            Alert(
                device_id=event.device_id,
                site_time=event.site_time,
                rule=self.name,
                severity=SEVERITY_BY_SECURITY_LEVEL.get(level, Severity.high),
                title=f"Door forced: {door.name}",
                reasons=[
                    f"{door.name} opened at {local_clock(self._site, event.site_time)} "
                    f"while locked; {since} "
                    f"(a grant counts for {self._window.total_seconds():.0f} s)",
                    f"security level {level} on this door",
                ],
                evidence={
                    "door_id": door.id,
                    "window_s": self._window.total_seconds(),
                    "security_level": level,
                    "last_grant_event": grant[1] if grant else None,
                },
                source_event_ids=[event.id],
                dedup_key=f"door_forced:{door.id}",
                room_id=door_room(self._site, door),
                first_event_time=event.site_time,
            )
        ]

    def on_tick(self, now: datetime) -> list[Alert]:
        return []


@dataclass
class _Opening:
    since: datetime
    event_id: str
    device_id: str
    alerted: bool = False
    free: bool = False
    """Opened while the door was free passage (judged only once that ends)."""


def free_passage_end(site: Site, door: Door, start: datetime, end: datetime) -> datetime:
    """When free passage through ``door``, on at ``start`` and off at ``end``, ended (to the
    second; opening hours end once between the two for any opening shorter than a day)."""
    low, high = start, end
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if is_free_passage(site, door, middle):
            low = middle
        else:
            high = middle
    return high


class DoorHeldOpenRule:
    """A door left open past its limit (site policy, or the door's own setting).

    Doors between public rooms are not judged while those rooms are open to the public (as
    the forced-door and tailgating rules ignore them then): a main entrance or a gallery door
    stands open for visitors all day. Left open after closing, it is judged from closing time.
    """

    name = "door_held_open"
    kinds = frozenset({"door_state"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._open: dict[str, _Opening] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, DoorState):
            return []
        # Time has moved on to this event: doors past their limit alert first (in a replay no
        # wall-clock tick runs between events, and a door closed late was still held open).
        alerts = self.on_tick(event.site_time)
        if event.contact == "closed":
            self._open.pop(event.door_id, None)
        else:
            if event.door_id not in self._open:
                free = is_free_passage(self._site, self._site.door(event.door_id), event.site_time)
                self._open[event.door_id] = _Opening(
                    event.site_time, event.id, event.device_id, free=free
                )
        return alerts

    def on_tick(self, now: datetime) -> list[Alert]:
        alerts = []
        for door_id, opening in self._open.items():
            door = self._site.door(door_id)
            if opening.free:
                # A door between public rooms while they are open stands open for visitors:
                # its limit counts from when free passage ended (closing time), not before.
                if is_free_passage(self._site, door, now):
                    continue
                opening.since = free_passage_end(self._site, door, opening.since, now)
                opening.free = False
            limit = self._site.held_open_limit(door_id)
            held = now - opening.since
            if opening.alerted or held <= limit:
                continue
            opening.alerted = True
            level = door_security_level(self._site, door)
            alerts.append(
                Alert(
                    device_id=opening.device_id,
                    site_time=opening.since + limit,  # when it became overdue: replay-stable
                    rule=self.name,
                    severity=Severity.high if level >= 3 else Severity.medium,
                    title=f"Door held open: {door.name}",
                    reasons=[
                        f"{door.name} has been open for {held.total_seconds():.0f} s since "
                        f"{local_clock(self._site, opening.since)}; "
                        f"the limit is {limit.total_seconds():.0f} s",
                    ],
                    evidence={
                        "door_id": door_id,
                        "open_seconds": round(held.total_seconds(), 1),
                        "limit_seconds": limit.total_seconds(),
                        "security_level": level,
                    },
                    source_event_ids=[opening.event_id],
                    dedup_key=f"door_held_open:{door_id}",
                    room_id=door_room(self._site, door),
                    first_event_time=opening.since,
                )
            )
        return alerts
