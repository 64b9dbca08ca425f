"""Runs the retention purge on a schedule inside the service (default: at start, then daily)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from pathlib import Path

from sqlalchemy import Engine

from artguard.events import utcnow
from artguard.store.retention import PurgeReport, RetentionPolicy, TemplatePurger, purge
from artguard.tasks import cancel

log = logging.getLogger(__name__)


class RetentionScheduler:
    """Purges expired data every ``interval``; a failed run is logged and retried next time."""

    def __init__(
        self,
        engine: Engine,
        policy: RetentionPolicy,
        snapshots_dir: Path,
        *,
        originals_dir: Path | None = None,
        templates: TemplatePurger | None = None,
        interval: timedelta = timedelta(days=1),
        first_delay: timedelta = timedelta(minutes=1),
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._snapshots_dir = snapshots_dir
        self._originals_dir = originals_dir
        self._templates = templates
        self._interval = interval
        self._first_delay = first_delay
        self._task: asyncio.Task[None] | None = None
        self.runs = 0
        self.last_report: PurgeReport | None = None
        self.last_error: str | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="retention")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None

    async def run_once(self) -> PurgeReport:
        report = await asyncio.to_thread(
            purge,
            self._engine,
            self._policy,
            utcnow(),
            self._snapshots_dir,
            originals_dir=self._originals_dir,
            templates=self._templates,
        )
        self.runs += 1
        self.last_report = report
        return report

    async def _loop(self) -> None:
        await asyncio.sleep(self._first_delay.total_seconds())
        while True:
            try:
                report = await self.run_once()
                self.last_error = None
                log.info("retention purge: %s", report)
            except Exception as exc:  # the database may be briefly away; try again next time
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("retention purge failed")
            await asyncio.sleep(self._interval.total_seconds())
