"""A normal stretch of museum traffic gives no high-risk incident (issue #5 done-means).

The demo simulator's ordinary traffic (staff badging through doors decided by access control,
climate cycles, motion in open rooms) with its scripted incidents switched off, across the
evening closing time (the after-hours factor starts to apply), through the full pipeline.
``bench/triage.py --day`` runs a whole 24-hour day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from artguard.config import Settings
from artguard.demo.runner import feed
from artguard.demo.simulator import DemoSimulator
from artguard.runtime import Runtime
from artguard.site import load_site
from artguard.store.tables import alerts
from artguard.triage import repository as repo
from artguard.triage.scoring import risk_band
from tests.conftest import FIXTURES

DEMO_SITE = FIXTURES.parent.parent / "examples" / "demo-site" / "site.yaml"


class OrdinaryDay(DemoSimulator):
    """The demo's traffic without its scripted incidents."""

    def _door_forced(self, at: datetime) -> None: ...
    def _humidity_excursion(self, at: datetime) -> None: ...
    def _door_held_open(self, at: datetime) -> None: ...
    def _mount_knock(self, at: datetime) -> None: ...
    def _glass_break(self, at: datetime) -> None: ...


async def test_ordinary_evening_raises_no_high_risk_incident(tmp_path: Path) -> None:
    site = load_site(DEMO_SITE)
    start = datetime(2026, 11, 24, 17, 15, tzinfo=UTC)  # a Tuesday; galleries close at 18:00
    simulator = OrdinaryDay(site, start, seed=5)
    runtime = Runtime(Settings(data_dir=tmp_path), site, live_clock=False)
    accepted = 0
    async with runtime:
        runtime.access.behaviour.baseline.learn(simulator.past_grants(start, 28))
        now = start
        while now < start + timedelta(minutes=90):
            now += timedelta(seconds=2)
            batch = simulator.events_until(now)
            if batch:
                accepted += await feed(runtime, simulator, batch)
            await runtime.rules.tick(now)
        await runtime.bus.drain()
        with runtime.engine.connect() as conn:
            rows = repo.list_incident_rows(conn, statuses=None, limit=1000)
            filed = conn.execute(select(func.count()).select_from(alerts)).scalar_one()
    assert accepted > 10_000  # the traffic did flow
    assert all(r.score is not None for r in rows) and filed >= len(rows)
    high = [(r.title, r.score, r.contributions) for r in rows if risk_band(r.score) == "high"]
    assert high == []
