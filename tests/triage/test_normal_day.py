"""A normal stretch of museum traffic gives no high-risk incident (issue #5 done-means).

The demo site's digital twin with no attack injected (visitors leaving at closing, staff
badging through doors decided by access control, guards patrolling, climate cycles, cameras
watching) across the evening closing time (the after-hours factor starts to apply), through
the full pipeline with the drill's driver. ``bench/triage.py --day`` runs a whole 24-hour day.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from artguard.access.service import AccessStats
from artguard.drill.runner import (
    Driver,
    drill_settings,
    drill_site,
    seed_access_baseline,
)
from artguard.runtime import Runtime
from artguard.site import load_site
from artguard.store.tables import alerts, events
from artguard.triage import repository as repo
from artguard.triage.scoring import risk_band
from artguard.twin.site_day import build
from tests.conftest import FIXTURES

DEMO_SITE = FIXTURES.parent.parent / "examples" / "demo-site" / "site.yaml"
HOURS = 3.0
"""From 16:00 to 19:00: the last open hours with visitors, closing at 18:00, the first hour
closed (about 15 s of wall time)."""
SEED = 5


@dataclass
class Evening:
    """What one simulated evening left in the store and the access service."""

    fed: int
    badges: int
    rejected: list[str]
    baseline: int
    incidents: list[Any]
    alerts_filed: int
    alert_rules: Counter[str]
    event_kinds: Counter[str]
    access: AccessStats


async def _run_evening(data_dir: Path) -> Evening:
    site = load_site(DEMO_SITE)
    start = datetime(2026, 11, 24, 16, 0, tzinfo=site.tz)  # a Tuesday; galleries close at 18:00
    day = build(site, start, HOURS / 24, SEED)
    runtime = Runtime(drill_settings(data_dir), drill_site(site), live_clock=False)
    async with runtime:
        baseline = seed_access_baseline(runtime, start, SEED)  # the staff's past four weeks
        driver = Driver(runtime, day, step_s=1.0)
        await driver.run()
        await runtime.actions.drain()
        await runtime.bus.drain()
        with runtime.engine.connect() as conn:
            rows = repo.list_incident_rows(conn, statuses=None, limit=1000)
            filed = conn.execute(select(func.count()).select_from(alerts)).scalar_one()
            rules = Counter(a.rule for a in repo.list_alert_rows(conn, limit=10_000))
            kinds = Counter(r.kind for r in conn.execute(select(events.c.kind)))
        stats = replace(runtime.access.stats)  # a copy, as the runtime stops
    return Evening(
        driver.fed, driver.badges, driver.rejected, baseline, rows, filed, rules, kinds, stats
    )


@pytest.fixture(scope="module")
def evening(tmp_path_factory: pytest.TempPathFactory) -> Evening:
    """One run shared by the tests of this module."""
    return asyncio.run(_run_evening(tmp_path_factory.mktemp("evening")))


def test_ordinary_evening_raises_no_high_risk_incident(evening: Evening) -> None:
    assert evening.fed > 10_000 and evening.rejected == []  # the traffic did flow, all of it
    rows = evening.incidents
    assert all(r.score is not None for r in rows) and evening.alerts_filed >= len(rows)
    high = [(r.title, r.score, r.contributions) for r in rows if risk_band(r.score) == "high"]
    assert high == []


def test_staff_badges_are_decided_by_access_control_and_raise_no_access_anomaly(
    evening: Evening,
) -> None:
    """The twin's badges go through the real access service, are stored as decisions, are
    mostly grants, and staff behaving as they did for four weeks are no access anomaly."""
    assert evening.baseline > 1000
    access = evening.access
    assert evening.event_kinds["access_decision"] == access.decisions == evening.badges > 20
    assert access.grants > 2 * (access.denials + access.step_ups)
    assert "access_anomaly" not in evening.alert_rules
