"""Ground truth: what a scenario did, where and when, and how artguard should name it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta


@dataclass(frozen=True)
class GroundTruth:
    """One injected attack (or nuisance), as the drill scores it.

    A drill counts the scenario *detected* when an incident whose pattern is one of
    ``patterns`` holds an alert from one of ``rules`` (when given) in one of ``rooms`` (or about
    ``artwork``/``door``), with site time in ``[start, start + window]``. Time to detect is the
    first such alert's site time minus ``start``.
    """

    scenario: str
    start: datetime
    rooms: tuple[str, ...]
    patterns: tuple[str, ...]
    """Incident patterns that name this attack correctly (triage/patterns.py)."""
    rules: tuple[str, ...] = ()
    """The analytics expected to catch it (``Alert.rule``); empty = any rule."""
    artwork: str | None = None
    door: str | None = None
    window: timedelta = timedelta(minutes=15)
    description: str = ""
    attack: bool = True
    """False for a nuisance (must *not* raise a high-risk incident)."""
    details: dict[str, str] = field(default_factory=dict)
