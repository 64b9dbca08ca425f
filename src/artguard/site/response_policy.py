"""How incidents are escalated to people: ``policies.response`` in the site file.

An incident sits on one **tier** of the ladder ``log -> dashboard -> page_guard -> supervisor
-> lockdown``, chosen from its risk score (``thresholds``) and never below its pattern's
``minimum_tier``. Tiers from ``dashboard`` up need a human: the incident must be acknowledged
within ``acknowledge_within`` and resolved within ``resolve_within`` (per pattern, else the
``default``); a missed acknowledgement moves it one tier up (at most to ``max_auto_tier``), a
missed resolution tells the supervisors. Every key has a default, so a site without the
section escalates sensibly (see docs/triage.md, "Escalation and deadlines").
"""

from __future__ import annotations

import difflib
from datetime import timedelta
from itertools import pairwise
from typing import Literal

from pydantic import Field, field_validator, model_validator

from artguard.site.base import Id, SiteModel, unique_values
from artguard.site.durations import Duration

Tier = Literal["log", "dashboard", "page_guard", "supervisor", "lockdown"]
TIERS: tuple[Tier, ...] = ("log", "dashboard", "page_guard", "supervisor", "lockdown")
"""The escalation ladder, lowest first."""

PATTERN_NAMES: tuple[str, ...] = (
    "theft_in_progress",
    "after_hours_intrusion",
    "sensor_or_camera_sabotage",
    "touching_artwork",
    "insider_misuse",
    "tailgating",
    "casing",
    "environmental_risk",
)
"""The named incident patterns of :mod:`artguard.triage.patterns` (a test keeps them equal)."""


def tier_rank(tier: str) -> int:
    """Position of ``tier`` on the ladder (log = 0)."""
    return TIERS.index(tier)  # type: ignore[arg-type]


def _known_patterns(keys: list[str], where: str) -> None:
    for key in keys:
        if key not in PATTERN_NAMES:
            close = difflib.get_close_matches(key, PATTERN_NAMES, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"unknown pattern {key!r} in {where} (expected one of: "
                f"{', '.join(PATTERN_NAMES)}){hint}"
            )


class TierThresholds(SiteModel):
    """The lowest risk score (0..1) that puts an incident on each tier; below
    ``dashboard`` it is only logged."""

    dashboard: float = Field(
        default=0.1, ge=0.0, le=1.0, description="Score that shows it on the dashboard."
    )
    page_guard: float = Field(
        default=0.4, ge=0.0, le=1.0, description="Score that pages the nearest guard."
    )
    supervisor: float = Field(
        default=0.7, ge=0.0, le=1.0, description="Score that also calls the supervisors."
    )
    lockdown: float = Field(default=0.9, ge=0.0, le=1.0, description="Score of the lockdown tier.")

    @model_validator(mode="after")
    def _increasing(self) -> TierThresholds:
        values = [(tier, getattr(self, tier)) for tier in TIERS[1:]]
        for (low, a), (high, b) in pairwise(values):
            if not a < b:
                raise ValueError(
                    f"thresholds must increase up the ladder: {low} ({a}) must be below "
                    f"{high} ({b})"
                )
        return self


class Deadlines(SiteModel):
    """How long people have to acknowledge and to resolve an incident."""

    acknowledge_within: Duration = Field(
        description="From the moment it needs a human (tier dashboard or above) to "
        "acknowledged; missed: one tier up."
    )
    resolve_within: Duration = Field(
        description="From the same moment to resolved or false alarm; missed: the "
        "supervisors are told."
    )

    @model_validator(mode="after")
    def _ack_first(self) -> Deadlines:
        if self.acknowledge_within > self.resolve_within:
            raise ValueError(
                "acknowledge_within must not be longer than resolve_within (an incident is "
                "acknowledged before it is resolved)"
            )
        return self


def _default_deadlines() -> Deadlines:
    return Deadlines(acknowledge_within=timedelta(minutes=5), resolve_within=timedelta(hours=4))


def _pattern_deadlines() -> dict[str, Deadlines]:
    minutes = timedelta(minutes=1)
    return {
        "theft_in_progress": Deadlines(acknowledge_within=minutes, resolve_within=60 * minutes),
        "after_hours_intrusion": Deadlines(
            acknowledge_within=2 * minutes, resolve_within=60 * minutes
        ),
        "touching_artwork": Deadlines(acknowledge_within=2 * minutes, resolve_within=30 * minutes),
        "environmental_risk": Deadlines(
            acknowledge_within=30 * minutes, resolve_within=24 * 60 * minutes
        ),
    }


def _minimum_tiers() -> dict[str, Tier]:
    return {
        "theft_in_progress": "page_guard",
        "after_hours_intrusion": "page_guard",
        "sensor_or_camera_sabotage": "dashboard",
        "touching_artwork": "dashboard",
        "insider_misuse": "dashboard",
        "tailgating": "dashboard",
        "casing": "dashboard",
        "environmental_risk": "dashboard",
    }


class ResponsePolicy(SiteModel):
    """Escalation tiers, deadlines and who is called; every key has a default."""

    thresholds: TierThresholds = Field(
        default_factory=TierThresholds,
        description="Lowest risk score of each tier: dashboard, page_guard, supervisor, "
        "lockdown (increasing).",
    )
    minimum_tier: dict[str, Tier] = Field(
        default_factory=_minimum_tiers,
        description="Per named pattern, the tier an incident of that pattern never goes below. "
        "Patterns left out keep their default.",
    )
    default: Deadlines = Field(
        default_factory=_default_deadlines,
        description="acknowledge_within / resolve_within for patterns without their own.",
    )
    deadlines: dict[str, Deadlines] = Field(
        default_factory=_pattern_deadlines,
        description="Per named pattern, acknowledge_within / resolve_within. Patterns left out "
        "keep their default.",
    )
    max_auto_tier: Tier = Field(
        default="supervisor",
        description="Missed acknowledgements escalate up to this tier and no further; only the "
        "score or pattern reaches higher tiers.",
    )
    guard_roles: list[Id] = Field(
        default_factory=lambda: ["guard"], description="Roles whose people are paged as guards."
    )
    supervisor_roles: list[Id] = Field(
        default_factory=lambda: ["security-supervisor"],
        description="Roles whose people are called as supervisors.",
    )
    guards_to_page: int = Field(
        default=1, ge=1, le=20, description="How many of the nearest on-duty guards to page."
    )
    guard_location_max_age: Duration = Field(
        default=timedelta(hours=1),
        description="A guard's last known room older than this is treated as unknown.",
    )
    lockdown_raises_threat_level: bool = Field(
        default=False,
        description="Whether reaching the lockdown tier sets the site threat level to "
        "lockdown (otherwise the supervisors are told a lockdown is recommended).",
    )

    @field_validator("minimum_tier", mode="before")
    @classmethod
    def _merge_minimum(cls, value: object) -> object:
        if isinstance(value, dict):
            _known_patterns(list(value), "minimum_tier")
            return {**_minimum_tiers(), **value}
        return value

    @field_validator("deadlines", mode="before")
    @classmethod
    def _merge_deadlines(cls, value: object) -> object:
        if isinstance(value, dict):
            _known_patterns(list(value), "deadlines")
            return {**_pattern_deadlines(), **value}
        return value

    @field_validator("guard_roles", "supervisor_roles")
    @classmethod
    def _unique_roles(cls, roles: list[str]) -> list[str]:
        return unique_values(roles, "role")

    @model_validator(mode="after")
    def _auto_tier_needs_a_human(self) -> ResponsePolicy:
        if tier_rank(self.max_auto_tier) < tier_rank("dashboard"):
            raise ValueError("max_auto_tier must be dashboard or higher")
        return self

    def deadlines_for(self, pattern: str | None) -> Deadlines:
        """The pattern's own deadlines, else the default."""
        return self.deadlines.get(pattern or "", self.default)

    def minimum_for(self, pattern: str | None) -> Tier:
        """The lowest tier of the pattern; ``log`` for patterns without one."""
        return self.minimum_tier.get(pattern or "", "log")
