"""The access-control policy of a site: ``policies.access`` in the site file.

Who may enter a room at all is said per person (``people[].zones``, ``schedule`` and the
validity of each credential). This section says *how* and *under which conditions*: the factors
each security level needs, anti-passback, lock-out, the two-person rule, interlocked doors
(sally ports), first-person-in, escorts, re-verification in high-security rooms, and the threat
levels that tighten all of it. Every key has a safe default, so a site without the section
gets: card for levels 1-2, card + PIN for 3, card + PIN + face for 4, lock-out after 5 denials.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from artguard.site.base import Id, SiteModel, unique_values
from artguard.site.durations import Duration

Factor = Literal["card", "pin", "face", "mobile"]
ThreatLevel = Literal["normal", "elevated", "lockdown"]
THREAT_LEVELS: tuple[ThreatLevel, ...] = ("normal", "elevated", "lockdown")
SecurityLevel = Annotated[int, Field(ge=1, le=4)]

DEFAULT_FACTORS: dict[int, list[Factor]] = {
    1: ["card"],
    2: ["card"],
    3: ["card", "pin"],
    4: ["card", "pin", "face"],
}


class AntiPassback(SiteModel):
    """Re-entry without a recorded exit (a card passed back to someone else)."""

    mode: Literal["none", "soft", "hard", "timed"] = Field(
        default="none",
        description="none: ignore; soft: grant but alert; hard: deny; timed: deny a re-use of "
        "the same card at the same door within 'seconds'.",
    )
    seconds: int = Field(default=300, gt=0, description="The window of the timed mode.")


class Lockout(SiteModel):
    """Lock a credential out after repeated denials (guessing, a stolen card being tried)."""

    after_failures: int = Field(
        default=5, gt=0, description="Consecutive denials that lock the credential out."
    )
    within: Duration = Field(
        default=timedelta(minutes=10), description="The denials must fall inside this window."
    )
    duration: Duration = Field(
        default=timedelta(minutes=15), description="How long the lock-out lasts."
    )


class TwoPersonRule(SiteModel):
    """Rooms that open only to two different authorised people badging in together."""

    rooms: list[Id] = Field(default_factory=list, description="Room ids under the rule.")
    within_seconds: int = Field(
        default=30, gt=0, description="The second person must badge within this many seconds."
    )

    @field_validator("rooms")
    @classmethod
    def _unique(cls, rooms: list[str]) -> list[str]:
        return unique_values(rooms, "room")


class Interlock(SiteModel):
    """A sally port: of these doors only one may be open at a time."""

    id: Id = Field(description="Interlock id, shown in reasons.")
    doors: list[Id] = Field(min_length=2, description="Door ids; at most one open at a time.")

    @field_validator("doors")
    @classmethod
    def _unique(cls, doors: list[str]) -> list[str]:
        return unique_values(doors, "door")


class FirstPersonIn(SiteModel):
    """Rooms that stay locked each day until a supervisor has badged in."""

    rooms: list[Id] = Field(min_length=1, description="Room ids under the rule.")
    supervisor_roles: list[Id] = Field(
        min_length=1, description="Roles whose grant opens the rooms for the day."
    )


class Escort(SiteModel):
    """Roles (visitors, contractors) who may only enter behind an escort."""

    roles: list[Id] = Field(default_factory=list, description="Roles that need an escort.")
    escort_roles: list[Id] = Field(
        default_factory=list, description="Roles that may escort (e.g. guard)."
    )
    within_seconds: int = Field(
        default=60,
        gt=0,
        description="The escort must have badged in at the same door this recently.",
    )


class Reverify(SiteModel):
    """Continuous authentication: long stays in high-security rooms need a fresh check."""

    min_security_level: SecurityLevel = Field(
        default=4, description="Rooms at or above this level are covered."
    )
    after: Duration = Field(
        default=timedelta(minutes=30),
        description="Time since the last full verification after which it is asked again.",
    )


class ThreatPolicy(SiteModel):
    """What one threat level changes."""

    extra_factors: list[Factor] = Field(
        default_factory=list, description="Factors added to every request at this level."
    )
    min_security_level: SecurityLevel = Field(
        default=1, description="The extra factors apply to rooms at or above this level."
    )
    deny_roles: list[Id] = Field(
        default_factory=list, description="Roles refused everywhere at this level."
    )
    allow_roles: list[Id] | None = Field(
        default=None,
        description="If set, only these roles are granted anywhere at this level (lockdown).",
    )


def _elevated() -> ThreatPolicy:
    return ThreatPolicy(extra_factors=["pin"], min_security_level=2)


def _lockdown() -> ThreatPolicy:
    return ThreatPolicy(allow_roles=[])


class ThreatLevels(SiteModel):
    """How the threat levels tighten the rules site-wide (``normal`` changes nothing)."""

    elevated: ThreatPolicy = Field(
        default_factory=_elevated, description="E.g. a credible threat or a VIP event."
    )
    lockdown: ThreatPolicy = Field(
        default_factory=_lockdown,
        description="Everything locked; allow_roles lists who may still move (responders).",
    )


class AutoLockdown(SiteModel):
    """Lock the site down by itself when a grave incident opens."""

    enabled: bool = Field(default=True, description="Whether incidents may trigger lockdown.")
    severity: Literal["high", "critical"] = Field(
        default="critical", description="The lowest incident severity that triggers lockdown."
    )


class AccessPolicy(SiteModel):
    """Everything a door decision applies besides the person's own zones and shift."""

    factors: dict[SecurityLevel, list[Factor]] = Field(
        default_factory=lambda: {k: list(v) for k, v in DEFAULT_FACTORS.items()},
        description="Factors needed per room security level (1-4).",
    )
    step_up_risk: float = Field(
        default=0.6,
        ge=0.0,
        le=1.0,
        description="A request whose risk score reaches this needs one more factor (face, "
        "else PIN).",
    )
    deny_risk: float = Field(
        default=0.95, ge=0.0, le=1.0, description="A request whose risk reaches this is denied."
    )
    anti_passback: AntiPassback = Field(
        default_factory=AntiPassback, description="Re-entry without a recorded exit."
    )
    lockout: Lockout = Field(
        default_factory=Lockout, description="Lock a credential out after repeated denials."
    )
    two_person: TwoPersonRule = Field(
        default_factory=TwoPersonRule, description="Rooms that need two authorised people."
    )
    interlocks: list[Interlock] = Field(
        default_factory=list, description="Sally ports: one door of each set open at a time."
    )
    first_person_in: list[FirstPersonIn] = Field(
        default_factory=list, description="Rooms locked each day until a supervisor badges in."
    )
    escort: Escort = Field(
        default_factory=Escort, description="Roles that may only enter behind an escort."
    )
    reverify: Reverify = Field(
        default_factory=Reverify, description="Re-verification in high-security rooms."
    )
    threat_levels: ThreatLevels = Field(
        default_factory=ThreatLevels, description="How each threat level tightens the rules."
    )
    auto_lockdown: AutoLockdown = Field(
        default_factory=AutoLockdown, description="Lockdown triggered by a grave incident."
    )

    @field_validator("factors")
    @classmethod
    def _every_level(cls, factors: dict[int, list[Factor]]) -> dict[int, list[Factor]]:
        merged = {k: list(v) for k, v in DEFAULT_FACTORS.items()}
        for level, needed in factors.items():
            if not needed:
                raise ValueError(f"security level {level} needs at least one factor")
            merged[level] = unique_values(needed, "factor")
        return merged

    @model_validator(mode="after")
    def _ordered_risks(self) -> AccessPolicy:
        if self.step_up_risk > self.deny_risk:
            raise ValueError(
                f"step_up_risk ({self.step_up_risk:g}) must not exceed deny_risk "
                f"({self.deny_risk:g})"
            )
        return self

    def required_factors(self, security_level: int) -> list[Factor]:
        return list(self.factors.get(security_level, DEFAULT_FACTORS[4]))
