"""Staff of the site on their shifts: arriving, patrolling, cleaning, vault work, leaving.

Everyone in ``people`` with a schedule and a valid credential works the occurrences of their
schedule: they arrive through the staff entrance a few minutes after their shift starts
(card and whatever the corridor's security level asks), spend it as their role does, and
leave a few minutes before it ends. What each role does is chosen so that ordinary work is
what the site's access policy allows:

* **guards** rest in their home room (the security office if they may enter it) and patrol
  every room of their zones on an hourly timetable (the guards of a shift staggered, so every
  room sees someone every hour, day and night), badging at every door that asks;
* **cleaners** clean the public rooms of their zones, one after the other, before opening;
* **curators, conservators, supervisors** (anyone with a two-person room in their zones)
  work in the room outside it and go into it in pairs (the two-person rule): the first
  badges and waits, the second badges within the window; the day's first pair are both of a
  role that may open the room (first-person-in); both badge out before the re-verification
  period runs out (anti-passback, re-verification);
* **contractors** (roles the escort policy names) come only when an escort of theirs is on
  shift: the escort meets them outside and badges first at each door, the contractor right
  after, within the escort window.

Two realistic nuisances are recorded as ground truth with ``attack=False``:

* ``working_late``: someone stays after their shift ends. "With permission" in this policy
  language means that the schedule (the permission) only governs *entering*: a person already
  inside may stay and leaves freely (exits are never refused), but is refused at any door
  they would badge to enter; so the late worker stays in their room and leaves by the
  request-to-exit. (The site model has no per-person overtime grant.)
* ``wheelchair_door``: staff hold a staff door for a wheelchair user a little past its
  held-open limit: a ``door_held_open`` alert of its door's severity is expected; a
  high-risk incident is not.

:func:`past_grants` runs the same behaviour over earlier days against the real decision point
(no learned risk), so the access anomaly baseline learns exactly these habits.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest, Decision, Finding
from artguard.access.service import decision_event
from artguard.events import AccessDecision
from artguard.site import Door, Site
from artguard.site.entities import OUTSIDE
from artguard.triage.signals import site_closed
from artguard.twin import doors
from artguard.twin.agents import (
    Agent,
    Process,
    Script,
    Wait,
    Walker,
    badge_through,
    move,
    place,
    walk,
)
from artguard.twin.truth import GroundTruth
from artguard.twin.world import BadgeRequest, World

STATE_KEY = "twin.staff"
SCAN = timedelta(minutes=1)
"""Shifts are found by reading the schedules at this resolution."""
ARRIVE_AFTER = (1.0, 8.0)
LEAVE_BEFORE = (3.0, 12.0)
"""Minutes after a shift starts people arrive, and before it ends they start leaving."""
PATROL_EVERY = timedelta(minutes=60)
"""Each guard tours their rooms on a timetable (a guard-tour system's), this often; the guards
of one shift are staggered evenly, so every room sees someone at every hour of the night (and
the motion sensors learn that as normal)."""
PATROL_FIRST = timedelta(minutes=20)
PATROL_JITTER_S = 240.0
ROOM_STAY = (60.0, 150.0)
"""Seconds a guard spends in each room of a patrol."""
VAULT_VISITS = (1, 2)
"""Two-person room visits per office day (when a pair is on shift)."""
VAULT_STAY = (8.0, 22.0)
"""Minutes a pair spends inside (well inside a 30-minute re-verification period)."""
ESCORT_GAP_S = 4.0
"""Seconds between the escort's badge and the contractor's."""
NUISANCE_CHANCE = 0.5
"""Chance per day of each nuisance (working late, a door held for a wheelchair)."""


@dataclass
class Shift:
    start: datetime
    end: datetime


@dataclass
class StaffBehaviour:
    """The staff of one world, and what they did (for tests and reports)."""

    world: World
    walker: Walker
    agents: dict[str, Agent] = field(default_factory=dict)
    opened: set[tuple[str, object]] = field(default_factory=set)
    """(room, local date) a first-person-in room was opened by a supervisor's grant."""
    staff_entrance: Door | None = None
    shifts: dict[str, list[Shift]] = field(default_factory=dict)

    def rng(self, name: str) -> Callable[[], float]:
        return self.world.rng(f"staff:{name}").random

    def uniform(self, name: str, low: float, high: float) -> float:
        return self.world.rng(f"staff:{name}").uniform(low, high)

    def denials(self) -> list[str]:
        return [d for a in self.agents.values() for d in a.denials]

    def badges(self) -> int:
        return sum(a.badges for a in self.agents.values())

    def on_shift(self, agent: Agent, at: datetime) -> Shift | None:
        for shift in self.shifts.get(agent.person.id, ()):
            if shift.start <= at < shift.end:
                return shift
        return None

    def idle(self, agent: Agent, at: datetime, room: str | None = None) -> bool:
        """Inside, on shift, free for a coordinator (and in ``room`` when given)."""
        shift = self.on_shift(agent, at)
        return (
            shift is not None
            and agent.room is not None
            and not agent.busy
            and not agent.reserved
            and shift.end - at > timedelta(minutes=50)
            and (room is None or agent.room == room)
        )


def find_shifts(site: Site, schedule_id: str, start: datetime, end: datetime) -> list[Shift]:
    """The stretches of ``[start, end)`` the schedule is on (read a minute at a time, so
    holidays, overnight windows and daylight saving are the site model's own answer)."""
    shifts: list[Shift] = []
    at = start.replace(second=0, microsecond=0)
    on_since: datetime | None = None
    while at <= end:
        on = site.in_schedule(schedule_id, at)
        if on and on_since is None:
            on_since = at
        elif not on and on_since is not None:
            shifts.append(Shift(on_since, at))
            on_since = None
        at += SCAN
    if on_since is not None:
        shifts.append(Shift(on_since, at))
    return shifts


def staff_entrance(site: Site) -> Door | None:
    """The exterior door staff use: one with a reader into a room closed to the public."""
    exterior = [d for d in site.doors if d.from_room == OUTSIDE and d.readers]
    private = [d for d in exterior if not site.room(d.to_room).public]
    return (private or exterior or [None])[0]


def home_room(site: Site, agent: Agent) -> str | None:
    """Where someone spends their shift between tasks: a staff room of their zones that is not
    two-person (guards: the security office if they may enter one)."""
    pair_rooms = set(site.policies.access.two_person.rooms)
    rooms = [r for r in site.rooms if agent.may_enter(r.id) and r.id not in pair_rooms]
    private = [r for r in rooms if not r.public]
    office = [r for r in private if "security" in r.id or "office" in r.id]
    if patrols(agent) and office:
        return office[0].id
    entrance = staff_entrance(site)
    near = [r for r in private if entrance is not None and r.id == entrance.to_room]
    choice = near or private or rooms
    return choice[0].id if choice else None


def patrols(agent: Agent) -> bool:
    """Guards patrol (by role name: the site model has no notion of duties)."""
    return "guard" in agent.role


def cleans(agent: Agent) -> bool:
    return "clean" in agent.role


def _tour_rooms(site: Site, agent: Agent) -> list[str]:
    pair_rooms = set(site.policies.access.two_person.rooms)
    first_in = {r for rule in site.policies.access.first_person_in for r in rule.rooms}
    return [
        r.id
        for r in site.rooms
        if agent.may_enter(r.id) and r.id not in pair_rooms and r.id not in first_in
    ]


# -- the days ---------------------------------------------------------------------------------


def _arrive(staff: StaffBehaviour, proc: Process, agent: Agent, home: str) -> Script:
    entrance = staff.staff_entrance
    jitter = staff.rng(f"walk:{agent.who}")
    if entrance is None or not agent.may_enter(entrance.to_room):
        return False
    ok = yield from walk(
        proc, staff.walker, agent, entrance.to_room, jitter=jitter, first_door=entrance
    )
    if not ok:
        return False
    ok = yield from walk(proc, staff.walker, agent, home, jitter=jitter)
    return ok


def _leave(staff: StaffBehaviour, proc: Process, agent: Agent) -> Script:
    entrance = staff.staff_entrance
    jitter = staff.rng(f"walk:{agent.who}")
    if agent.room is None:
        return True
    if entrance is not None:
        yield from walk(proc, staff.walker, agent, entrance.to_room, jitter=jitter)
        if agent.room == entrance.to_room:
            yield from walk(proc, staff.walker, agent, OUTSIDE, jitter=jitter, first_door=entrance)
    if agent.room is not None:  # stranded (a refused door): leave by any exit
        place(proc.world, agent, None)
    return True


def _wait_until(proc: Process, at: datetime, chunk_s: float = 300.0) -> Script:
    while proc.now < at:
        yield Wait(min(chunk_s, (at - proc.now).total_seconds()))


def _day(staff: StaffBehaviour, agent: Agent, shift: Shift) -> Callable[[Process], Script]:
    """The script of one shift of one person."""

    def script(proc: Process) -> Script:
        home = home_room(staff.world.site, agent)
        if home is None:
            return
        rng = staff.world.rng(f"staff:{agent.who}:{shift.start.isoformat()}")
        leave_at = shift.end - timedelta(minutes=rng.uniform(*LEAVE_BEFORE))
        agent.busy = True
        ok = yield from _arrive(staff, proc, agent, home)
        agent.busy = False
        if not ok:
            yield from _leave(staff, proc, agent)
            return
        late = staff.world.state.get(f"{STATE_KEY}.late", {}).get((agent.who, shift.end))
        while proc.now < leave_at:
            if agent.reserved:
                yield Wait(30)
                continue
            yield from _activity(staff, proc, agent, home, leave_at, rng)
        while agent.reserved:
            yield Wait(30)
        if agent.room != home and agent.room is not None:
            agent.busy = True
            yield from walk(proc, staff.walker, agent, home, jitter=rng.random)
            agent.busy = False
        if late is not None:
            yield from _wait_until(proc, late)
        yield from _leave(staff, proc, agent)

    return script


def _activity(
    staff: StaffBehaviour,
    proc: Process,
    agent: Agent,
    home: str,
    leave_at: datetime,
    rng: random.Random,
) -> Script:
    """One spell of work, returning to ``home``: a patrol, a cleaning round, a walk, a rest."""
    site = staff.world.site
    room_left = (leave_at - proc.now).total_seconds()
    if patrols(agent):
        due = _next_patrol(staff, agent, proc.now)
        if due is None or due > leave_at - timedelta(minutes=25):
            yield from _wait_until(proc, leave_at, 60)
            return
        yield from _wait_until(proc, due + timedelta(seconds=rng.uniform(0, PATROL_JITTER_S)), 60)
        if agent.reserved:
            return
        yield from _round(staff, proc, agent, home, _tour_rooms(site, agent), rng, ROOM_STAY)
        return
    if cleans(agent):
        public = [r for r in _tour_rooms(site, agent) if site.room(r).public]
        rng.shuffle(public)
        stay = max(room_left - 15 * 60, 60) / max(len(public), 1)
        yield from _round(staff, proc, agent, home, public, rng, (0.7 * stay, 0.9 * stay))
        yield from _wait_until(proc, leave_at, 60)
        return
    # office work: mostly at home, now and then a walk through the rooms they look after
    if rng.random() < 0.2 and room_left > 45 * 60:
        rooms = [r for r in _tour_rooms(site, agent) if r != home]
        rng.shuffle(rooms)
        yield from _round(staff, proc, agent, home, rooms[:3], rng, (120.0, 420.0))
    yield from _wait_until(
        proc, min(leave_at, proc.now + timedelta(minutes=rng.uniform(15, 40))), 60
    )


def _next_patrol(staff: StaffBehaviour, agent: Agent, now: datetime) -> datetime | None:
    """The next slot of ``agent``'s patrol timetable after ``now`` (None: off shift)."""
    shift = staff.on_shift(agent, now)
    if shift is None:
        return None
    crew = sorted(
        a.who
        for a in staff.agents.values()
        if patrols(a) and a.person.schedule == agent.person.schedule
    )
    offset = PATROL_EVERY * crew.index(agent.who) / max(len(crew), 1)
    slot = shift.start + PATROL_FIRST + offset
    while slot <= now:
        slot += PATROL_EVERY
    return slot


def _round(
    staff: StaffBehaviour,
    proc: Process,
    agent: Agent,
    home: str,
    rooms: list[str],
    rng: random.Random,
    stay_s: tuple[float, float],
) -> Script:
    agent.busy = True
    for room in rooms:
        ok = yield from walk(proc, staff.walker, agent, room, jitter=rng.random)
        if ok:
            yield Wait(rng.uniform(*stay_s))
    yield from walk(proc, staff.walker, agent, home, jitter=rng.random)
    agent.busy = False


# -- coordinated work: pairs into two-person rooms, escorted contractors -----------------------


def _pair_visit(staff: StaffBehaviour, room: str, at: datetime) -> Callable[[Process], Script]:
    """A pair into a two-person room, found among the idle people who may enter it."""
    site = staff.world.site
    doors_in = [d for d in site.doors if d.to_room == room and d.readers]
    first_in = [rule for rule in site.policies.access.first_person_in if room in rule.rooms]

    def choose(now: datetime) -> tuple[Agent, Agent, Door] | None:
        for door in doors_in:
            people = [
                a
                for a in staff.agents.values()
                if a.may_enter(room)
                and a.valid_at(now)
                and staff.idle(a, now)
                and a.may_enter(door.from_room)
            ]
            opened = (room, now.astimezone(site.tz).date()) in staff.opened
            if first_in and not opened:
                roles = set(first_in[0].supervisor_roles)
                people = [a for a in people if a.role in roles]
            if len(people) >= 2:
                rng = staff.world.rng(f"staff:pair:{room}:{now.isoformat()}")
                a, b = rng.sample(people, 2)
                return a, b, door
        return None

    def script(proc: Process) -> Script:
        rng = staff.world.rng(f"staff:pair:{room}:{at.isoformat()}")
        for _ in range(8):
            chosen = choose(proc.now)
            if chosen is not None:
                break
            yield Wait(600)
        else:
            return
        a, b, door = chosen
        a.reserved = b.reserved = True
        for agent in (a, b):
            yield from walk(proc, staff.walker, agent, door.from_room, jitter=rng.random)
        if a.room != door.from_room or b.room != door.from_room:
            a.reserved = b.reserved = False
            return
        first = yield from badge_through(proc, staff.walker, a, door, room)
        yield Wait(rng.uniform(3, 8))
        if first.outcome == "grant":
            move(proc.world, a, room, door, proc.now, granted=True)
        second = yield from badge_through(proc, staff.walker, b, door, room)
        if second.outcome == "grant":
            if first.outcome != "grant" and "two_person.completed" in second.rules:
                move(proc.world, a, room, door, proc.now, granted=True)
            move(proc.world, b, room, door, proc.now, granted=True)
            if first_in and b.role in first_in[0].supervisor_roles:
                staff.opened.add((room, proc.now.astimezone(site.tz).date()))
        inside = [x for x in (a, b) if x.room == room]
        if inside:
            yield Wait(rng.uniform(*VAULT_STAY) * 60)
        for agent in inside:
            out = yield from badge_through(proc, staff.walker, agent, door, door.from_room)
            move(proc.world, agent, door.from_room, door, proc.now, granted=out.outcome == "grant")
            yield Wait(rng.uniform(4, 10))
        for agent in (a, b):
            home = home_room(site, agent)
            if home is not None:
                yield from walk(proc, staff.walker, agent, home, jitter=rng.random)
        a.reserved = b.reserved = False

    return script


def _escorted(staff: StaffBehaviour, agent: Agent, shift: Shift) -> Callable[[Process], Script]:
    """A contractor's visit: an escort meets them outside and badges first at every door."""
    site = staff.world.site
    rule = site.policies.access.escort
    entrance = staff.staff_entrance

    def script(proc: Process) -> Script:
        rng = staff.world.rng(f"staff:{agent.who}:{shift.start.isoformat()}")
        work = [r for r in _tour_rooms(site, agent) if not site.room(r).public]
        if entrance is None or not work or not agent.may_enter(entrance.to_room):
            return
        beyond = [r for r in work if r != entrance.to_room]  # a trade's work: the loading bay
        target = rng.choice(beyond or work)
        escort = None
        for _ in range(6):
            found = [
                a for a in staff.agents.values()
                if a.role in rule.escort_roles and staff.idle(a, proc.now)
                and a.may_enter(target) and a.may_enter(entrance.to_room)
            ]  # fmt: skip
            if found:
                escort = rng.choice(sorted(found, key=lambda a: a.who))
                break
            yield Wait(600)
        if escort is None:
            return
        escort.reserved = True
        yield from walk(proc, staff.walker, escort, entrance.to_room, jitter=rng.random)
        yield from walk(proc, staff.walker, escort, OUTSIDE, jitter=rng.random, first_door=entrance)
        route = staff.walker.route(agent, OUTSIDE, target, entrance) or []
        for here, there in itertools.pairwise(route):
            door = entrance if here == OUTSIDE else doors.door_between(site, here, there)
            if door is not None and doors.needs_badge(site, door, there, proc.now):
                lead = yield from badge_through(proc, staff.walker, escort, door, there)
                if lead.outcome != "grant":
                    break
                move(proc.world, escort, there, door, proc.now, granted=True)
                yield Wait(ESCORT_GAP_S)
                follow = yield from badge_through(proc, staff.walker, agent, door, there)
                if follow.outcome != "grant":
                    break
                move(proc.world, agent, there, door, proc.now, granted=True)
            else:
                move(proc.world, escort, there, door, proc.now)
                yield Wait(2)
                move(proc.world, agent, there, door, proc.now)
            yield Wait(staff.walker.hop_seconds(here, there, rng.random()))
        home = home_room(site, escort)
        if home is not None and escort.room is not None:
            yield from walk(proc, staff.walker, escort, home, jitter=rng.random)
        if escort.room is None:  # refused at the first door: back in through the entrance
            yield from _arrive(staff, proc, escort, home or entrance.to_room)
        escort.reserved = False
        if agent.room is None:
            return
        leave_at = shift.end - timedelta(minutes=rng.uniform(*LEAVE_BEFORE))
        yield from _wait_until(proc, min(leave_at, proc.now + timedelta(hours=rng.uniform(1, 4))))
        yield from _leave(staff, proc, agent)

    return script


# -- nuisances --------------------------------------------------------------------------------


def _plan_nuisances(staff: StaffBehaviour, start: datetime, end: datetime) -> None:
    world, site = staff.world, staff.world.site
    rng = world.rng("staff:nuisance")
    late = world.state.setdefault(f"{STATE_KEY}.late", {})
    for agent in staff.agents.values():
        if patrols(agent) or cleans(agent) or agent.role in site.policies.access.escort.roles:
            continue
        for shift in staff.shifts.get(agent.person.id, ()):
            if not start <= shift.end < end or rng.random() >= NUISANCE_CHANCE / 2:
                continue
            until = shift.end + timedelta(minutes=rng.uniform(45, 120))
            late[(agent.who, shift.end)] = until
            room = home_room(site, agent)
            world.record(
                GroundTruth(
                    scenario="working_late",
                    start=shift.end,
                    rooms=(room,) if room else (),
                    patterns=(),
                    window=until - shift.end,
                    description=f"{agent.person.name} stays in after their shift "
                    f"(allowed: the schedule only governs entering) and leaves by the exit",
                    attack=False,
                    details={"person": agent.person.id},
                )
            )
    day = start
    while day < end:  # a visitor in a wheelchair: during the day, if the site is open then
        at = day + timedelta(hours=rng.uniform(0, 24))
        if start <= at < end and rng.random() < NUISANCE_CHANCE and site_closed(site, at) is False:
            world.at(at, lambda when: _wheelchair(staff, when))
        day += timedelta(days=1)


def _wheelchair(staff: StaffBehaviour, at: datetime) -> None:
    """A member of staff on duty holds a badged staff door from a public room (the accessible
    route through the staff side) for a visitor in a wheelchair, past its held-open limit; the
    visitor goes through and comes back a few minutes later."""
    world, site = staff.world, staff.world.site
    pair_rooms = set(site.policies.access.two_person.rooms)
    candidates = []
    for door in site.doors:
        if (
            not door.readers
            or door.to_room in pair_rooms
            or OUTSIDE in (door.from_room, door.to_room)
        ):
            continue
        if site.room(door.from_room).public and doors.needs_badge(site, door, door.to_room, at):
            for agent in staff.agents.values():
                if (
                    staff.idle(agent, at)
                    and agent.may_enter(door.to_room)
                    and agent.may_enter(door.from_room)
                ):
                    candidates.append((door.id, agent.who, door, agent))
    if not candidates:
        return
    rng = world.rng(f"staff:wheelchair:{at.isoformat()}")
    _, _, door, agent = rng.choice(sorted(candidates, key=lambda c: (c[0], c[1])))
    hold = site.held_open_limit(door.id).total_seconds() + rng.uniform(8, 20)
    world.record(
        GroundTruth(
            scenario="wheelchair_door",
            start=at,
            rooms=(door.to_room,),
            patterns=(),
            rules=("door_held_open",),
            door=door.id,
            window=timedelta(minutes=20),
            description=f"{agent.person.name} holds {door.name} {hold:.0f} s for a wheelchair user",
            attack=False,
        )
    )
    guest = Agent(agent.person, site, who=f"v-wheelchair-{at:%H%M%S}")

    def script(proc: Process) -> Script:
        agent.reserved = True
        ok = yield from walk(proc, staff.walker, agent, door.from_room, jitter=rng.random)
        if ok:
            place(world, guest, door.from_room)
            decision = yield from badge_through(proc, staff.walker, agent, door, door.to_room)
            if decision.outcome == "grant":
                doors.open_door(world, door, proc.now, hold)
                move(world, agent, door.to_room, door, proc.now, granted=True)
                yield Wait(hold * 0.6)
                move(world, guest, door.to_room, door, proc.now, role="visitor", granted=True)
                yield Wait(rng.uniform(180, 420))
                move(world, guest, door.from_room, door, proc.now, role="visitor")
                move(world, agent, door.from_room, door, proc.now)
            world.presence.leave(guest.who)
        home = home_room(site, agent)
        if home is not None:
            yield from walk(proc, staff.walker, agent, home, jitter=rng.random)
        agent.reserved = False

    Process(world, script).start(at)


# -- install ----------------------------------------------------------------------------------


def install(
    world: World, start: datetime, end: datetime, *, nuisances: bool = True
) -> StaffBehaviour:
    """Put the site's staff to work over ``[start, end)``: every shift of every person with a
    schedule and a valid credential, the pair visits of two-person rooms, escorted contractor
    visits, and (``nuisances``) a late worker and a door held for a wheelchair about every
    other day. Installs the doors (:mod:`artguard.twin.doors`) too."""
    if end <= start:
        raise ValueError(f"staff: end {end} must be after start {start}")
    site = world.site
    doors.install(world)
    staff = StaffBehaviour(world, Walker(site), staff_entrance=staff_entrance(site))
    world.state[STATE_KEY] = staff
    escorted = set(site.policies.access.escort.roles)
    schedules: dict[str, list[Shift]] = {}
    for person in site.people:
        if person.schedule is None or not person.credentials:
            continue
        agent = Agent(person, site)
        staff.agents[agent.who] = agent
        if person.schedule not in schedules:
            schedules[person.schedule] = find_shifts(
                site, person.schedule, start - timedelta(days=1), end
            )
        staff.shifts[person.id] = [
            s for s in schedules[person.schedule] if s.end > start and s.start < end
        ]
    if nuisances:
        _plan_nuisances(staff, start, end)
    for agent in staff.agents.values():
        rng = world.rng(f"staff:{agent.who}:arrivals")
        for shift in staff.shifts[agent.person.id]:
            # Someone on shift when the twin starts comes in then, with a badge, rather than
            # appearing inside: the runtime starts knowing nobody is in, as a real system
            # would after a shift change, and unbadged guards on camera would be intruders.
            under_way = shift.start <= start
            arrive = max(shift.start, start) + timedelta(minutes=rng.uniform(*ARRIVE_AFTER))
            if arrive >= end or not agent.valid_at(arrive):
                continue
            if agent.role in escorted:
                if under_way:  # a visit under way when the twin starts is not simulated
                    continue
                Process(world, _escorted(staff, agent, shift)).start(arrive + timedelta(minutes=20))
            else:
                Process(world, _day(staff, agent, shift)).start(arrive)
    _plan_pair_visits(staff, start, end)
    return staff


def _plan_pair_visits(staff: StaffBehaviour, start: datetime, end: datetime) -> None:
    world, site = staff.world, staff.world.site
    for room in site.policies.access.two_person.rooms:
        able = [a for a in staff.agents.values() if a.may_enter(room)]
        windows = sorted({(s.start, s.end) for a in able for s in staff.shifts[a.person.id]})
        rng = world.rng(f"staff:pairs:{room}")
        done: set[object] = set()
        for s, e in windows:
            day = s.astimezone(site.tz).date()
            if day in done or e - s < timedelta(hours=3):
                continue
            done.add(day)
            for _ in range(rng.randint(*VAULT_VISITS)):
                at = s + timedelta(seconds=rng.uniform(3600, (e - s).total_seconds() - 3 * 3600))
                if start <= at < end:
                    Process(world, _pair_visit(staff, room, at)).start(at)


# -- history for the access baseline ----------------------------------------------------------


def decide_locally(world: World, until: datetime, pdp: DecisionPoint) -> Iterator[AccessDecision]:
    """Run ``world`` to ``until`` with badges decided by ``pdp`` (remembered, no bus, no store),
    in time order; yields each decision's event. Enough for history; the drill runner feeds
    the real pipeline instead."""
    while True:
        nxt = world.next_time()
        if nxt is None or nxt > until:
            world.now = max(world.now, until)
            return
        for item in world.due(nxt):
            if not isinstance(item, BadgeRequest):
                continue
            decision = decide(pdp, item)
            event = decision_event(world.site, decision)
            world.answer(item.attempt.id, event)
            yield event


def decide(pdp: DecisionPoint, request: BadgeRequest) -> Decision:
    """``pdp``'s decision on a twin badge request (with the failed face check, if any), made
    and remembered as the access service does."""
    attempt = request.attempt
    made = AccessRequest.make(
        attempt.credential_id, attempt.device_id, attempt.site_time, attempt.factors, attempt.id
    )
    extra = []
    if request.face_failed:
        extra.append(
            Finding("face.failed", "deny", f"face step-up failed: {request.face_failed}", risk=0.3)
        )
    decision = pdp.decide(made, extra)
    pdp.record(decision)
    return decision


def past_grants(
    site: Site, end: datetime, days: int = 28, seed: int = 0
) -> Iterator[tuple[str, str, datetime]]:
    """``(person, door, time)`` of the entries the twin's staff were granted over the ``days``
    before ``end``, decided by the site's real policy: the history that seeds the access
    anomaly baseline (``AccessBaseline.learn``)."""
    if days <= 0:
        return
    start = end - timedelta(days=days)
    world = World(site, start, seed=seed * 7919 + 1)
    install(world, start, end, nuisances=False)
    for event in decide_locally(world, end, DecisionPoint(site)):
        if (
            event.outcome == "grant"
            and event.direction == "in"
            and event.person_id
            and event.door_id
        ):
            yield event.person_id, event.door_id, event.site_time
