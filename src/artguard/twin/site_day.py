"""A site's simulated days: one :class:`World` with every behaviour installed and the chosen
attack scenarios injected, ready for a driver (the drill runner) to pop events from.

Behaviours live in their own modules, each exposing ``install(world, start, end)``; this
module only puts them together. A behaviour module that is not there (yet) is skipped and
named in :attr:`SiteDay.missing`, so a drill says what it did not simulate.
"""

from __future__ import annotations

import importlib
import itertools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from artguard.site import Site
from artguard.triage.signals import site_closed
from artguard.twin.scenarios import SCENARIOS
from artguard.twin.world import Behaviour, World

BEHAVIOUR_MODULES: tuple[str, ...] = (
    "artguard.twin.sensors",
    "artguard.twin.doors",
    "artguard.twin.cameras",
    "artguard.twin.staff",
    "artguard.twin.visitors",
)
"""Where the behaviours live. Listeners (doors, PIRs, cameras react to people moving) are
installed before the movers, though any order works: reactions happen when steps run."""

DEFAULT_START_DAY = date(2026, 6, 2)
"""A Tuesday without a UK bank holiday: a drill is deterministic for its seed only if its
dates are, so the default start does not follow the calendar."""

WHEN = ("open", "closed", "any")
SPACING = timedelta(minutes=30)
"""Attacks start at least this far apart (longer than triage's 5-minute correlation window
and most detection windows), so one attack's alerts are not merged with another's."""
TAIL = timedelta(minutes=20)
"""How long an attack lasts, for a scenario whose dry run does not say (see :func:`span`)."""
DRY_RUNS = 30
"""Fitting times tried per injection (each a dry run of the scenario) before giving up."""
FITS_FOR = timedelta(minutes=10)
"""An ``open``/``closed`` scenario must fit from its start to this much later (no theft
attempt two minutes before closing that runs into the night)."""


class SiteDayError(ValueError):
    """A drill that cannot be set up as asked (names the value that is wrong)."""


@dataclass(frozen=True)
class Injection:
    """One scenario to inject at a time (the scenario may move itself later, e.g. to
    closing time, and records the time it moved to in its truth)."""

    scenario: str
    at: datetime


@dataclass
class SiteDay:
    """A world ready to run, and what went into it."""

    world: World
    start: datetime
    end: datetime
    injections: list[Injection]
    behaviours: list[str]
    """Behaviour modules installed."""
    missing: list[str] = field(default_factory=list)
    """Behaviour modules not found (not simulated)."""
    not_placed: list[str] = field(default_factory=list)
    """Scenarios asked for that had no fitting time in the drill (e.g. ``open`` on a drill
    of one closed night), with why."""


def default_start(site: Site, day: date = DEFAULT_START_DAY) -> datetime:
    """Midnight of ``day`` in the site's time zone."""
    return datetime.combine(day, time(0, 0), tzinfo=site.tz)


def load_behaviours(
    modules: Sequence[str] = BEHAVIOUR_MODULES,
) -> tuple[dict[str, Behaviour], list[str]]:
    """The ``install`` function of each behaviour module there is, and the missing ones."""
    found: dict[str, Behaviour] = {}
    missing: list[str] = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module is there but broken: say so, loudly
                raise
            missing.append(name)
            continue
        install = getattr(module, "install", None)
        if install is None:
            missing.append(name)
            continue
        found[name] = install
    return found, missing


def fits(site: Site, at: datetime, when: str) -> bool:
    """Whether ``at`` (and :data:`FITS_FOR` after it) suits a scenario placed ``when``."""
    if when == "any":
        return True
    wanted_closed = when == "closed"
    return all(
        bool(site_closed(site, t)) == wanted_closed for t in (at, at + FITS_FOR / 2, at + FITS_FOR)
    )


def check_names(names: Sequence[str]) -> None:
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        known = ", ".join(sorted(SCENARIOS)) or "(none registered)"
        raise SiteDayError(f"unknown scenario(s) {', '.join(unknown)}; known: {known}")


def span(scratch: World, name: str, at: datetime) -> tuple[datetime, datetime]:
    """When scenario ``name`` injected at ``at`` happens: its first truth's start and its last
    truth's window end, from a dry run on ``scratch``, a world without behaviours of the same
    site and seed (scenarios may move themselves, e.g. to closing time). A scenario that needs
    the behaviours to say when (or records its truth later) counts as ``at`` to ``at + TAIL``.
    """
    before = len(scratch.truth)
    try:
        SCENARIOS[name].inject(scratch, at)
    except Exception:  # an estimate only: the real injection, with behaviours, raises
        del scratch.truth[before:]
    found = scratch.truth[before:]
    if not found:
        return at, at + TAIL
    return min(t.start for t in found), max(t.start + t.window for t in found)


def plan(
    site: Site,
    start: datetime,
    end: datetime,
    names: Sequence[str],
    *,
    repeat: int = 1,
    seed: int = 0,
    cuts: Sequence[datetime] = (),
) -> tuple[list[Injection], list[str]]:
    """Times for ``repeat`` injections of each scenario in ``names``, spread over the drill.

    Each scenario's repeats fall in equal slices of the drill (one per slice), at a random
    minute of the slice that fits the scenario's ``when``, whose attack (see :func:`span`)
    starts in the same slice, :data:`SPACING` away from every other, and is over (its
    detection window closed) before the drill ends. Scenarios that move themselves (to a
    fixed time such as closing, so with fewer choices) are placed first. Returns the
    injections in time order, and the scenarios that found no such time (with why).

    ``cuts`` are times no attack may straddle (a drill run as separate parts, one per
    process, starts each part afresh at its cut)."""
    check_names(names)
    if repeat < 1:
        raise SiteDayError(f"repeat must be at least 1 (got {repeat})")
    rng = random.Random(f"{seed}:plan")
    minutes = int((end - start).total_seconds() // 60)
    starts: list[datetime] = []  # of the attacks placed (after any move)
    scratch = World(site, start, seed=seed)
    out: list[Injection] = []
    failed: list[str] = []
    for name in names:
        when = SCENARIOS[name].when
        if when not in WHEN:
            raise SiteDayError(f"scenario {name!r} has when={when!r}; expected one of {WHEN}")
    moving = {name: _moves(scratch, name, start, end) for name in names}
    for name in sorted(names, key=lambda n: not moving[n]):
        when = SCENARIOS[name].when
        for k in range(repeat):
            lo, hi = minutes * k // repeat, minutes * (k + 1) // repeat
            slots = [start + timedelta(minutes=m) for m in range(lo, max(hi, lo + 1))]
            slots_from, slots_to = start + timedelta(minutes=lo), start + timedelta(minutes=hi)
            rng.shuffle(slots)
            placed = None
            candidates = (t for t in slots if fits(site, t, when))
            for at in itertools.islice(candidates, DRY_RUNS):
                first, last = span(scratch, name, at)
                if not slots_from <= first < slots_to or last > end:
                    continue  # moved out of its slice (e.g. to the next day's closing)
                if any(min(at, first) < cut <= last for cut in cuts):
                    continue  # would straddle two parts of a drill run in pieces
                if all(abs(first - other) >= SPACING for other in starts):
                    placed = at, first
                    break
            if placed is None:
                failed.append(
                    f"{name} (#{k + 1}): no {when} time from {slots_from:%a %H:%M} to "
                    f"{slots_to:%a %H:%M} whose attack is {SPACING} from the others and over "
                    "before the drill ends"
                )
                continue
            starts.append(placed[1])
            out.append(Injection(name, placed[0]))
    out.sort(key=lambda i: (i.at, i.scenario))
    return out, failed


def _moves(scratch: World, name: str, start: datetime, end: datetime) -> bool:
    """Whether the scenario moved itself in a dry run at its first fitting half hour."""
    when = SCENARIOS[name].when
    at = start
    while at < end and not fits(scratch.site, at, when):
        at += timedelta(minutes=30)
    return at < end and span(scratch, name, at)[0] != at


def build(
    site: Site,
    start: datetime,
    days: float,
    seed: int,
    injections: Sequence[Injection] = (),
    *,
    behaviours: dict[str, Behaviour] | None = None,
) -> SiteDay:
    """A world of ``days`` simulated days from ``start`` with every behaviour installed and
    ``injections`` injected."""
    if not days > 0:
        raise SiteDayError(f"days must be more than 0 (got {days})")
    if start.tzinfo is None:
        raise SiteDayError(f"start must have a time zone (got {start.isoformat()})")
    end = start + timedelta(days=days)
    check_names([i.scenario for i in injections])
    missing: list[str] = []
    if behaviours is None:
        behaviours, missing = load_behaviours()
    world = World(site, start, seed=seed)
    for install in behaviours.values():
        install(world, start, end)
    for injection in injections:
        if not start <= injection.at < end:
            raise SiteDayError(
                f"scenario {injection.scenario} at {injection.at.isoformat()} is outside the "
                f"drill ({start.isoformat()} .. {end.isoformat()})"
            )
        SCENARIOS[injection.scenario].inject(world, injection.at)
    return SiteDay(world, start, end, list(injections), list(behaviours), missing)


def site_day(
    site: Site,
    *,
    days: float,
    seed: int,
    scenarios: Sequence[str] = (),
    repeat: int = 1,
    start: datetime | None = None,
) -> SiteDay:
    """Plan and build in one call: ``scenarios`` each ``repeat`` times at random fitting
    times (deterministic for ``seed``)."""
    if not days > 0:
        raise SiteDayError(f"days must be more than 0 (got {days})")
    start = start or default_start(site)
    end = start + timedelta(days=days)
    injections, failed = plan(site, start, end, scenarios, repeat=repeat, seed=seed)
    built = build(site, start, days, seed, injections)
    built.not_placed = failed
    return built
