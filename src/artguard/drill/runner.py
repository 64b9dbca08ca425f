"""Runs a drill: the twin's simulated days through the real pipeline, faster than real time.

Same code path as live: a :class:`~artguard.runtime.Runtime` on a fresh database takes the
twin's device events through ingestion (``trusted``, as the demo does), badge requests through
access control's ``decide``, and the rules, triage, escalation and playbooks react on the bus
as they do on a site. Only the clock differs: the runner moves simulated time on in steps and
ticks the time-based parts (rules every step, access re-verification every 30 s, the visitor
watch every 5 s) with it, waiting for the bus to settle before each tick, so a drill of days
takes minutes and gives the same result for the same seed.

Two things differ from the site on purpose:

* **No real actuators.** The drill's copy of the site has no notification channels and no
  door routes: playbooks run and record their steps (``no_route``, no channel), but a drill
  never locks a real door or pages a real guard, and never waits on a lock's timeout.
* **No operators** (unless ``DrillSpec.operator_after`` asks for one). Nobody acknowledges
  or closes incidents, so no feedback verdicts change the scoring mid-drill, and escalation's
  acknowledge deadlines (wall-clock) are not run: the tier scored is the one the incident's
  score and pattern call for. Repeats of a cause stay in its open incident; the runner hears
  every alert on the bus so scoring still sees each repeat's time.
"""

from __future__ import annotations

import asyncio
import importlib
import logging
import multiprocessing
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from artguard.access.request import AccessRequest, Finding
from artguard.access.service import decision_event
from artguard.config import Settings
from artguard.drill.result import DrillResult
from artguard.drill.score import (
    Raised,
    Watched,
    active_incidents,
    explains,
    load_incidents,
    score,
    to_result,
)
from artguard.events import Alert, EventBase, WatchFlag
from artguard.ingest.service import MAX_BATCH
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.site.playbooks import DoorControl, Notifications
from artguard.triage.incidents import TransitionError
from artguard.twin.site_day import (
    Injection,
    SiteDay,
    SiteDayError,
    build,
    default_start,
    load_behaviours,
    plan,
)
from artguard.twin.world import BadgeRequest

log = logging.getLogger(__name__)

ACCESS_TICK = timedelta(seconds=30)
"""As :meth:`Runtime._tick_access` in live operation."""
VISITOR_TICK = timedelta(seconds=5)
"""As the visitor analyser's clock (``artguard.visitors.analyser.TICK_EVERY``)."""
OPERATOR_EVERY = timedelta(minutes=1)
"""How often the simulated operator (``DrillSpec.operator_after``) looks at the queue."""
OPERATOR = "drill-operator"
BASELINE_DAYS = 28
STAFF_MODULE = "artguard.twin.staff"

Progress = Callable[[datetime, int], None]
"""Called now and then with the simulated time reached and the events fed so far."""


@dataclass(frozen=True)
class DrillSpec:
    """What to run."""

    site: Site
    days: float
    seed: int = 0
    scenarios: Sequence[str] = ()
    repeat: int = 1
    start: datetime | None = None
    step_s: float = 1.0
    """Simulated seconds per step: events due in a step go through ingestion as one batch
    and the rules are ticked once per step."""
    behaviours: tuple[str, ...] | None = None
    """Behaviour modules to install (default: all of ``BEHAVIOUR_MODULES``); ``()`` runs the
    scenarios alone, on an empty site."""
    operator_after: timedelta | None = None
    """With a value, a simulated operator closes each incident this long (simulated) after
    its first evidence, with the verdict the ground truth gives (resolved when an attack
    explains it, else a false alarm): operator feedback then shapes later scores as it does
    on a site, and an attack's incident does not stay open to absorb the next attack.
    None (default): nobody closes anything."""


def drill_site(site: Site) -> Site:
    """The site as a drill runs it: the same rooms, devices, rules and playbooks, but no
    notification channels and no door routes (see the module docstring)."""
    return site.model_copy(update={"notifications": Notifications(), "door_control": DoorControl()})


def drill_settings(data_dir: Path) -> Settings:
    """A fresh, throwaway SQLite store; no cameras, brokers, speakers or integrations (an
    empty environment: settings built in code never read the process's)."""
    return Settings(
        data_dir=data_dir,
        sqlite_synchronous="OFF",  # a throwaway database: no need to survive power loss
        inline_writes=True,  # nothing waits on the loop but the driver itself
        environ={"ARTGUARD_CAMERAS": "off"},
    )


async def run_drill(
    spec: DrillSpec,
    *,
    data_dir: Path | None = None,
    progress: Progress | None = None,
    workers: int = 1,
) -> DrillResult:
    """Run ``spec`` and score it.

    ``workers`` > 1 runs a drill of several days as one-day parts in that many processes at
    once (each part a fresh runtime from midnight, its injections planned with the others so
    that no attack straddles two parts) and merges the results: the same figures in a
    fraction of the time on a machine with several cores. ``data_dir`` keeps the database of
    a single-process drill (default: a temporary directory, removed afterwards)."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1 (got {workers})")
    if not spec.days > 0:
        raise SiteDayError(f"days must be more than 0 (got {spec.days})")
    began = time.perf_counter()
    start = spec.start or default_start(spec.site)
    end = start + timedelta(days=spec.days)
    parts = split_days(start, spec.days) if workers > 1 else [(start, spec.days)]
    injections, not_placed = plan(
        spec.site,
        start,
        end,
        spec.scenarios,
        repeat=spec.repeat,
        seed=spec.seed,
        cuts=[s for s, _ in parts[1:]],
    )
    jobs = [
        Part(
            spec.site,
            part_start,
            days,
            part_seed(spec.seed, i),
            [j for j in injections if part_start <= j.at < part_start + timedelta(days=days)],
            spec.step_s,
            spec.behaviours,
            spec.operator_after,
        )
        for i, (part_start, days) in enumerate(parts)
    ]
    if len(jobs) == 1:
        results = [await jobs[0].run(data_dir, progress)]
    else:
        loop = asyncio.get_running_loop()
        context = multiprocessing.get_context("spawn")  # no forked asyncio state or threads
        with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), mp_context=context) as pool:
            results = await asyncio.gather(
                *(loop.run_in_executor(pool, run_part, job) for job in jobs)
            )
    result = merge(results, spec)
    result.wall_seconds = time.perf_counter() - began
    result.extra["not_placed"] = not_placed
    result.extra["parts"] = len(jobs)
    result.extra["workers"] = min(workers, len(jobs))
    result.extra["speedup"] = (end - start).total_seconds() / max(result.wall_seconds, 1e-9)
    return result


def split_days(start: datetime, days: float) -> list[tuple[datetime, float]]:
    """``days`` from ``start`` as whole-day parts (and the fraction left over)."""
    parts: list[tuple[datetime, float]] = []
    done = 0.0
    while days - done > 1e-9:
        length = min(1.0, days - done)
        parts.append((start + timedelta(days=done), length))
        done += length
    return parts


def part_seed(seed: int, index: int) -> int:
    """Each part its own random day; the first part is the single-process drill's."""
    return seed if index == 0 else seed * 7919 + index


@dataclass(frozen=True)
class Part:
    """One process's share of a drill: simulated days from ``start``, its injections."""

    site: Site
    start: datetime
    days: float
    seed: int
    injections: list[Injection]
    step_s: float
    behaviours: tuple[str, ...] | None = None
    operator_after: timedelta | None = None

    async def run(self, data_dir: Path | None, progress: Progress | None = None) -> DrillResult:
        began = time.perf_counter()
        chosen = None if self.behaviours is None else load_behaviours(self.behaviours)[0]
        day = build(self.site, self.start, self.days, self.seed, self.injections, behaviours=chosen)
        if data_dir is not None:
            data_dir.mkdir(parents=True, exist_ok=True)
            return await _run(self, day, data_dir, began, progress)
        with tempfile.TemporaryDirectory(prefix="artguard-drill-") as tmp:
            return await _run(self, day, Path(tmp), began, progress)


def run_part(part: Part) -> DrillResult:
    """A part in a worker process (its own event loop and runtime)."""
    with quiet_pipeline():
        return asyncio.run(part.run(None))


@contextmanager
def quiet_pipeline() -> Iterator[None]:
    """Only errors from the pipeline while the drill runs: in a drill its warnings are the
    attacks working (playbooks running, no channel to notify, speakers not configured). The
    level is put back afterwards, so a drill run in a longer-lived process hides nothing else."""
    logger = logging.getLogger("artguard")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(before)


def merge(results: Sequence[DrillResult], spec: DrillSpec) -> DrillResult:
    """One result for the whole drill from its parts' (in time order)."""
    first = results[0]
    if len(results) == 1:
        first.days = spec.days
        first.extra.update(scenarios_asked=list(spec.scenarios), repeat=spec.repeat)
        return first
    extra: dict[str, Any] = {
        "scenarios_asked": list(spec.scenarios),
        "repeat": spec.repeat,
        "behaviours": first.extra.get("behaviours", []),
        "behaviours_missing": first.extra.get("behaviours_missing", []),
        "false_causes": {},
    }
    for key in ("injections", "no_truth", "rejected", "nuisances"):
        extra[key] = [x for r in results for x in r.extra.get(key, [])]
    extra["no_truth"] = sorted(set(extra["no_truth"]))
    for key in ("baseline_grants", "badges", "alerts", "incidents", "watch_flags"):
        extra[key] = sum(r.extra.get(key, 0) for r in results)
    extra["operator_closed"] = {}
    for r in results:
        extra["false_causes"].update(r.extra.get("false_causes", {}))
        for action, n in r.extra.get("operator_closed", {}).items():
            extra["operator_closed"][action] = extra["operator_closed"].get(action, 0) + n
    return DrillResult(
        site_id=first.site_id,
        seed=spec.seed,
        days=spec.days,
        start=first.start,
        end=results[-1].end,
        scenarios=sorted((o for r in results for o in r.scenarios), key=lambda o: o.start),
        false_incidents=[f for r in results for f in r.false_incidents],
        events=sum(r.events for r in results),
        wall_seconds=0.0,
        extra=extra,
    )


async def _run(
    part: Part, day: SiteDay, data_dir: Path, began: float, progress: Progress | None
) -> DrillResult:
    runtime = Runtime(drill_settings(data_dir), drill_site(part.site), live_clock=False)
    raised: list[Raised] = []
    flags: list[Watched] = []

    async def hear(event: EventBase) -> None:
        if isinstance(event, Alert):
            raised.append(Raised(event.id, event.dedup_key, event.site_time))
        elif isinstance(event, WatchFlag) and event.status != "cleared":
            flags.append(Watched(event.site_time, event.room_id, tuple(event.reason_kinds)))

    runtime.bus.subscribe("drill", hear, kinds={"alert", "watch"})
    await runtime.start()
    try:
        baseline = 0
        if STAFF_MODULE in day.behaviours:  # their habits, learned before the drill starts
            baseline = seed_access_baseline(runtime, day.start, part.seed)
        driver = Driver(runtime, day, part.step_s, part.operator_after)
        await driver.run(progress)
        await runtime.actions.drain()
        await runtime.bus.drain()
        found = load_incidents(runtime.engine, part.site, raised)
    finally:
        await runtime.stop()
    scored = score(day.world.truth, found, part.site, flags)
    wall = time.perf_counter() - began
    return to_result(
        scored,
        site_id=part.site.id,
        seed=part.seed,
        days=part.days,
        start=day.start,
        end=day.end,
        events=driver.fed,
        wall_seconds=wall,
        extra={
            "injections": [
                {"scenario": i.scenario, "at": i.at.isoformat()} for i in day.injections
            ],
            "no_truth": _without_truth(day),
            "behaviours": day.behaviours,
            "behaviours_missing": day.missing,
            "baseline_grants": baseline,
            "badges": driver.badges,
            "rejected": driver.rejected,
            "alerts": len(raised),
            "incidents": len(found),
            "watch_flags": len(flags),
            "operator_closed": driver.closed,
        },
    )


def seed_access_baseline(runtime: Runtime, start: datetime, seed: int) -> int:
    """Four weeks of the simulated staff's past badges, as a site running a month would have
    learned, so the access anomaly checks judge the twin's staff against their own habits.
    Uses the staff behaviour's history when it offers one (``past_grants``); else none."""
    try:
        staff = importlib.import_module(STAFF_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name != STAFF_MODULE:
            raise
        return 0
    history = getattr(staff, "past_grants", None)
    if history is None:
        return 0
    grants = history(runtime.site, start, BASELINE_DAYS, seed)
    return runtime.access.behaviour.baseline.learn(grants)


def _without_truth(day: SiteDay) -> list[str]:
    """Injected scenarios that recorded no ground truth (the site lacked what they need)."""
    truths: dict[str, int] = {}
    for truth in day.world.truth:
        truths[truth.scenario] = truths.get(truth.scenario, 0) + 1
    asked: dict[str, int] = {}
    for injection in day.injections:
        asked[injection.scenario] = asked.get(injection.scenario, 0) + 1
    return sorted(name for name in asked if truths.get(name, 0) == 0)


class Driver:
    """Moves the world and the runtime through simulated time together."""

    def __init__(
        self,
        runtime: Runtime,
        day: SiteDay,
        step_s: float,
        operator_after: timedelta | None = None,
    ) -> None:
        if not step_s > 0:
            raise ValueError(f"step_s must be more than 0 (got {step_s})")
        self.runtime = runtime
        self.day = day
        self.step = timedelta(seconds=step_s)
        self.operator_after = operator_after
        self.closed: dict[str, int] = {}
        self.fed = 0
        self.badges = 0
        self.rejected: list[str] = []

    async def run(self, progress: Progress | None = None) -> None:
        world, runtime = self.day.world, self.runtime
        t = self.day.start
        next_access = t + ACCESS_TICK
        next_visitors = t + VISITOR_TICK
        next_operator = t + OPERATOR_EVERY
        next_report = t
        while t < self.day.end:
            t = min(t + self.step, self.day.end)
            while items := world.due(t):  # answers to badges may schedule more due now
                await self.deliver(items)
            await runtime.bus.drain()
            await runtime.rules.tick(t)
            if t >= next_access:
                await runtime.access.tick(t)
                next_access += ACCESS_TICK
            if t >= next_visitors:
                await runtime.visitors.tick(t)
                next_visitors += VISITOR_TICK
            if self.operator_after is not None and t >= next_operator:
                await self.operate(t - self.operator_after)
                next_operator += OPERATOR_EVERY
            await runtime.bus.drain()
            if progress is not None and t >= next_report:
                progress(t, self.fed)
                next_report += timedelta(hours=1)

    async def operate(self, cutoff: datetime) -> None:
        """Close the active incidents whose first evidence is at or before ``cutoff`` with the
        verdict the truth recorded so far gives."""
        engine, site = self.runtime.engine, self.runtime.site
        due = await asyncio.to_thread(active_incidents, engine, site, cutoff)
        attacks = [t for t in self.day.world.truth if t.attack]
        for incident in due:
            if any(explains(t, incident, site) for t in attacks):
                action, note = "resolve", None
            else:
                action, note = "false_alarm", "drill: no injected attack explains it"
            try:
                await self.runtime.incidents.transition(incident.id, action, OPERATOR, note)
            except TransitionError:  # changed meanwhile: nothing to do
                continue
            self.closed[action] = self.closed.get(action, 0) + 1

    async def deliver(self, items: Sequence[EventBase | BadgeRequest]) -> None:
        """Device events go through ingestion in batches; a badge is decided in its place in
        the order, after the events before it."""
        pending: list[EventBase] = []
        for item in items:
            if isinstance(item, BadgeRequest):
                await self.submit(pending)
                pending = []
                await self.badge(item)
            else:
                pending.append(item)
        await self.submit(pending)

    async def submit(self, events: list[EventBase]) -> None:
        for i in range(0, len(events), MAX_BATCH):
            chunk = events[i : i + MAX_BATCH]
            items: list[Any] = [e.model_dump(mode="json", exclude={"received_time"}) for e in chunk]
            result = await self.runtime.ingest.submit(
                items, token=None, source="twin", trusted=True
            )
            for rejection in result.rejected:  # a twin bug, not a user error: say so loudly
                log.error("twin event rejected: %s", rejection)
                if len(self.rejected) < 20:
                    self.rejected.append(str(rejection))
            self.fed += len(result.accepted)

    async def badge(self, request: BadgeRequest) -> None:
        attempt = request.attempt
        access = AccessRequest.make(
            attempt.credential_id, attempt.device_id, attempt.site_time, attempt.factors, attempt.id
        )
        extra = []
        if request.face_failed is not None:  # as AccessService.decide_with_face on a failed face
            reason = f"face step-up failed: {request.face_failed}"
            extra.append(Finding("face.failed", "deny", reason, risk=0.3))
        decision = await self.runtime.access.decide(access, extra=extra)
        self.badges += 1
        self.fed += 1
        self.day.world.answer(attempt.id, decision_event(self.runtime.site, decision))
