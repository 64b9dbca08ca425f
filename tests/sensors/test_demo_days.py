"""Two ordinary days of the demo museum (day/night cycle, visitors, stray PIR blips): the
learned-baseline, conservation and health rules stay quiet once they have learned a day."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from artguard.demo.simulator import DemoSimulator
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

DEMO_SITE = Path(__file__).resolve().parents[2] / "src" / "artguard" / "demo" / "site.yaml"


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
    start = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
    no_incidents = timedelta(days=365)
    simulator = DemoSimulator(site, start, seed=11, incident_every=no_incidents)
    alerts: Counter[str] = Counter()
    readings = 0
    at = start
    while at < start + timedelta(days=2):
        at += timedelta(minutes=10)
        for event in simulator.events_until(at):
            if isinstance(event, SensorReading):
                readings += 1
                for rule in rules:
                    alerts.update(a.rule for a in rule.on_event(event))
        for rule in rules:
            alerts.update(a.rule for a in rule.on_tick(at))
    assert readings > 400_000
    assert alerts == Counter()
