"""Sensors of the twin: day/night baselines inside conservation limits, PIRs that follow
people, heartbeats the health rules accept, disturbances scenarios use, and no alerts from the
real rules (learned baselines included) on normal days."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest

from artguard.events import SensorReading
from artguard.sensors.learned_rules import VibrationUnusualRule
from artguard.twin import sensors, staff
from artguard.twin.sensors import Disturbance, disturb
from artguard.twin.world import World
from tests.twin.pipeline import SITE, Pipeline

TUESDAY = datetime(2026, 6, 2, tzinfo=SITE.tz)
SENSOR_RULES = {
    "sensor_threshold",
    "conservation",
    "climate_drift",
    "motion_unusual_time",
    "vibration_unusual",
    "sensor_stuck",
    "sensor_silent",
    "sensor_impossible_value",
    "glass_break",
    "sensor_tamper",
}


def readings(world: World, until: datetime) -> list[SensorReading]:
    return [e for e in world.due(until) if isinstance(e, SensorReading)]


def sensor_world(seed: int = 0, hours: float = 2, nuisances: bool = False) -> World:
    world = World(SITE, TUESDAY, seed=seed)
    sensors.install(world, TUESDAY, TUESDAY + timedelta(hours=hours), nuisances=nuisances)
    return world


def test_the_same_seed_gives_the_same_readings_and_another_seed_others() -> None:
    def trace(seed: int) -> list[tuple[datetime, str, float]]:
        world = sensor_world(seed)
        return [
            (r.site_time, r.device_id, r.value)
            for r in readings(world, world.start + timedelta(hours=2))
        ]

    first = trace(1)
    assert first == trace(1)
    assert first != trace(2)


def test_every_sensor_reports_on_its_cadence_and_never_repeats_a_continuous_value() -> None:
    world = sensor_world(hours=3)
    got = readings(world, TUESDAY + timedelta(hours=3))
    by_sensor: dict[str, list[SensorReading]] = {}
    for r in got:
        by_sensor.setdefault(r.device_id, []).append(r)
    assert set(by_sensor) == {s.id for s in SITE.sensors}
    for sensor in SITE.sensors:
        times = [r.site_time for r in by_sensor[sensor.id]]
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
        period = sensors.SensorField.period(sensor).total_seconds()
        assert max(gaps) <= period + 1, sensor.id  # a heartbeat at least every period
        if sensor.type in ("temperature", "humidity", "vibration"):
            values = [r.value for r in by_sensor[sensor.id]]
            longest = max(
                sum(1 for _ in group) for group in _runs(values)
            )  # the stuck-sensor rule's concern
            assert longest < 10, sensor.id


def _runs(values: list[float]) -> list[list[float]]:
    runs: list[list[float]] = []
    for v in values:
        if runs and runs[-1][-1] == v:
            runs[-1].append(v)
        else:
            runs.append([v])
    return runs


def test_a_pir_sees_someone_walk_in_at_once_and_reads_still_when_they_leave() -> None:
    world = sensor_world()
    before = [
        r.value for r in readings(world, TUESDAY + timedelta(minutes=5)) if r.device_id == "pir-g1"
    ]
    assert before and set(before) == {0.0}  # an empty room at night
    at = TUESDAY + timedelta(minutes=5)
    world.presence.enter("p-001", "gallery-1")
    world.signal("move", at, who="p-001", src="entrance-hall", dst="gallery-1", role="staff")
    now = [r for r in readings(world, at) if r.device_id == "pir-g1"]
    assert [(r.site_time, r.value) for r in now] == [(at, 1.0)]  # at once, not at the heartbeat
    world.presence.leave("p-001")
    later = [r.value for r in readings(world, at + timedelta(minutes=5)) if r.device_id == "pir-g1"]
    assert later[-3:] == [0.0, 0.0, 0.0]


def test_disturbances_silence_freeze_tamper_and_shift_a_sensor() -> None:
    world = sensor_world(hours=2)
    t = TUESDAY + timedelta(minutes=30)
    end = t + timedelta(minutes=20)
    disturb(world, Disturbance("pir-g2", t, "silent", end=end))
    disturb(world, Disturbance("temp-g1", t, "stuck", end=end))
    disturb(world, Disturbance("vib-rodin-kiss", t, "tamper", end=end))
    disturb(world, Disturbance("rh-g3", t, "offset", end=end, offset=lambda at: 30.0))
    got = readings(world, TUESDAY + timedelta(hours=1, minutes=10))

    def during(sensor: str) -> list[SensorReading]:
        return [r for r in got if r.device_id == sensor and t <= r.site_time < end]

    def after(sensor: str) -> list[SensorReading]:
        return [r for r in got if r.device_id == sensor and r.site_time >= end]

    assert during("pir-g2") == [] and after("pir-g2")
    assert len({r.value for r in during("temp-g1")}) == 1 and len(during("temp-g1")) >= 15
    assert len({r.value for r in after("temp-g1")}) > 1
    assert all(r.tamper for r in during("vib-rodin-kiss")) and not any(
        r.tamper for r in after("vib-rodin-kiss")
    )
    assert all(r.value > 70 for r in during("rh-g3")) and all(r.value < 60 for r in after("rh-g3"))
    with pytest.raises(KeyError):
        disturb(world, Disturbance("no-such-sensor", t, "silent"))


def test_normal_days_stay_in_limits_and_raise_no_sensor_alert_after_warm_up() -> None:
    """Three days of staff and sensors (HVAC swings on) through every real rule: readings inside
    the conservation limits, and nothing from the sensor rules once they have learned (the
    motion and climate baselines need two days of each hour)."""
    days = 3
    end = TUESDAY + timedelta(days=days)
    pipeline = Pipeline()
    pipeline.learn(TUESDAY, 28)
    world = World(SITE, TUESDAY, seed=0)
    field = sensors.install(world, TUESDAY, end)
    staff.install(world, TUESDAY, end, nuisances=False)
    pipeline.run(world, end)
    assert sum(field.readings.values()) > 30_000 * days
    assert any(t.scenario == "hvac_swing" for t in world.truth)
    fired = {rule: n for rule, n in pipeline.rules_fired().items() if rule in SENSOR_RULES}
    assert fired == {}, [a.title for a in pipeline.alerts]
    assert pipeline.alerts == []
    per_day = {k: v / days for k, v in pipeline.events.items()}
    assert 25_000 <= sum(per_day.values()) <= 100_000, per_day


def test_climate_readings_stay_inside_their_limits_for_a_week() -> None:
    start = TUESDAY
    end = start + timedelta(days=7)
    world = World(SITE, start, seed=5)
    sensors.install(world, start, end)  # HVAC swings included
    limited = {s.id: s for s in SITE.sensors if s.type in ("temperature", "humidity")}
    checked = 0
    for r in readings(world, end):
        sensor = limited.get(r.device_id)
        if sensor is None:
            continue
        assert sensor.min is not None and sensor.max is not None
        margin = 0.2 * (sensor.max - sensor.min) / 2
        assert sensor.min + margin <= r.value <= sensor.max - margin, (r.device_id, r.value)
        checked += 1
    assert checked > 7 * 24 * 60 * len(limited) * 0.95


def test_mount_vibration_with_visitors_all_day_is_nothing_unusual() -> None:
    """Opening hours with a crowd at every mount: the mounts read a little more, and the
    streaming detector (learned from the night before) sees nothing unusual."""
    start = TUESDAY
    end = start + timedelta(days=2)
    world = World(SITE, start, seed=2)
    sensors.install(world, start, end, nuisances=False)
    rule = VibrationUnusualRule(SITE)
    public = [r.id for r in SITE.rooms if r.public]
    alerts = []
    values: dict[bool, list[float]] = {True: [], False: []}
    t = start
    while t < end:
        t += timedelta(minutes=5)
        open_now = SITE.is_open_to_public(public[0], t)
        for room in public:
            for i in range(20):
                if open_now:
                    world.presence.enter(f"v-{room}-{i}", room)
                else:
                    world.presence.leave(f"v-{room}-{i}")
        for r in readings(world, t):
            if r.device_id.startswith("vib-"):
                alerts += rule.on_event(r)
                values[open_now].append(r.value / SITE.sensor(r.device_id).max)
    assert alerts == []
    assert sum(values[True]) / len(values[True]) > sum(values[False]) / len(values[False])
    assert max(values[True]) < 0.2  # far below the mounts' alarm limit
