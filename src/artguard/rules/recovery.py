"""Nothing lost when artguard restarts: re-analyse what the rules had not seen.

Events are committed before they are acknowledged, but analysis happens after the commit, so a
crash can leave stored events that no rule has seen, or alerts that triage never filed. The
rule engine therefore records how far it has analysed (the newest received time it handled,
saved every few seconds as a checkpoint). On start, the events received since that checkpoint,
plus a warm-up margin that rebuilds the rules' state (open doors, recent grants), are fed
through the rules again. Alert ids are derived from their evidence, so an alert raised before
the crash comes out with the same id and triage ignores it: replaying is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from sqlalchemy import Engine

from artguard.rules.engine import RuleEngine
from artguard.store.checkpoints import read_checkpoint, write_checkpoint
from artguard.store.events import load_events
from artguard.tasks import cancel

log = logging.getLogger(__name__)

CHECKPOINT = "rules.analysed_until"
WARM_UP = timedelta(minutes=10)
PAGE = 5000


async def replay_unanalysed(engine: Engine, rules: RuleEngine, warm_up: timedelta = WARM_UP) -> int:
    """Feed the events since the checkpoint (minus ``warm_up``) to the rules; returns how many."""
    value = await asyncio.to_thread(read_checkpoint, engine, CHECKPOINT)
    if value is None:
        return 0  # a new database: nothing was analysed, nothing was stored before
    since = datetime.fromisoformat(value) - warm_up
    replayed, after_seq = 0, 0
    kinds = sorted(rules.kinds)
    while True:
        page = await asyncio.to_thread(_page, engine, after_seq, kinds, since)
        if not page:
            break
        for seq, event in page:
            after_seq = seq
            await rules.handle(event)
            replayed += 1
    if replayed:
        log.info("re-analysed %d events received since %s", replayed, since.isoformat())
    return replayed


def _page(engine: Engine, after_seq: int, kinds: list[str], since: datetime) -> list:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return load_events(conn, after_seq=after_seq, limit=PAGE, kinds=kinds, since=since)


class CheckpointKeeper:
    """Saves the rule engine's progress every ``interval`` seconds, and once more at stop."""

    def __init__(self, engine: Engine, rules: RuleEngine, interval_s: float = 2.0) -> None:
        self._engine = engine
        self._rules = rules
        self._interval = interval_s
        self._saved: datetime | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop(), name="rules-checkpoint")

    async def stop(self) -> None:
        await cancel(self._task)
        self._task = None
        await self.save()

    async def save(self) -> None:
        until = self._rules.analysed_until
        if until is not None and until != self._saved:
            await asyncio.to_thread(write_checkpoint, self._engine, CHECKPOINT, until.isoformat())
            self._saved = until

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.save()
            except Exception:  # a busy or briefly absent database: try again next round
                log.exception("could not save the rules checkpoint")
