"""Rules that depend on who is where and which doors are open: anti-passback, the two-person
rule, interlocks, first-person-in, escorts and re-verification."""

from __future__ import annotations

from datetime import datetime

from artguard.access.context import Context
from artguard.access.request import Finding
from artguard.access.state import AccessState
from artguard.site import Site
from artguard.site.access_policy import AccessPolicy
from artguard.site.entities import OUTSIDE


def anti_passback(ctx: Context) -> list[Finding]:
    rule = ctx.policy.anti_passback
    person = ctx.person
    if rule.mode == "none" or person is None:
        return []
    if rule.mode == "timed":
        if ctx.direction == "out":
            return []
        last = ctx.state.last_use.get((ctx.request.credential_id, ctx.door.id))
        if last is not None and (ctx.now - last).total_seconds() < rule.seconds:
            return [
                Finding(
                    "anti_passback.timed",
                    "deny",
                    f"credential {ctx.request.credential_id!r} was used at {ctx.door.name} "
                    f"{(ctx.now - last).total_seconds():.0f} s ago (timed anti-passback: "
                    f"{rule.seconds} s)",
                    risk=0.3,
                )
            ]
        return []
    if not badged_both_ways(ctx.site, ctx.door.to_room):
        return []  # without exit readers an exit is never seen: every re-entry would look bad
    presence = ctx.state.presence(person.id)
    if ctx.direction == "out":
        if presence is not None and presence.room_id != ctx.door.to_room:
            return [
                Finding(
                    "anti_passback.exit",
                    "note",
                    f"{person.name} badges out of {ctx.room_name(ctx.door.to_room)} but was "
                    f"last let into {ctx.room_name(presence.room_id)} at "
                    f"{ctx.clock(presence.at)}",
                    risk=0.2,
                )
            ]
        return []
    if presence is None or presence.room_id != ctx.target_room:
        return []
    reason = (
        f"{person.name} is already recorded in {ctx.room_name(ctx.target_room)} (let in at "
        f"{ctx.clock(presence.at)}) with no exit since: the card may have been passed back"
    )
    if rule.mode == "hard":
        return [Finding("anti_passback.hard", "deny", reason, risk=0.4)]
    return [Finding("anti_passback.soft", "note", reason, risk=0.3)]


def badged_both_ways(site: Site, room_id: str) -> bool:
    """Whether every badged door into the room also has an exit reader (an anti-passback area:
    only there does "no exit recorded" mean something)."""
    doors = [d for d in site.doors if d.to_room == room_id and d.readers]
    return bool(doors) and all(d.exit_readers for d in doors)


def two_person(ctx: Context) -> list[Finding]:
    rule = ctx.policy.two_person
    if ctx.direction == "out" or ctx.person is None or ctx.target_room not in rule.rooms:
        return []
    pending = ctx.state.pending_pair.get(ctx.door.id)
    fresh = (
        pending is not None
        and pending.person_id != ctx.person.id
        and 0 <= (ctx.now - pending.at).total_seconds() <= rule.within_seconds
    )
    if fresh:
        assert pending is not None
        name = ctx.site.person(pending.person_id).name
        return [
            Finding(
                "two_person.completed",
                "risk",
                f"second authorised person; {name} badged {(ctx.now - pending.at).seconds} s "
                "before",
            )
        ]
    return [
        Finding(
            "two_person.waiting",
            "require",
            f"{ctx.room_name(ctx.target_room)} needs two authorised people: a second must "
            f"badge within {rule.within_seconds} s",
            needs=("second_person",),
        )
    ]


def interlock(ctx: Context) -> list[Finding]:
    found = []
    for lock in ctx.policy.interlocks:
        if ctx.door.id not in lock.doors:
            continue
        open_doors = [d for d in lock.doors if d != ctx.door.id and ctx.state.door_open.get(d)]
        if open_doors:
            names = ", ".join(ctx.site.door(d).name for d in open_doors)
            found.append(
                Finding(
                    "interlock",
                    "deny",
                    f"interlock {lock.id}: {names} is open; only one door may be open at a time",
                )
            )
    return found


def first_person_in(ctx: Context) -> list[Finding]:
    if ctx.direction == "out" or ctx.person is None:
        return []
    today = ctx.now.astimezone(ctx.site.tz).date()
    for rule in ctx.policy.first_person_in:
        room = ctx.target_room
        if room not in rule.rooms or ctx.person.role in rule.supervisor_roles:
            continue
        if ctx.state.opened_on.get(room) != today:
            return [
                Finding(
                    "first_person_in",
                    "deny",
                    f"{ctx.room_name(room)} stays locked until a "
                    f"{' or '.join(rule.supervisor_roles)} has badged in today",
                )
            ]
    return []


def opens_rooms(ctx: Context) -> bool:
    """Whether this person's grant opens first-person-in rooms for the day."""
    if ctx.person is None or ctx.direction == "out":
        return False
    return any(
        ctx.target_room in rule.rooms and ctx.person.role in rule.supervisor_roles
        for rule in ctx.policy.first_person_in
    )


def escort(ctx: Context) -> list[Finding]:
    rule = ctx.policy.escort
    if ctx.direction == "out" or ctx.person is None or ctx.person.role not in rule.roles:
        return []
    for grant in reversed(ctx.state.recent_grants.get(ctx.door.id, ())):
        age = (ctx.now - grant.at).total_seconds()
        if age > rule.within_seconds:
            break
        if grant.role in rule.escort_roles and grant.person_id != ctx.person.id:
            name = ctx.site.person(grant.person_id).name
            return [Finding("escort.present", "risk", f"escorted by {name} ({age:.0f} s before)")]
    return [
        Finding(
            "escort.required",
            "require",
            f"{ctx.person.name} ({ctx.person.role}) must be escorted: a "
            f"{' or '.join(rule.escort_roles) or 'escort'} must badge here first",
            needs=("escort",),
        )
    ]


def reverify(ctx: Context) -> list[Finding]:
    """Entering a high-security room long after the last full verification asks for a face.

    People who stay inside are covered by :func:`due_reverifications` (the service raises an
    alert so a guard asks them to verify at an inside reader): exits are never blocked.
    """
    rule = ctx.policy.reverify
    if ctx.person is None or ctx.direction == "out":
        return []
    if ctx.target_level < rule.min_security_level:
        return []
    since = ctx.state.verified_at.get(ctx.person.id)
    if since is None or ctx.now - since <= rule.after:
        return []
    minutes = (ctx.now - since).total_seconds() / 60
    return [
        Finding(
            "reverify",
            "require",
            f"{ctx.person.name} was last fully verified {minutes:.0f} min ago (re-verification "
            f"every {rule.after.total_seconds() / 60:.0f} min in security level "
            f"{rule.min_security_level}+)",
            needs=("face",),
        )
    ]


def due_reverifications(
    site: Site, policy: AccessPolicy, state: AccessState, now: datetime
) -> list[tuple[str, str, datetime]]:
    """``(person, room, last verified)`` for everyone inside a high-security room whose last
    full verification is older than the policy allows."""
    rule = policy.reverify
    due = []
    for person_id, presence in state.where.items():
        if presence.room_id == OUTSIDE:
            continue
        if site.room(presence.room_id).security_level < rule.min_security_level:
            continue
        since = state.verified_at.get(person_id, presence.at)
        if now - since > rule.after:
            due.append((person_id, presence.room_id, since))
    return due
