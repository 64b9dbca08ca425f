"""Two ordinary days of the demo museum's digital twin (climate day/night cycles and HVAC
swings, visitors in the public rooms in opening hours, staff shifts and guard patrols that
move the PIRs day and night): the learned-baseline, conservation and health rules stay quiet
once they have learned an hour."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

from artguard.access.pdp import DecisionPoint
from artguard.access.service import decision_event
from artguard.events import SensorReading
from artguard.rules.base import Rule
from artguard.sensors import (
    ClimateDriftRule,
    ConservationRule,
    ImpossibleValueRule,
    MotionWhenStillRule,
    SilentSensorRule,
    StuckValueRule,
    VibrationUnusualRule,
)
from artguard.site import load_site
from artguard.twin import sensors, staff, visitors
from artguard.twin.world import BadgeRequest, World

DEMO_SITE = Path(__file__).resolve().parents[2] / "src" / "artguard" / "demo" / "site.yaml"
TICK = timedelta(minutes=10)


def test_ordinary_days_raise_nothing() -> None:
    site = load_site(DEMO_SITE)
    rules: list[Rule] = [
        MotionWhenStillRule(site, min_hours=1),
        ClimateDriftRule(site, min_hours=1),
        VibrationUnusualRule(site),
        ConservationRule(site),
        ImpossibleValueRule(site),
        StuckValueRule(site),
        SilentSensorRule(site),
    ]
    start = datetime(2026, 11, 2, tzinfo=site.tz)  # a Monday
    end = start + timedelta(days=2)
    world = World(site, start, seed=11)
    sensors.install(world, start, end)  # HVAC swings included: a nuisance, not an alarm
    staff.install(world, start, end, nuisances=False)
    visitors.install(world, start, end)
    pdp = DecisionPoint(site)  # staff badges decided by the site's policy: doors open on grants
    alerts: Counter[str] = Counter()
    readings: Counter[str] = Counter()
    motion: Counter[bool] = Counter()  # PIR readings that saw someone, by "open to the public"
    next_tick = start + TICK
    while (due := world.next_time()) is not None and due < end:
        while next_tick <= due:
            for rule in rules:
                alerts.update(a.rule for a in rule.on_tick(next_tick))
            next_tick += TICK
        for item in world.due(due):  # in exact time order, as devices would report
            if isinstance(item, BadgeRequest):
                decision = staff.decide(pdp, item)
                world.answer(item.attempt.id, decision_event(site, decision))
            elif isinstance(item, SensorReading):
                sensor = site.sensor(item.device_id)
                readings[sensor.type] += 1
                if sensor.type == "motion" and item.value > 0:
                    motion[site.is_open_to_public(sensor.room, item.site_time)] += 1
                for rule in rules:
                    alerts.update(a.rule for a in rule.on_event(item))
    assert sum(readings.values()) > 70_000
    assert {"temperature", "humidity", "motion", "vibration"} <= set(readings)
    assert motion[True] > 1000 and motion[False] > 100  # visitors by day, patrols by night
    assert any(t.scenario == "hvac_swing" for t in world.truth)
    assert alerts == Counter()
