"""Where the guards are, and which of them to page for an incident.

A guard is a person whose role is one of ``policies.response.guard_roles``. Their last known
room comes from their own granted badge at a door (the room the passage leads into) or from an
operator or a guard's phone (``POST /api/guards/{person_id}/location``). Locations are kept in
the ``guard_locations`` table, so a restart keeps them: a reported location is stored before
the call returns; badge sightings within ``SAVE_EVERY_S``, each guard's latest
(:meth:`GuardLocator.save`), since a guard badges at every door. To page for an incident in a
room, the on-duty guards (by their shift ``schedule``; a guard without one counts as on duty) with a
recent location are ranked by walking time (:mod:`artguard.triage.walking`); without any
located guard, all on-duty guards are paged.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, select, update

from artguard.bus import Bus
from artguard.events import AccessDecision, EventBase
from artguard.site import Person, Site
from artguard.store.db import writing
from artguard.store.tables import guard_locations
from artguard.triage.walking import WalkingTimes

log = logging.getLogger(__name__)

SAVE_EVERY_S = 1.0
"""How often badge sightings are stored. One write transaction per guard's badge (half the
grants of the demo museum) held SQLite's write lock, which every door decision's audit commit
also needs, 40 % of the time at 500 decisions/s: the HTTP p99 of ``bench/access.py``."""


class GuardLocationError(ValueError):
    """A location that cannot be recorded: unknown person, not a guard, unknown room."""

    def __init__(self, field: str, message: str, *, not_found: bool = False) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.not_found = not_found


@dataclass(frozen=True)
class GuardLocation:
    person_id: str
    room_id: str
    time: datetime
    source: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "room_id": self.room_id,
            "time": self.time.isoformat(),
            "source": self.source,
        }


@dataclass(frozen=True)
class Choice:
    """The people chosen for a notification, and why them."""

    recipients: list[str]
    reason: str


class GuardLocator:
    """Keeps each guard's last known room and chooses whom to page."""

    def __init__(
        self,
        site: Site,
        engine: Engine,
        walking: WalkingTimes | None = None,
        *,
        save_every_s: float = SAVE_EVERY_S,
    ) -> None:
        self._site = site
        self._engine = engine
        self._walking = walking or WalkingTimes(site)
        self._policy = site.policies.response
        self._locations: dict[str, GuardLocation] = {}
        self._unsaved: dict[str, GuardLocation] = {}
        self._save_every_s = save_every_s
        self._saver: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()

    def attach(self, bus: Bus) -> None:
        bus.subscribe("guards", self.handle, kinds={"access_decision"})

    def restore(self) -> None:
        """Load the stored locations (synchronous; call at start-up)."""
        with self._engine.connect() as conn:
            rows = list(conn.execute(select(guard_locations)))
        self._locations = {
            r.person_id: GuardLocation(r.person_id, r.room_id, r.time, r.source) for r in rows
        }

    # -- who is a guard, who is on duty ------------------------------------------------------

    def guards(self) -> list[Person]:
        return [p for p in self._site.people if p.role in self._policy.guard_roles]

    def supervisors(self) -> list[Person]:
        return [p for p in self._site.people if p.role in self._policy.supervisor_roles]

    def on_duty(self, person: Person, at: datetime) -> bool:
        """On shift by the person's schedule; a person without one counts as on duty."""
        return person.schedule is None or self._site.in_schedule(person.schedule, at)

    def locations(self) -> list[GuardLocation]:
        return sorted(self._locations.values(), key=lambda loc: loc.person_id)

    def location(self, person_id: str) -> GuardLocation | None:
        return self._locations.get(person_id)

    # -- recording ---------------------------------------------------------------------------

    async def handle(self, event: EventBase) -> None:
        if not isinstance(event, AccessDecision) or event.outcome != "grant":
            return
        if event.person_id is None or event.room_id is None:
            return
        person = self._person(event.person_id)
        if person is None or person.role not in self._policy.guard_roles:
            return
        if event.room_id not in {room.id for room in self._site.rooms}:
            return  # a passage leading outside: the guard left the building
        source = f"badge at {event.door_id}"
        location = GuardLocation(event.person_id, event.room_id, event.site_time, source)
        known = self._locations.get(location.person_id)
        if known is not None and known.time > location.time:
            return
        self._locations[location.person_id] = location  # paging uses it at once
        self._unsaved[location.person_id] = location
        if self._saver is None or self._saver.done():
            self._saver = asyncio.create_task(self._save_soon(), name="guard-locations")

    async def save(self) -> None:
        """Store the badge sightings not stored yet, each guard's latest, in one transaction."""
        async with self._lock:
            unsaved, self._unsaved = self._unsaved, {}
            if not unsaved:
                return
            try:
                await asyncio.to_thread(self._store_all, list(unsaved.values()))
            except Exception:
                for person_id, location in unsaved.items():  # unless seen again meanwhile
                    self._unsaved.setdefault(person_id, location)
                raise

    async def stop(self) -> None:
        """Store what is not stored yet (call after the bus has stopped)."""
        if self._saver is not None and not self._saver.done():
            self._saver.cancel()
        self._saver = None
        await self.save()

    async def _save_soon(self) -> None:
        await asyncio.sleep(self._save_every_s)
        try:
            await self.save()
        except Exception:  # kept in memory and unsaved: the next sighting tries again
            log.exception("could not store guard locations")

    async def record(
        self, person_id: str, room_id: str, at: datetime, source: str
    ) -> GuardLocation:
        """Store a guard's room; an older sighting than the stored one changes nothing."""
        person = self._person(person_id)
        if person is None:
            raise GuardLocationError(
                "person_id", f"no person {person_id!r} in the site file", not_found=True
            )
        if person.role not in self._policy.guard_roles:
            raise GuardLocationError(
                "person_id",
                f"{person.name} ({person_id}) has role {person.role!r}, not a guard role "
                f"({', '.join(self._policy.guard_roles)})",
            )
        try:
            self._site.room(room_id)
        except KeyError:
            raise GuardLocationError("room_id", f"no room {room_id!r} in the site file") from None
        if at.tzinfo is None:
            raise GuardLocationError("time", "give a time zone")
        location = GuardLocation(person_id, room_id, at, source[:200])
        async with self._lock:
            known = self._locations.get(person_id)
            if known is not None and known.time > at:
                return known
            await asyncio.to_thread(self._store_all, [location])
            newer = self._locations.get(person_id)
            if newer is not None and newer.time > at:  # a badge seen meanwhile (saved soon)
                return newer
            self._locations[person_id] = location
            self._unsaved.pop(person_id, None)  # older than this one
        return location

    def _store_all(self, locations: list[GuardLocation]) -> None:
        with writing(self._engine) as conn:
            for location in locations:
                values = {
                    "room_id": location.room_id,
                    "time": location.time,
                    "source": location.source,
                }
                done = conn.execute(
                    update(guard_locations)
                    .where(guard_locations.c.person_id == location.person_id)
                    .values(**values)
                ).rowcount
                if not done:
                    conn.execute(
                        guard_locations.insert().values(person_id=location.person_id, **values)
                    )

    # -- choosing ----------------------------------------------------------------------------

    def choose_guards(self, room_id: str | None, at: datetime) -> Choice:
        """The nearest on-duty guard(s) to ``room_id``, else all on-duty guards, with why."""
        guards = self.guards()
        roles = ", ".join(self._policy.guard_roles)
        if not guards:
            return Choice([], f"no person has a guard role ({roles}) in the site file")
        pool = [g for g in guards if self.on_duty(g, at)]
        shift = "on-duty guards"
        if not pool:
            pool, shift = guards, "guards (none is on shift)"
        if room_id is None:
            return Choice(
                [g.id for g in pool], f"the incident has no room: all {shift}: {_names(pool)}"
            )
        ranked: list[tuple[float, Person, GuardLocation]] = []
        unreachable: list[Person] = []
        unknown: list[Person] = []
        for guard in pool:
            where = self._fresh(guard.id, at)
            seconds = None if where is None else self._seconds(where.room_id, room_id)
            if where is None:
                unknown.append(guard)
            elif seconds is None:
                unreachable.append(guard)
            else:
                ranked.append((seconds, guard, where))
        if not ranked:
            age = _age(self._policy.guard_location_max_age.total_seconds())
            return Choice(
                [g.id for g in pool],
                f"no guard location known (last {age}): all {shift}: {_names(pool)}",
            )
        ranked.sort(key=lambda item: (item[0], item[1].id))
        chosen = ranked[: self._policy.guards_to_page]
        parts = [
            f"{guard.name}, {where.room_id}, ~{seconds:.0f} s away"
            for seconds, guard, where in chosen
        ]
        extra = (unknown + unreachable)[: self._policy.guards_to_page - len(chosen)]
        parts += [f"{guard.name}, location unknown" for guard in extra]
        return Choice(
            [guard.id for _, guard, _ in chosen] + [g.id for g in extra],
            "nearest: " + "; ".join(parts),
        )

    def choose_supervisors(self, at: datetime) -> Choice:
        """The on-duty supervisors, else all of them."""
        supervisors = self.supervisors()
        roles = ", ".join(self._policy.supervisor_roles)
        if not supervisors:
            return Choice([], f"no person has a supervisor role ({roles}) in the site file")
        pool = [s for s in supervisors if self.on_duty(s, at)]
        if pool:
            return Choice([s.id for s in pool], f"supervisors on duty: {_names(pool)}")
        return Choice(
            [s.id for s in supervisors], f"no supervisor on shift: all of {_names(supervisors)}"
        )

    def is_fresh(self, where: GuardLocation | None, at: datetime) -> bool:
        """Whether a location is recent enough (``guard_location_max_age``) to page by."""
        return where is not None and at - where.time <= self._policy.guard_location_max_age

    def _fresh(self, person_id: str, at: datetime) -> GuardLocation | None:
        where = self._locations.get(person_id)
        return where if self.is_fresh(where, at) else None

    def _seconds(self, from_room: str, to_room: str) -> float | None:
        try:
            return self._walking.seconds(from_room, to_room)
        except KeyError:  # a stored room that has since left the site file
            return None

    def _person(self, person_id: str) -> Person | None:
        try:
            return self._site.person(person_id)
        except KeyError:
            return None


def _names(people: list[Person]) -> str:
    return ", ".join(p.name for p in people)


def _age(seconds: float) -> str:
    if seconds % 3600 == 0:
        hours = int(seconds // 3600)
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{seconds / 60:.0f} min"
