"""Attacks at doors and readers: forced entry, tailgating, cloned and lost badges, insiders.

Each injects people and badges on the twin's timeline (the doors and sensors react as they do
to anyone, :mod:`artguard.twin.doors`, :mod:`artguard.twin.sensors`) and records what artguard
should make of it. The patterns named are the ones triage gives for the alerts these rules
raise (:mod:`artguard.triage.patterns`):

==========================  ===========================================  ======================
scenario                    caught by (``Alert.rule``)                   incident pattern
==========================  ===========================================  ======================
after_hours_intrusion       door_forced (+ motion when learned)          after_hours_intrusion
tailgating                  tailgating (passage counter 2, 1 grant)      tailgating
cloned_badge                access_anomaly (impossible travel)           insider_misuse
insider_vault               access_anomaly (after-hours storage, hour)   insider_misuse
lost_badge                  access_lockout (face step-ups failing)       insider_misuse
spoofed_face                access_lockout (liveness failing)            insider_misuse
==========================  ===========================================  ======================

``lost_badge`` and ``spoofed_face`` are caught only because the attacker keeps trying until
the credential locks out (``policies.access.lockout.after_failures`` tries): a single failed
face step-up is a denial that no rule turns into an alert today (``AccessDecisionRule`` alerts
on anomalies, pass-backs and lock-outs, not on a ``face.failed`` finding).

``insider_vault`` is an *attempt*: out of schedule, the policy refuses the insider (schedule,
two-person rule), and what raises the alarm is the learned-behaviour finding on that refusal.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from artguard.site import Door, Person, Site
from artguard.site.entities import OUTSIDE
from artguard.triage.signals import site_closed
from artguard.twin import doors, staff
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
from artguard.twin.scenarios.base import scenario
from artguard.twin.truth import GroundTruth
from artguard.twin.world import World

SEARCH_STEP = timedelta(minutes=10)
SEARCH_LIMIT = timedelta(days=8)
LIVENESS_FAILED = "liveness: challenge not answered (no blink or head turn within 4 s; a photo?)"
FACE_MISMATCH = "face does not match the card holder (distance 0.71)"


def _rng(world: World, name: str, at: datetime) -> random.Random:
    return world.rng(f"scenario:{name}:{at.isoformat()}")


def _first_time(at: datetime, ok: Callable[[datetime], bool]) -> datetime | None:
    """The first time from ``at`` (in ``SEARCH_STEP``\\ s, within ``SEARCH_LIMIT``) that is
    ``ok``."""
    t = at
    while t < at + SEARCH_LIMIT:
        if ok(t):
            return t
        t += SEARCH_STEP
    return None


def _closed_for(site: Site, at: datetime, hours: float = 0.5) -> bool:
    """Whether the site stays closed to the public for ``hours`` from ``at``."""
    steps = max(int(hours * 6), 1)
    return all(site_closed(site, at + i * SEARCH_STEP) for i in range(steps + 1))


def _staff(world: World) -> staff.StaffBehaviour | None:
    found = world.state.get(staff.STATE_KEY)
    return found if isinstance(found, staff.StaffBehaviour) else None


def _walker(world: World) -> Walker:
    behaviour = _staff(world)
    return behaviour.walker if behaviour is not None else Walker(world.site)


def _intruder(
    world: World, who: str, at: datetime, dst: str, door: Door | None, **extra: object
) -> None:
    """Move an intruder (no credential) into ``dst`` (``outside`` to leave)."""
    src = world.presence.room_of(who) or OUTSIDE
    if dst == OUTSIDE:
        world.presence.leave(who)
    else:
        world.presence.enter(who, dst)
    world.signal(
        "move",
        at,
        who=who,
        src=src,
        dst=dst,
        role="intruder",
        door=door.id if door else None,
        **extra,
    )


def _inside(door: Door) -> str:
    return door.to_room if door.from_room == OUTSIDE else door.from_room


def _badged_exits(site: Site, room: str | None) -> bool:
    return room is not None and any(d.to_room == room and d.exit_readers for d in site.doors)


# -- after-hours intrusion ------------------------------------------------------------------


@scenario(
    "after_hours_intrusion",
    "An exterior door forced at night; the intruder walks through the rooms beyond it",
    when="closed",
)
def after_hours_intrusion(world: World, at: datetime) -> None:
    site = world.site
    when = _first_time(at, lambda t: _closed_for(site, t))
    exterior = sorted(
        (d for d in site.doors if OUTSIDE in (d.from_room, d.to_room)), key=lambda d: d.id
    )
    if when is None or not exterior:
        return
    rng = _rng(world, "after_hours_intrusion", when)
    quiet = [d for d in exterior if not d.readers] or exterior  # a shutter, a fire exit
    door = rng.choice(quiet)
    room = _inside(door)
    onward = sorted(site.adjacent(room))
    nxt = rng.choice(onward) if onward else None
    world.record(
        GroundTruth(
            scenario="after_hours_intrusion",
            start=when,
            rooms=(room,) + ((nxt,) if nxt else ()),
            patterns=("after_hours_intrusion",),
            rules=("door_forced", "motion_unusual_time", "after_hours_presence"),
            door=door.id,
            description=f"{door.name} forced at {when.astimezone(site.tz):%H:%M}; the intruder "
            f"goes into {site.room(room).name}" + (f" and {site.room(nxt).name}" if nxt else ""),
        )
    )
    who = f"x-intruder-{when:%Y%m%d%H%M}"

    def script(proc: Process) -> Script:
        _intruder(world, who, proc.now, room, door, forced=True)
        yield Wait(rng.uniform(30, 90))
        if nxt is not None:
            inner = doors.door_between(site, room, nxt)
            _intruder(world, who, proc.now, nxt, inner, forced=inner is not None)
            yield Wait(rng.uniform(120, 300))
            _intruder(world, who, proc.now, room, inner, forced=inner is not None)
            yield Wait(rng.uniform(20, 60))
        _intruder(world, who, proc.now, OUTSIDE, door, forced=True)

    Process(world, script).start(when)


# -- tailgating ------------------------------------------------------------------------------


def _witnessed_doors(site: Site) -> list[Door]:
    """Badged entry doors whose passages something counts: a passage counter, else a camera
    line across the doorway (the tailgating rule's witnesses)."""
    counted = {s.door for s in site.sensors if s.type == "passage_counter" and s.door}
    lined = {
        d.id
        for d in site.doors
        for c in site.cameras
        for line in c.lines
        if {line.in_room, line.out_room} == {d.from_room, d.to_room}
    }
    badged = [d for d in site.doors if d.readers and d.to_room != OUTSIDE]
    return [d for d in badged if d.id in counted] + [
        d for d in badged if d.id in lined and d.id not in counted
    ]


def _holder(world: World, at: datetime, may: Callable[[Agent], bool]) -> Agent | None:
    """A member of staff on shift, inside, free, not in a room with badged exits."""
    behaviour = _staff(world)
    if behaviour is None:
        return None
    found = [
        a
        for a in behaviour.agents.values()
        if behaviour.idle(a, at)
        and a.valid_at(at)
        and not _badged_exits(world.site, a.room)
        and may(a)
    ]
    return _rng(world, "holder", at).choice(sorted(found, key=lambda a: a.who)) if found else None


@scenario(
    "tailgating",
    "Someone slips through a counted staff door behind a member of staff's badge",
    when="open",
)
def tailgating(world: World, at: datetime) -> None:
    site = world.site
    candidates = [d for d in _witnessed_doors(site) if not site.room(d.to_room).public]
    if not candidates:
        return
    door = candidates[0]
    rng = _rng(world, "tailgating", at)
    who = f"x-tailgater-{at:%Y%m%d%H%M}"

    def script(proc: Process) -> Script:
        holder = None
        for _ in range(12):  # wait for someone on shift who uses this door
            holder = _holder(
                world, proc.now, lambda a: a.may_enter(door.to_room) and a.may_enter(door.from_room)
            )
            if holder is not None:
                break
            yield Wait(300)
        if holder is None:
            return
        walker = _walker(world)
        holder.reserved = True
        yield from _walk_to(proc, walker, holder, door.from_room, rng, via=door)
        if (holder.room or OUTSIDE) != door.from_room:
            holder.reserved = False
            return
        if door.from_room != OUTSIDE:
            world.presence.enter(who, door.from_room)
        yield Wait(rng.uniform(60, 300))  # a break outside; the follower waits nearby
        world.record(
            GroundTruth(
                scenario="tailgating",
                start=proc.now,
                rooms=(door.to_room,),
                patterns=("tailgating",),
                rules=("tailgating",),
                door=door.id,
                description=f"{who} follows {holder.person.name} through {door.name} on one badge",
            )
        )
        decision = yield from badge_through(proc, walker, holder, door, door.to_room)
        if decision.outcome == "grant":
            move(world, holder, door.to_room, door, proc.now, granted=True)
            yield Wait(rng.uniform(1.5, 3.0))
            _intruder(world, who, proc.now, door.to_room, door)
            yield Wait(rng.uniform(60, 240))
            _intruder(world, who, proc.now, door.from_room, door)
        world.presence.leave(who)
        home = staff.home_room(site, holder)
        if home is not None:
            yield from _walk_to(proc, walker, holder, home, rng)
        holder.reserved = False

    Process(world, script).start(at)


def _walk_to(
    proc: Process,
    walker: Walker,
    agent: Agent,
    dst: str,
    rng: random.Random,
    via: Door | None = None,
) -> Script:
    """Walk ``agent`` to ``dst``; out of the building through ``via``."""
    if via is not None and dst == OUTSIDE:
        yield from walk(proc, walker, agent, _inside(via), jitter=rng.random)
        yield from walk(proc, walker, agent, OUTSIDE, jitter=rng.random, first_door=via)
        return
    yield from walk(proc, walker, agent, dst, jitter=rng.random)


# -- cloned badge ----------------------------------------------------------------------------


@scenario(
    "cloned_badge",
    "A copy of a member of staff's card used at a far reader seconds after the real one",
)
def cloned_badge(world: World, at: datetime) -> None:
    site = world.site
    entries = [d for d in site.doors if d.readers and d.to_room != OUTSIDE]
    if len(entries) < 2:
        return
    rng = _rng(world, "cloned_badge", at)
    plan = _walker(world).plan

    def script(proc: Process) -> Script:
        holder = None
        for _ in range(12):
            holder = _holder(world, proc.now, lambda a: _own_door(site, a) is not None)
            if holder is not None:
                break
            yield Wait(300)
        if holder is None:
            return
        own = _own_door(site, holder)
        assert own is not None
        far = max(entries, key=lambda d: (plan.minimum_seconds(own.id, d.id), d.id))
        needed = plan.minimum_seconds(own.id, far.id)
        if needed < 3:
            return
        walker = _walker(world)
        holder.reserved = True
        home = holder.room
        assert home is not None
        yield from _step_out_and_back(proc, walker, holder, own, rng)
        world.record(
            GroundTruth(
                scenario="cloned_badge",
                start=proc.now,
                rooms=(own.to_room, far.to_room),
                patterns=("insider_misuse",),
                rules=("access_anomaly",),
                door=far.id,
                description=f"a copy of {holder.person.name}'s card at {far.name} "
                f"{needed / 3:.0f} s after the real one at {own.name} (walking takes "
                f"{needed:.0f} s)",
                details={"person": holder.person.id},
            )
        )
        yield Wait(max(1.0, needed / 3))
        clone = Agent(holder.person, site, who=f"x-clone-{proc.now:%H%M%S}")
        place(world, clone, far.from_room if far.from_room != OUTSIDE else None)
        yield from badge_through(proc, walker, clone, far, far.to_room)
        world.presence.leave(clone.who)
        holder.reserved = False

    Process(world, script).start(at)


def _own_door(site: Site, agent: Agent) -> Door | None:
    """A badged door into the agent's room from a room they can step out to (a request to exit
    out, a badge back in)."""
    room = agent.room
    if room is None:
        return None
    for door in site.doors:
        if (
            door.to_room == room
            and door.readers
            and not door.exit_readers
            and door.from_room != OUTSIDE
            and agent.may_enter(door.from_room)
        ):
            return door
    return None


def _step_out_and_back(
    proc: Process, walker: Walker, agent: Agent, door: Door, rng: random.Random
) -> Script:
    move(proc.world, agent, door.from_room, door, proc.now)
    yield Wait(rng.uniform(20, 90))
    decision = yield from badge_through(proc, walker, agent, door, door.to_room)
    if decision.outcome == "grant":
        move(proc.world, agent, door.to_room, door, proc.now, granted=True)


# -- insider in the vault --------------------------------------------------------------------


def _vault_doors(site: Site) -> list[Door]:
    pair = set(site.policies.access.two_person.rooms)
    top = max((r.security_level for r in site.rooms), default=0)
    rooms = {r.id for r in site.rooms if r.id in pair or (r.security_level == top and not r.public)}
    return [d for d in site.doors if d.to_room in rooms and d.readers and d.from_room != OUTSIDE]


@scenario(
    "insider_vault",
    "A member of staff with vault access goes for the storage vault out of their schedule",
    when="closed",
)
def insider_vault(world: World, at: datetime) -> None:
    site = world.site
    vaults = _vault_doors(site)
    if not vaults:
        return
    door = vaults[0]
    insiders = sorted(
        (p for p in site.people if p.schedule and _may(p, door.to_room) and p.credentials),
        key=lambda p: p.id,
    )
    if not insiders:
        return
    rng = _rng(world, "insider_vault", at)
    person = rng.choice(insiders)
    assert person.schedule is not None
    schedule = person.schedule

    def fits(t: datetime) -> bool:
        late = t - timedelta(minutes=45)  # well after their shift, museum shut
        return (
            _closed_for(site, t)
            and not site.in_schedule(schedule, t)
            and not site.in_schedule(schedule, late)
            and site.credential_valid(_card(person), t)
        )

    when = _first_time(at, fits)
    if when is None:
        return
    art = [a.id for a in site.artworks if a.room == door.to_room]
    world.record(
        GroundTruth(
            scenario="insider_vault",
            start=when,
            rooms=(door.to_room,),
            patterns=("insider_misuse",),
            rules=("access_anomaly",),
            artwork=art[0] if art else None,
            door=door.id,
            description=f"{person.name} badges at {door.name} at "
            f"{when.astimezone(site.tz):%a %H:%M}, outside their schedule, for "
            + (site.artwork(art[0]).title if art else "the store"),
            details={"person": person.id},
        )
    )
    insider = Agent(person, site, who=f"x-insider-{when:%Y%m%d%H%M}")
    walker = _walker(world)

    def script(proc: Process) -> Script:
        place(world, insider, door.from_room)  # stayed behind after their shift
        for _ in range(2):
            decision = yield from badge_through(proc, walker, insider, door, door.to_room)
            if decision.outcome == "grant":
                move(world, insider, door.to_room, door, proc.now, granted=True)
                yield Wait(rng.uniform(120, 300))
                out = yield from badge_through(proc, walker, insider, door, door.from_room)
                move(world, insider, door.from_room, door, proc.now, granted=out.outcome == "grant")
                break
            yield Wait(rng.uniform(30, 60))
        yield Wait(rng.uniform(30, 90))
        place(world, insider, None)

    Process(world, script).start(when)


def _may(person: Person, room: str) -> bool:
    return "*" in person.zones or room in person.zones


def _card(person: Person) -> str:
    cards = [c for c in person.credentials if c.type == "card"]
    return (cards or person.credentials)[0].id


# -- lost badge, spoofed face ----------------------------------------------------------------


def _face_door(site: Site) -> Door | None:
    policy = site.policies.access
    doors_ = [
        d
        for d in site.doors
        if d.readers
        and d.to_room != OUTSIDE
        and d.from_room != OUTSIDE
        and "face" in policy.required_factors(site.room(d.to_room).security_level)
    ]
    return sorted(doors_, key=lambda d: d.id)[0] if doors_ else None


def _face_failing(name: str, world: World, at: datetime, reason: str, what: str) -> None:
    site = world.site
    door = _face_door(site)
    holders = sorted(
        (p for p in site.people if any(c.type == "face" for c in p.credentials) and p.credentials),
        key=lambda p: p.id,
    )
    if door is None or not holders:
        return
    rng = _rng(world, name, at)
    person = rng.choice(holders)
    tries = site.policies.access.lockout.after_failures
    world.record(
        GroundTruth(
            scenario=name,
            start=at,
            rooms=(door.to_room,),
            patterns=("insider_misuse",),
            rules=("access_face_failed", "access_lockout", "access_anomaly"),
            door=door.id,
            window=timedelta(minutes=20),
            description=f"{what} {person.name}'s card at {door.name}; the face step-up fails "
            f"({reason}); {tries} tries",
            details={"person": person.id},
        )
    )
    attacker = Agent(person, site, who=f"x-{name}-{at:%Y%m%d%H%M}")
    walker = _walker(world)

    def script(proc: Process) -> Script:
        place(world, attacker, door.from_room)
        for _ in range(tries):
            decision = yield from badge_through(proc, walker, attacker, door, door.to_room, reason)
            if decision.outcome == "grant":  # never, with the face failing: but a door is a door
                move(world, attacker, door.to_room, door, proc.now, granted=True)
                break
            yield Wait(rng.uniform(20, 50))
        place(world, attacker, None)

    Process(world, script).start(at)


@scenario(
    "lost_badge",
    "Someone else uses a lost card (PIN seen) at a face step-up door; the face does not match",
)
def lost_badge(world: World, at: datetime) -> None:
    _face_failing("lost_badge", world, at, FACE_MISMATCH, "a finder uses")


@scenario(
    "spoofed_face",
    "A stolen card and a photo of its holder held to the camera at a face step-up",
)
def spoofed_face(world: World, at: datetime) -> None:
    _face_failing("spoofed_face", world, at, LIVENESS_FAILED, "a thief with a photo uses")
