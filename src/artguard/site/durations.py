"""Durations in the site file: ``30d``, ``12h``, ``90m``, ``45s`` or ``2w``."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

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
