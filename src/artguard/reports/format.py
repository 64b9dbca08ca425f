"""How report values read: durations, shares, counts, local times."""

from __future__ import annotations

from datetime import datetime, tzinfo


def seconds(value: float | None) -> str:
    """``45 s``, ``2.5 min``, ``3.1 h``, ``2.0 d``; ``-`` when there is no value."""
    if value is None:
        return "-"
    if value < 120:
        return f"{value:.1f} s" if value < 10 and value != int(value) else f"{value:.0f} s"
    if value < 7200:
        return f"{value / 60:.1f} min"
    if value < 172_800:
        return f"{value / 3600:.1f} h"
    return f"{value / 86_400:.1f} d"


def percent(value: float | None) -> str:
    """A share 0..1 as ``12.5%``; ``-`` when there is no value."""
    return "-" if value is None else f"{100 * value:.1f}%"


def score(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def local(moment: datetime | None, zone: tzinfo, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A time on the site's clock, to the minute by default: ``2026-11-23 14:05``."""
    return "-" if moment is None else moment.astimezone(zone).strftime(pattern)


def counts(counter: dict[str, int]) -> str:
    """``resolved 3, open 1`` (largest first); ``-`` when empty."""
    ordered = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    return ", ".join(f"{k} {v}" for k, v in ordered) or "-"
