"""Runs the rules over the event stream and publishes their alerts on the bus."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from artguard.bus import Bus
from artguard.events import Alert, EventBase, utcnow
from artguard.rules.access import AccessDecisionRule
from artguard.rules.base import Rule
from artguard.rules.doors import DoorForcedRule, DoorHeldOpenRule
from artguard.rules.sensors import GlassBreakRule, SensorTamperRule, SensorThresholdRule
from artguard.rules.tailgating import TailgatingRule
from artguard.rules.watch import CasingRule
from artguard.sensors import sensor_rules
from artguard.site import Site
from artguard.tasks import cancel
from artguard.vision.rules import OccupancyCounter, StaffOnSite, vision_rules

log = logging.getLogger(__name__)


def default_rules(
    site: Site, occupancy: OccupancyCounter | None = None, staff: StaffOnSite | None = None
) -> list[Rule]:
    """The rules that run on every site; ``occupancy`` receives the line crossings, ``staff``
    the access decisions that explain after-hours sightings (see :func:`vision_rules`)."""
    occupancy = occupancy or OccupancyCounter(site)
    return [
        DoorForcedRule(site),
        DoorHeldOpenRule(site),
        SensorThresholdRule(site),
        GlassBreakRule(site),
        SensorTamperRule(site),
        *sensor_rules(site),
        AccessDecisionRule(site),
        *vision_rules(site, occupancy, staff),
        TailgatingRule(site, occupancy),
        CasingRule(site),
    ]


@dataclass
class RuleStats:
    events: int = 0
    alerts: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class RuleEngine:
    """Feeds each event to the rules that want its kind; publishes what they raise.

    Time for the rules is the events' own site time, so a replay of last night's log gives the
    same alerts as live. In live operation :meth:`run_clock` also ticks the rules with the wall
    clock, so a door left open raises its alert even when no further event arrives.
    """

    def __init__(self, bus: Bus, rules: Iterable[Rule]) -> None:
        self._bus = bus
        self._rules = list(rules)
        self._by_kind: dict[str, list[Rule]] = {}
        for rule in self._rules:
            for kind in rule.kinds:
                self._by_kind.setdefault(kind, []).append(rule)
        self.stats = RuleStats()
        self.watermark: datetime | None = None
        """Newest site time seen: the rules' clock in a replay."""
        self.analysed_until: datetime | None = None
        """Newest *received* time of an analysed event: the recovery checkpoint."""
        self._clock_task: asyncio.Task[None] | None = None

    @property
    def kinds(self) -> frozenset[str]:
        return frozenset().union(*(rule.kinds for rule in self._rules))

    def attach(self) -> None:
        self._bus.subscribe("rules", self.handle, kinds=self.kinds)

    async def handle(self, event: EventBase) -> None:
        self.stats.events += 1
        if self.watermark is None or event.site_time > self.watermark:
            self.watermark = event.site_time
        received = event.received_time
        if received is not None and (self.analysed_until is None or received > self.analysed_until):
            self.analysed_until = received
        for rule in self._by_kind.get(event.kind, ()):
            try:
                alerts = rule.on_event(event)
            except Exception:  # one rule failing on one event must not stop the others
                self._failed(rule, event.id)
                continue
            if alerts:
                await self._publish(alerts)

    async def tick(self, now: datetime | None = None) -> None:
        """Let time-based rules fire as of ``now`` (default: the wall clock)."""
        at = now or utcnow()
        for rule in self._rules:
            try:
                alerts = rule.on_tick(at)
            except Exception:
                self._failed(rule, "tick")
                continue
            await self._publish(alerts)

    def run_clock(self, interval_s: float = 1.0) -> None:
        """Start ticking with the wall clock (live mode)."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(interval_s)
                await self.tick()

        self._clock_task = asyncio.create_task(loop(), name="rule-clock")

    async def stop(self) -> None:
        await cancel(self._clock_task)
        self._clock_task = None

    def _failed(self, rule: Rule, what: str) -> None:
        self.stats.errors[rule.name] = self.stats.errors.get(rule.name, 0) + 1
        log.exception("rule %s failed on %s", rule.name, what)

    async def _publish(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            self.stats.alerts += 1
            stable = alert.model_copy(update={"id": alert_id(alert)})
            await self._bus.publish(stable.received())


def alert_id(alert: Alert) -> str:
    """The same evidence always gives the same alert id.

    After a crash the rules re-analyse the recent event log; an alert raised before the crash
    comes out with the same id and triage recognises it, so recovery never doubles an alert.
    """
    key = "|".join(
        [alert.rule, alert.dedup_key, alert.site_time.isoformat(), *alert.source_event_ids]
    )
    return "al-" + hashlib.sha256(key.encode()).hexdigest()[:32]
