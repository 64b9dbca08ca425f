"""Sensor scenarios through the real rules: tampering caught by the sensor-health rules and
named sabotage; a slow humidity drift caught by the limits and named environmental risk."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from artguard.twin import sensors, staff
from artguard.twin.scenarios import SCENARIOS
from artguard.twin.scenarios.on_sensors import TAMPER_KINDS
from artguard.twin.truth import GroundTruth
from artguard.twin.world import World
from tests.twin.pipeline import SITE, Pipeline

TUESDAY = datetime(2026, 6, 2, tzinfo=SITE.tz)
LEAD = timedelta(hours=2)


def truth_of(name: str, at: datetime) -> GroundTruth:
    """What injecting ``name`` at ``at`` records (a scratch world: the choice depends on the
    world's seed and the time only)."""
    world = World(SITE, at - LEAD, seed=0)
    SCENARIOS[name].inject(world, at)
    (truth,) = world.truth
    return truth


def time_for_kind(kind: str) -> datetime:
    """An afternoon minute at which sensor_tampering picks ``kind``."""
    for minute in range(0, 600, 7):
        at = TUESDAY + timedelta(hours=12, minutes=minute)
        if truth_of("sensor_tampering", at).details["kind"] == kind:
            return at
    raise AssertionError(f"no time found for {kind}")


def run(name: str, at: datetime, hours: float) -> tuple[Pipeline, GroundTruth]:
    start = at - LEAD
    pipeline = Pipeline()
    pipeline.learn(TUESDAY, 28)
    world = World(SITE, start, seed=0)
    end = at + timedelta(hours=hours)
    sensors.install(world, start, end, nuisances=False)
    staff.install(world, start, end, nuisances=False)
    SCENARIOS[name].inject(world, at)
    pipeline.run(world, end)
    (truth,) = [t for t in world.truth if t.scenario == name]
    return pipeline, truth


@pytest.mark.parametrize("kind", TAMPER_KINDS)
def test_sensor_tampering_is_caught_by_sensor_health_and_named_sabotage(kind: str) -> None:
    at = time_for_kind(kind)
    pipeline, truth = run("sensor_tampering", at, hours=2.5 if kind == "stuck" else 1)
    caught = pipeline.caught(truth)
    expected = {"tamper": "sensor_tamper", "silent": "sensor_silent", "stuck": "sensor_stuck"}[kind]
    assert expected in {a.rule for a in caught}, [a.title for a in pipeline.alerts]
    first = min(a.site_time for a in caught if a.rule == expected)
    assert first - truth.start <= truth.window
    if kind == "tamper":
        assert first == truth.start  # the tamper contact reports as it opens
    assert all(a.device_id == truth.details["sensor"] for a in caught)
    assert pipeline.pattern(caught) == "sensor_or_camera_sabotage"
    assert [a for a in pipeline.alerts if a not in caught] == []


def test_a_slow_humidity_drift_leaves_the_range_and_is_named_environmental_risk() -> None:
    at = TUESDAY + timedelta(hours=9)
    truth = truth_of("humidity_drift", at)
    pipeline, truth = run("humidity_drift", at, hours=truth.window.total_seconds() / 3600)
    sensor = SITE.sensor(truth.details["sensor"])
    caught = pipeline.caught(truth)
    thresholds = [a for a in caught if a.rule == "sensor_threshold"]
    assert thresholds and thresholds[0].device_id == sensor.id
    hours = (thresholds[0].site_time - truth.start).total_seconds() / 3600
    assert 1.5 <= hours <= truth.window.total_seconds() / 3600  # slow: hours, not a jump
    assert pipeline.pattern(caught) == "environmental_risk"
    assert {a.rule for a in pipeline.alerts} <= {
        "sensor_threshold",
        "climate_drift",
        "conservation",
    }
