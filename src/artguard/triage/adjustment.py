"""Operator feedback as a number: the factor an alert's weight is multiplied by, and why.

Pure functions and values only (no database): :mod:`.scoring` applies an :class:`Adjustment`
to a contribution, :mod:`.feedback` learns and stores them.

**Key.** Verdicts are counted per *(rule, device, time-of-day band)*, written
``rule,device,band`` (ids never contain a comma, and a comma needs no escaping in a URL path).
Three bands, because the people behind
a false alarm differ by band, and a cleaner's 07:00 motion must not mute 03:00 motion:

* ``open``: the site is open to the public (visitors);
* ``closed``: closed to the public between 06:00 and 22:00 site time (staff, cleaners,
  contractors before and after opening, closed days);
* ``night``: closed, 22:00 to 06:00 (nobody should be inside).

**Factor.** With ``f`` false alarms and ``c`` confirmed verdicts (incidents resolved) on the key,
the share of real incidents is estimated with a Beta(2, 2) prior (the share the weights were
set for, 1/2, worth four verdicts), and the factor is that estimate relative to the prior's:

    factor = ((c + 2) / (c + f + 4)) / 0.5,  bounded to [0.25, 1.5]

One false alarm gives x0.8, five x0.44, six of seven x0.55; three confirmed x1.43.

**Tier 1.** Feedback never silences a break-in: signals of the tier-1 categories (an artwork
touched or missing, a forced entry) are never multiplied by less than ``TIER1_MIN_FACTOR``, and
an incident whose pattern is tier-1 is never taken by feedback below
``min(its score without feedback, TIER1_MIN_SCORE)`` (see :func:`.assess.assess`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from artguard.site import Site
from artguard.triage.signals import AlertFacts, Category, site_closed

PRIOR_CONFIRMED = 2.0
PRIOR_FALSE = 2.0
PRIOR_SHARE = PRIOR_CONFIRMED / (PRIOR_CONFIRMED + PRIOR_FALSE)
MIN_FACTOR = 0.25
MAX_FACTOR = 1.5

TIER1_PATTERNS: dict[str, frozenset[Category]] = {
    "theft_in_progress": frozenset({"artwork"}),
    "after_hours_intrusion": frozenset({"entry"}),
}
"""Patterns feedback may never silence, each with the categories that make it tier 1: any theft
in progress; an after-hours intrusion with a forced entry (motion alone at night is not)."""
TIER1_CATEGORIES: frozenset[Category] = frozenset().union(*TIER1_PATTERNS.values())
TIER1_MIN_FACTOR = 0.75
"""The lowest factor a tier-1 signal (artwork, entry) can get from feedback."""
TIER1_MIN_SCORE = 0.7
"""Feedback never takes a tier-1 incident below this score (the high-risk band) if it would
have reached it without feedback."""

NIGHT_STARTS = 22
NIGHT_ENDS = 6
BANDS = ("open", "closed", "night")
BAND_WORDS = {
    "open": "during opening hours",
    "closed": "outside opening hours by day",
    "night": "at night",
}
VERDICTS = ("false_alarm", "confirmed")


def time_band(at: datetime, site: Site | None) -> str:
    """``open``, ``closed`` or ``night`` at ``at`` (site time; without a site, UTC clock)."""
    if site is not None and site_closed(site, at) is False:
        return "open"
    local = at.astimezone(site.tz) if site is not None else at
    return "night" if local.hour >= NIGHT_STARTS or local.hour < NIGHT_ENDS else "closed"


def feedback_key(facts: AlertFacts, site: Site | None) -> str:
    return make_key(facts.rule, facts.device_id, time_band(facts.time, site))


KEY_SEPARATOR = ","


def make_key(rule: str, device_id: str, band: str) -> str:
    return KEY_SEPARATOR.join((rule, device_id, band))


def split_key(key: str) -> tuple[str, str, str]:
    """``(rule, device, band)`` of a key; ValueError naming the key when it is malformed."""
    head, sep, band = key.rpartition(KEY_SEPARATOR)
    rule, sep2, device = head.rpartition(KEY_SEPARATOR)
    if not (sep and sep2 and rule and device) or band not in BANDS:
        raise ValueError(
            f"malformed feedback key {key!r}: expected rule,device,band with band one of "
            f"{', '.join(BANDS)}, e.g. sensor_threshold,pir-1,night"
        )
    return rule, device, band


def share_factor(false_alarms: int, confirmed: int) -> float:
    """The bounded factor for these verdict counts (1.0 with none)."""
    if false_alarms < 0 or confirmed < 0:
        raise ValueError(f"verdict counts cannot be negative: {false_alarms}, {confirmed}")
    share = (confirmed + PRIOR_CONFIRMED) / (
        confirmed + false_alarms + PRIOR_CONFIRMED + PRIOR_FALSE
    )
    return max(MIN_FACTOR, min(MAX_FACTOR, share / PRIOR_SHARE))


@dataclass(frozen=True)
class Adjustment:
    """The active (not reverted) verdicts on one key, and what they do to its alerts' weight."""

    key: str
    false_alarms: int
    confirmed: int
    last_note: str | None = None  # the latest verdict's note (a false alarm's reason)
    last_time: datetime | None = None  # when the latest verdict's alert happened

    @property
    def verdicts(self) -> int:
        return self.false_alarms + self.confirmed

    @property
    def factor(self) -> float:
        return share_factor(self.false_alarms, self.confirmed)

    def applied(self, category: Category) -> tuple[float, bool]:
        """The factor for a signal of ``category`` and whether the tier-1 floor raised it."""
        factor = self.factor
        if category in TIER1_CATEGORIES and factor < TIER1_MIN_FACTOR:
            return TIER1_MIN_FACTOR, True
        return factor, False

    def reason(self, label: str, category: Category, site: Site | None = None) -> str:
        """'x0.55: 6 of 7 incidents with motion from pir-g2 at night were false alarms
        (last: 'cleaner', 2026-11-20)'."""
        _, device, band = split_key(self.key)
        factor, floored = self.applied(category)
        subject = f"incidents with {label} from {device} {BAND_WORDS[band]}"
        if self.false_alarms >= self.confirmed:
            text = f"{self.false_alarms} of {self.verdicts} {subject} were false alarms"
        else:
            text = f"{self.confirmed} of {self.verdicts} {subject} were confirmed"
        last = []
        if self.last_note:
            last.append(repr(self.last_note[:60]))
        if self.last_time is not None:
            local = self.last_time.astimezone(site.tz) if site is not None else self.last_time
            last.append(local.date().isoformat())
        if last:
            text += f" (last: {', '.join(last)})"
        if floored:
            text += f"; held at x{TIER1_MIN_FACTOR:g}: a {category} signal is never muted more"
        return f"x{factor:.2f}: {text}"


Adjustments = Mapping[str, Adjustment]


def is_tier1(pattern: str, categories: set[str]) -> bool:
    """Whether an incident named ``pattern`` with live signals of ``categories`` is tier 1."""
    needed = TIER1_PATTERNS.get(pattern)
    return needed is not None and bool(needed & categories)
