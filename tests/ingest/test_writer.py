"""The event writer's group commit on SQLite's raw connection: stopping never cuts a commit."""

from __future__ import annotations

import asyncio
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from artguard.config import Settings
from artguard.events import SensorReading
from artguard.ingest import writer as writer_module
from artguard.ingest.writer import EventWriter
from artguard.store.db import open_database
from artguard.store.tables import events

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def readings(count: int) -> list[SensorReading]:
    return [
        SensorReading(
            id=f"ev-{n}",
            device_id="s-temp",
            site_time=T0 + timedelta(seconds=n),
            received_time=T0,
            value=20.0,
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("inline", [False, True], ids=["thread", "inline"])
async def test_writes_report_new_ids_once(tmp_path: Path, inline: bool) -> None:
    engine = open_database(Settings(data_dir=tmp_path))
    writer = EventWriter(engine, inline=inline)
    await writer.start()
    try:
        first, again = await asyncio.gather(writer.write(readings(5)), writer.write(readings(3)))
        assert first | again == {f"ev-{n}" for n in range(5)}
        assert await writer.write(readings(5)) == set()
    finally:
        await writer.stop()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 5


async def test_stop_waits_for_the_commit_under_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = open_database(Settings(data_dir=tmp_path))
    started = threading.Event()
    real_insert = writer_module.insert_sqlite

    def slow_insert(*args: object) -> set[str]:
        started.set()
        time.sleep(0.3)  # the commit is still running on its thread when stop() is called
        return real_insert(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(writer_module, "insert_sqlite", slow_insert)
    writer = EventWriter(engine)
    await writer.start()
    write = asyncio.create_task(writer.write(readings(4)))
    await asyncio.to_thread(started.wait, 5)
    await writer.stop()
    assert await write == {f"ev-{n}" for n in range(4)}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 4
