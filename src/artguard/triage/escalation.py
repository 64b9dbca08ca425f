"""Escalation as pure functions: an incident's tier, its deadlines, and the next tier up.

The ladder is ``log -> dashboard -> page_guard -> supervisor -> lockdown``. The tier follows
the risk score (``policies.response.thresholds``) and never goes below the pattern's minimum;
a missed acknowledgement moves it one tier up, at most to ``max_auto_tier``. Nothing here
reads the clock or the database, so every rule can be tested with plain values; the
:mod:`artguard.triage.escalator` service applies them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from artguard.site.response_policy import TIERS, ResponsePolicy, Tier, tier_rank

AUDIENCE: dict[Tier, str | None] = {
    "log": None,
    "dashboard": "dashboard",
    "page_guard": "guard",
    "supervisor": "supervisor",
    "lockdown": "supervisor",
}
"""Who a tier calls (the ``Notification.audience``); the log tier calls nobody."""


@dataclass(frozen=True)
class TierChoice:
    """The tier an incident belongs on, and why."""

    tier: Tier
    reason: str


@dataclass(frozen=True)
class Deadlines:
    """When the incident must be acknowledged and resolved."""

    acknowledge: datetime
    resolve: datetime


def tier_for(score: float | None, pattern: str | None, policy: ResponsePolicy) -> TierChoice:
    """The tier of an incident with this score and pattern.

    >>> tier_for(0.5, "door_forced", ResponsePolicy()).tier
    'page_guard'
    """
    value = score or 0.0
    by_score: Tier = "log"
    for tier in TIERS[1:]:
        if value >= getattr(policy.thresholds, tier):
            by_score = tier
    minimum = policy.minimum_for(pattern)
    if tier_rank(minimum) > tier_rank(by_score):
        return TierChoice(
            minimum, f"pattern {pattern} is never below {minimum} (score {value:.2f})"
        )
    if by_score == "log":
        return TierChoice(
            "log",
            f"score {value:.2f} is below the dashboard threshold {policy.thresholds.dashboard:g}",
        )
    threshold = getattr(policy.thresholds, by_score)
    return TierChoice(by_score, f"score {value:.2f} >= {threshold:g} ({by_score} threshold)")


def is_higher(new: str, old: str | None) -> bool:
    """Whether ``new`` is above ``old`` (no tier yet counts as below ``log``)."""
    return old is None or tier_rank(new) > tier_rank(old)


def needs_human(tier: str) -> bool:
    """Tiers from ``dashboard`` up must be acknowledged and resolved in time."""
    return tier_rank(tier) >= tier_rank("dashboard")


def deadlines(pattern: str | None, policy: ResponsePolicy, start: datetime) -> Deadlines:
    """The deadlines of an incident that needs a human from ``start``."""
    rule = policy.deadlines_for(pattern)
    return Deadlines(start + rule.acknowledge_within, start + rule.resolve_within)


def tightened(current: datetime | None, candidate: datetime) -> datetime:
    """The earlier of two deadlines: a stricter pattern shortens a deadline, none extends it."""
    return candidate if current is None or candidate < current else current


def next_tier(tier: str, policy: ResponsePolicy) -> Tier | None:
    """The tier a missed acknowledgement leads to; None at or above ``max_auto_tier``."""
    rank = tier_rank(tier)
    if rank >= tier_rank(policy.max_auto_tier):
        return None
    return TIERS[rank + 1]


def audiences(old: str | None, new: str) -> dict[str, Tier]:
    """The audiences to notify when an incident rises from ``old`` to ``new``: one per
    audience, with the highest tier newly reached that calls it (log -> supervisor notifies
    the dashboard, the guards and the supervisors)."""
    start = -1 if old is None else tier_rank(old)
    found: dict[str, Tier] = {}
    for tier in TIERS[start + 1 : tier_rank(new) + 1]:
        audience = AUDIENCE[tier]
        if audience is not None:
            found[audience] = tier
    return found
