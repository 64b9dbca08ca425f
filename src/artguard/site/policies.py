"""Site-wide policies and data-retention periods.

:class:`Policies` is flat today; later policy areas (access control, escalation) are meant to
arrive as nested models under their own key, so each area stays small and unknown keys stay
errors.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, PlainSerializer

from artguard.site.base import Id, SiteModel

_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: object) -> timedelta:
    """``"30d"``, ``"12h"``, ``"90m"``, ``"45s"`` or ``"2w"`` to a positive timedelta."""
    if isinstance(value, timedelta):
        return value
    match = _DURATION.match(value.strip()) if isinstance(value, str) else None
    if match and int(match.group(1)) > 0:
        return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])
    raise ValueError(f"expected a positive duration like 30d, 12h, 90m, 45s or 2w, got {value!r}")


def format_duration(value: timedelta) -> str:
    """The shortest ``parse_duration`` spelling of a whole number of seconds."""
    seconds = int(value.total_seconds())
    for unit in ("d", "h", "m"):
        if seconds % _UNIT_SECONDS[unit] == 0:
            return f"{seconds // _UNIT_SECONDS[unit]}{unit}"
    return f"{seconds}s"


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str, when_used="json"),
]
"""A timedelta written as ``30d``; JSON output uses the same spelling, so it loads back."""


class Policies(SiteModel):
    """Site-wide security policies; every key has a safe default."""

    door_held_open_seconds: int = Field(
        default=30, gt=0, description="Seconds a door may stay open before 'held open'."
    )
    forced_open_grant_window_seconds: int = Field(
        default=10,
        gt=0,
        description="A door opening within this many seconds after a grant is not 'forced'.",
    )
    lockout_after_failures: int = Field(
        default=5,
        gt=0,
        description="Consecutive denied attempts before a credential is locked out.",
    )
    two_person_rooms: list[Id] = Field(
        default_factory=list, description="Rooms that need two authorised people to enter."
    )
    anti_passback: Literal["none", "soft", "hard"] = Field(
        default="none",
        description="Re-entry without exit: none (ignore), soft (alert), hard (deny).",
    )


class Retention(SiteModel):
    """How long each kind of stored data is kept before automatic purge."""

    events: Duration = Field(default=timedelta(days=90), description="Raw device events.")
    alerts: Duration = Field(default=timedelta(days=365), description="Alerts raised by rules.")
    incidents: Duration = Field(
        default=timedelta(days=730), description="Incidents and their notes."
    )
    snapshots: Duration = Field(
        default=timedelta(days=30), description="Camera snapshots and clips."
    )
    audit: Duration = Field(
        default=timedelta(days=2555), description="The tamper-evident audit log (7 years)."
    )
