"""The service purges expired data by itself, on its schedule."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.store.retention import RetentionPolicy
from artguard.store.retention_schedule import RetentionScheduler
from artguard.store.tables import events
from tests.conftest import SMALL_SITE


async def test_scheduler_purges_old_events_and_audits_it(settings: Settings, small_site: Site):
    runtime = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    async with runtime:
        old = datetime(2020, 1, 1, tzinfo=UTC)
        await runtime.ingest.submit(
            [
                {
                    "id": "old",
                    "kind": "sensor_reading",
                    "device_id": "t-vault",
                    "value": 20,
                    "site_time": old.isoformat(),
                }
            ],
            token=None,
            source="t",
            trusted=True,
        )
        with runtime.engine.begin() as conn:  # pretend it arrived long ago
            conn.execute(events.update().values(received_time=old))
        scheduler = RetentionScheduler(
            runtime.engine,
            RetentionPolicy(events=timedelta(days=30)),
            settings.snapshots_dir,
            interval=timedelta(seconds=3600),
            first_delay=timedelta(0),
        )
        scheduler.start()
        for _ in range(100):
            if scheduler.runs:
                break
            await asyncio.sleep(0.05)
        await scheduler.stop()
        assert scheduler.last_report is not None and scheduler.last_report.events == 1
        assert any(e.action == "retention.purge" for e in runtime.audit.entries(limit=100))


def test_runtime_takes_its_policy_from_the_site(settings: Settings, small_site: Site) -> None:
    runtime = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    assert runtime.retention._policy.events == timedelta(days=90)
    runtime.engine.dispose()
