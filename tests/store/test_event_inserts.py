"""Idempotent event inserts on SQLite: the RETURNING path and the pre-3.35 fallback agree,
through SQLAlchemy and through the raw connection the event writer commits on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from artguard.config import Settings
from artguard.events import SensorReading
from artguard.store import events as store_events
from artguard.store.db import open_database, writing
from artguard.store.events import insert_events, insert_sqlite, load_events
from artguard.store.sqlite_raw import RawSqlite
from artguard.store.tables import events

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def reading(n: int) -> SensorReading:
    return SensorReading(
        id=f"ev-{n}",
        device_id="s-temp",
        site_time=T0 + timedelta(seconds=n),
        received_time=T0,
        value=20.0 + n / 1000,
    )


@pytest.mark.parametrize("raw", [False, True], ids=["sqlalchemy", "raw"])
@pytest.mark.parametrize("returning", [True, False], ids=["returning", "lookup-first"])
def test_only_new_ids_are_reported_and_nothing_is_stored_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, returning: bool, raw: bool
) -> None:
    if returning and not store_events.SQLITE_RETURNING:
        pytest.skip("this SQLite has no RETURNING (before 3.35)")
    monkeypatch.setattr(store_events, "SQLITE_RETURNING", returning)
    monkeypatch.setattr(store_events, "ROWS_PER_STATEMENT", 7)  # several chunks per batch
    engine = open_database(Settings(data_dir=tmp_path))
    connection = RawSqlite(engine) if raw else None

    def insert(batch: list[SensorReading]) -> set[str]:
        if connection is None:
            with writing(engine) as conn:
                return insert_events(conn, batch)
        with connection.transaction() as db:
            return insert_sqlite(db.execute, db.executemany, batch)

    assert insert([reading(n) for n in range(20)]) == {f"ev-{n}" for n in range(20)}
    # Half already stored:
    assert insert([reading(n) for n in range(10, 30)]) == {f"ev-{n}" for n in range(20, 30)}
    if connection is not None:
        connection.close()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 30
        stored = load_events(conn, limit=100)
    assert [e.id for _, e in stored] == [f"ev-{n}" for n in range(30)]
    assert stored[5][1] == reading(5)


def test_a_failed_raw_transaction_stores_nothing_and_the_connection_goes_on(
    tmp_path: Path,
) -> None:
    engine = open_database(Settings(data_dir=tmp_path))
    connection = RawSqlite(engine)
    with pytest.raises(ValueError), connection.transaction() as db:
        insert_sqlite(db.execute, db.executemany, [reading(1)])
        raise ValueError("the batch failed half way")
    with connection.transaction() as db:
        assert insert_sqlite(db.execute, db.executemany, [reading(1), reading(2)]) == {
            "ev-1",
            "ev-2",
        }
    connection.close()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 2
