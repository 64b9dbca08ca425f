"""What a scenario is, and the registry ``artguard drill --scenarios`` chooses from."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from artguard.twin.world import World

Inject = Callable[[World, datetime], None]
"""Schedules the attack's steps and events from ``at`` on, and ``world.record``\\ s its truth.
May move ``at`` to a time when the attack makes sense (e.g. after closing) and must record the
moved time; must not raise for a site lacking what it needs (record nothing instead)."""

Fits = Callable[[World, datetime], bool]


@dataclass(frozen=True)
class Scenario:
    name: str
    summary: str
    inject: Inject
    when: str = "any"
    """``open`` (during public hours), ``closed`` (after hours) or ``any``: when the runner
    should place it if the caller does not choose a time."""


SCENARIOS: dict[str, Scenario] = {}


def scenario(name: str, summary: str, when: str = "any") -> Callable[[Inject], Inject]:
    """Register ``inject`` as scenario ``name``."""

    def register(inject: Inject) -> Inject:
        if name in SCENARIOS:
            raise ValueError(f"scenario {name!r} registered twice")
        SCENARIOS[name] = Scenario(name, summary, inject, when)
        return inject

    return register


def scenario_names() -> list[str]:
    return sorted(SCENARIOS)
