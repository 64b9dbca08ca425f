"""A small driver for the twin's tests: badges decided by the real decision point (with the
learned behaviour risk), every event through the real rules, in exact time order."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache

from artguard.access.anomaly import BehaviourRisk
from artguard.access.pdp import DecisionPoint
from artguard.access.rules_presence import due_reverifications
from artguard.access.service import decision_event
from artguard.events import AccessDecision, Alert, DoorState, EventBase
from artguard.rules.engine import RuleEngine, default_rules
from artguard.site import Site, load_site
from artguard.triage.assess import Assessment, assess
from artguard.triage.signals import AlertFacts
from artguard.twin.staff import decide, past_grants
from artguard.twin.truth import GroundTruth
from artguard.twin.world import BadgeRequest, World

SITE = load_site("src/artguard/demo/site.yaml")
TICK = timedelta(seconds=20)


@cache
def history(site_id: str, end: datetime, days: int, seed: int) -> list[tuple[str, str, datetime]]:
    assert site_id == SITE.id
    return list(past_grants(SITE, end, days, seed))


class _Collect:
    def __init__(self, alerts: list[Alert]) -> None:
        self.alerts = alerts

    async def publish(self, event: EventBase) -> None:
        if isinstance(event, Alert):
            self.alerts.append(event)


@dataclass
class Pipeline:
    """Access control and the rules of one site, fed by a world."""

    site: Site = SITE
    alerts: list[Alert] = field(default_factory=list)
    decisions: list[AccessDecision] = field(default_factory=list)
    events: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.behaviour = BehaviourRisk(self.site)
        self.pdp = DecisionPoint(self.site, risk_sources=[self.behaviour])
        self.engine = RuleEngine(_Collect(self.alerts), default_rules(self.site))  # type: ignore[arg-type]
        self._reverify: set[tuple[str, str]] = set()

    def learn(self, end: datetime, days: int = 21, seed: int = 0) -> int:
        return self.behaviour.baseline.learn(history(self.site.id, end, days, seed))

    def run(self, world: World, until: datetime) -> None:
        asyncio.run(self._run(world, until))

    async def _run(self, world: World, until: datetime) -> None:
        next_tick = world.now + TICK
        while True:
            nxt = world.next_time()
            if nxt is None or nxt > until:
                break
            while next_tick <= nxt:
                await self._tick(next_tick)
                next_tick += TICK
            for item in world.due(nxt):
                if isinstance(item, BadgeRequest):
                    event = decision_event(self.site, decide(self.pdp, item))
                    self.decisions.append(event)
                    self.events["badge"] = self.events.get("badge", 0) + 1
                    await self.engine.handle(event)
                    world.answer(item.attempt.id, event)
                    continue
                if isinstance(item, DoorState):
                    self.pdp.state.door_changed(item.door_id, item.contact == "open")
                key = item.kind if item.kind != "sensor_reading" else _sensor_kind(item.device_id)
                self.events[key] = self.events.get(key, 0) + 1
                await self.engine.handle(item)
        await self._tick(until)

    async def _tick(self, at: datetime) -> None:
        await self.engine.tick(at)
        due = due_reverifications(self.site, self.pdp.policy, self.pdp.state, at)
        for person, room, since in due:
            if (person, room) not in self._reverify:
                self._reverify.add((person, room))
                self.alerts.append(
                    Alert(
                        device_id="access", site_time=at, rule="access_reverify",
                        title=f"{person} due for re-verification", dedup_key=f"r:{person}",
                        room_id=room, first_event_time=since,
                    )
                )  # fmt: skip

    # -- reading the results ---------------------------------------------------------------

    def outcomes(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for d in self.decisions:
            out[d.outcome] = out.get(d.outcome, 0) + 1
        return out

    def rules_fired(self, since: datetime | None = None) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.alerts:
            if since is None or a.first_event_time >= since:
                out[a.rule] = out.get(a.rule, 0) + 1
        return out

    def caught(self, truth: GroundTruth) -> list[Alert]:
        """Alerts in the truth's rooms (or about its door) within its window."""
        end = truth.start + truth.window
        return [
            a
            for a in self.alerts
            if truth.start <= a.site_time <= end
            and (
                a.room_id in truth.rooms or (truth.door and a.evidence.get("door_id") == truth.door)
            )
        ]

    def assessment(self, alerts: list[Alert]) -> Assessment:
        """How triage assesses an incident made of ``alerts``."""
        return assess([AlertFacts.from_alert(a) for a in alerts], self.site)

    def pattern(self, alerts: list[Alert]) -> str:
        """The pattern triage names for an incident made of ``alerts``."""
        return self.assessment(alerts).pattern


def _sensor_kind(device_id: str) -> str:
    return f"sensor:{SITE.sensor(device_id).type}"
