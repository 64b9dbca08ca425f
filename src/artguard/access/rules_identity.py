"""Who is asking, and may they enter at all: credential, lock-out, zones, shift, threat level.

Each rule takes the :class:`Context` and returns its findings (none when it has nothing to
say). Exits are never refused by these rules except for an unknown credential: egress must
stay free for life safety, so leaving is logged and judged, not blocked.
"""

from __future__ import annotations

from artguard.access.context import Context
from artguard.access.request import Finding
from artguard.site.people import ALL_ROOMS


def credential_known(ctx: Context) -> list[Finding]:
    if ctx.person is None or ctx.credential is None:
        return [
            Finding(
                "credential.unknown",
                "deny",
                f"credential {ctx.request.credential_id!r} is not issued to anyone on this site",
                risk=0.5,
            )
        ]
    if not ctx.credential.valid_at(ctx.now, ctx.site.tz):
        start, end = ctx.credential.valid_from, ctx.credential.valid_until
        return [
            Finding(
                "credential.expired",
                "deny",
                f"{ctx.person.name}'s {ctx.credential.type} {ctx.credential.id!r} is not valid "
                f"now (valid {start or 'always'} to {end or 'no expiry'})",
                risk=0.3,
            )
        ]
    return []


def lockout(ctx: Context) -> list[Finding]:
    until = ctx.state.locked(ctx.request.credential_id, ctx.now)
    if until is None:
        return []
    limit = ctx.policy.lockout.after_failures
    return [
        Finding(
            "lockout",
            "deny",
            f"credential {ctx.request.credential_id!r} is locked out until {ctx.clock(until)} "
            f"after {limit} denied attempts",
            risk=0.4,
        )
    ]


def zone_allowed(ctx: Context) -> list[Finding]:
    person = ctx.person
    if person is None or ctx.direction == "out":
        return []
    room = ctx.target_room
    if ALL_ROOMS in person.zones or room in person.zones:
        return []
    return [
        Finding(
            "zone.not_allowed",
            "deny",
            f"{person.name} ({person.role}) is not authorised for {ctx.room_name(room)}",
            risk=0.3,
        )
    ]


def within_shift(ctx: Context) -> list[Finding]:
    person = ctx.person
    if person is None or person.schedule is None or ctx.direction == "out":
        return []
    if ctx.site.in_schedule(person.schedule, ctx.now):
        return []
    schedule = ctx.site.schedule(person.schedule)
    holiday = ctx.site.is_holiday(ctx.now.astimezone(ctx.site.tz).date())
    why = " (a holiday)" if holiday and schedule.closed_on_holidays else ""
    return [
        Finding(
            "schedule.outside",
            "deny",
            f"{person.name} is outside their schedule '{schedule.name}' at {ctx.clock()}{why}",
            risk=0.2,
        )
    ]


def threat_level(ctx: Context) -> list[Finding]:
    level = ctx.state.threat_level
    if level == "normal" or ctx.person is None or ctx.direction == "out":
        return []
    threat = getattr(ctx.policy.threat_levels, level)
    role = ctx.person.role
    why = f" ({ctx.state.threat_reason})" if ctx.state.threat_reason else ""
    if threat.allow_roles is not None and role not in threat.allow_roles:
        return [
            Finding(
                f"threat.{level}",
                "deny",
                f"the site is at threat level {level}{why}; role {role!r} may not move",
                risk=0.2,
            )
        ]
    if role in threat.deny_roles:
        return [
            Finding(
                f"threat.{level}",
                "deny",
                f"the site is at threat level {level}{why}; role {role!r} is refused",
                risk=0.2,
            )
        ]
    found = [Finding(f"threat.{level}", "risk", f"threat level {level}{why}", risk=0.15)]
    if threat.extra_factors and ctx.target_level >= threat.min_security_level:
        found.append(
            Finding(
                f"threat.{level}.factors",
                "require",
                f"threat level {level} asks {' + '.join(threat.extra_factors)} for security "
                f"level {threat.min_security_level} and above",
                needs=tuple(threat.extra_factors),
            )
        )
    return found


def factors_for_level(ctx: Context) -> list[Finding]:
    if ctx.direction == "out":
        return []
    level = ctx.target_level
    needed = ctx.policy.required_factors(level)
    return [
        Finding(
            "factors.level",
            "require",
            f"{ctx.room_name(ctx.target_room)} (security level {level}) needs {' + '.join(needed)}",
            needs=tuple(needed),
        )
    ]
