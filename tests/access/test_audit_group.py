"""The decision audit's group commit: what the SQLite fast path writes is what the SQLAlchemy
path writes (the chain verifies across both, events read back the same), every waiter gets its
own sealed entry, and a failed commit fails its waiters without breaking the chain."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from artguard.config import Settings
from artguard.events import AccessDecision, EventBase
from artguard.store.audit import AuditLog, AuditRecord
from artguard.store.audit_group import GroupAudit, SqliteAppender
from artguard.store.db import open_database, write_lock
from artguard.store.events import load_events
from tests.services import require_postgres

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def decision(i: int, outcome: str = "grant") -> tuple[AuditRecord, list[EventBase]]:
    at = AT + timedelta(seconds=i)
    event = AccessDecision(
        id=f"dec-{i}",
        device_id="r-front",
        site_time=at,
        credential_id=f"card-{i % 3}",
        outcome=outcome,  # type: ignore[arg-type]
        risk=0.1,
        reasons=[f"reason {i} ünïcode"],
        factors=["card"],
    ).received(at + timedelta(milliseconds=5))
    details = {"outcome": outcome, "n": i, "at": at, "reasons": [f"reason {i}"], "none": None}
    record = AuditRecord("reader:r-front", f"access.{outcome}", f"card-{i % 3}", details, at)
    return record, [event]


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = open_database(Settings(data_dir=tmp_path / "var"))
    yield engine
    engine.dispose()


async def test_fast_path_rows_equal_the_sqlalchemy_rows_and_the_chain_verifies(
    engine: Engine, tmp_path: Path
) -> None:
    audit = AuditLog(engine)
    group = GroupAudit(audit)
    await group.start()
    try:
        fast = await asyncio.gather(*(group.append(*decision(i)) for i in range(50)))
        audit.append("operator:ann", "access.threat_level", "site", {"to": "elevated"})
        more = await asyncio.gather(*(group.append(*decision(i)) for i in range(50, 60)))
    finally:
        await group.stop()
    assert group.commits < 60  # appends queued together shared commits
    assert [e.seq for e in fast] == list(range(1, 51)) and [e.seq for e in more] == list(
        range(52, 62)
    )
    report = audit.verify()
    assert report.ok and report.entries_checked == 61, report
    stored = {e.seq: e for e in audit.entries(limit=100)}
    for entry in [*fast, *more]:
        assert stored[entry.seq] == entry  # read back through SQLAlchemy: same ts, details, hash

    # the same records written by AuditLog itself give byte-identical rows (bar seq and hash)
    other = open_database(Settings(data_dir=tmp_path / "reference"))
    try:
        reference = AuditLog(other)
        for i in range(3):
            record, events = decision(i)
            reference.append_with_events(events, [record])
        with engine.connect() as a, other.connect() as b:
            # raw text, not through SQLAlchemy's types: times must sort and compare as stored
            rows = "SELECT ts, actor, action, subject, details FROM audit_log ORDER BY seq LIMIT 3"
            assert a.exec_driver_sql(rows).all() == b.exec_driver_sql(rows).all()
            raw = "SELECT id, kind, device_id, site_time, received_time, payload FROM events"
            assert a.exec_driver_sql(raw + " WHERE id IN ('dec-0','dec-1','dec-2')").all() == (
                b.exec_driver_sql(raw).all()
            )
    finally:
        other.dispose()
    with engine.connect() as conn:
        events = load_events(conn, limit=100)
    assert [e.id for _, e in events] == [f"dec-{i}" for i in range(60)]
    assert events[0][1] == decision(0)[1][0]


async def test_a_repeated_request_stores_its_event_once_but_audits_both(engine: Engine) -> None:
    audit = AuditLog(engine)
    group = GroupAudit(audit)
    await group.start()
    try:
        first, second = await asyncio.gather(group.append(*decision(7)), group.append(*decision(7)))
        third = await group.append(*decision(7))
    finally:
        await group.stop()
    assert (first.seq, second.seq, third.seq) == (1, 2, 3)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM events").scalar_one() == 1
    assert audit.verify().ok


async def test_a_failed_commit_fails_its_waiters_and_the_next_ones_still_seal(
    engine: Engine,
) -> None:
    audit = AuditLog(engine)
    group = GroupAudit(audit)
    await group.start()
    try:
        record, events = decision(1)
        unstamped = events[0].model_copy(update={"received_time": None})
        with pytest.raises(ValueError, match="without received_time"):
            await group.append(record, [unstamped])
        bad = AuditRecord("reader:r-front", "x" * 65, None, {}, AT)
        with pytest.raises(ValueError, match="action longer than 64"):
            await group.append(bad)
        entry = await group.append(*decision(2))
    finally:
        await group.stop()
    assert entry.seq == 1 and audit.verify().ok
    with engine.connect() as conn:
        assert [e.id for _, e in load_events(conn)] == ["dec-2"]


def test_the_appender_is_atomic_and_takes_the_process_write_lock(engine: Engine) -> None:
    with engine.begin() as conn:  # the database refuses one audit entry half-way through
        conn.exec_driver_sql(
            "CREATE TRIGGER refuse BEFORE INSERT ON audit_log WHEN NEW.actor = 'boom' "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    appender = SqliteAppender(engine)
    try:
        record, events = decision(1)
        appender.append(events, [record])
        record, events = decision(2)
        boom = AuditRecord("boom", record.action, record.subject, record.details, record.at)
        with pytest.raises(sqlite3.IntegrityError, match="refused"):
            appender.append(events, [boom])
        with engine.connect() as conn:  # rolled back: the event went with its entry
            assert [e.id for _, e in load_events(conn)] == ["dec-1"]
        # another writer of this process holding the lock makes the appender wait for it
        done: list[int] = []

        def append() -> None:
            record, events = decision(3)
            done.append(appender.append(events, [record])[0].seq)

        with write_lock(engine):
            worker = threading.Thread(target=append)
            worker.start()
            worker.join(0.3)
            assert done == []
        worker.join(5)
        assert done == [2]
    finally:
        appender.close()
    assert AuditLog(engine).verify().ok


def test_the_appender_is_for_sqlite_only() -> None:
    engine = create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(ValueError, match="needs a SQLite engine"):
        SqliteAppender(engine)


@pytest.fixture
def pg_engine(tmp_path: Path) -> Iterator[Engine]:
    server = make_url(require_postgres())
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{server.render_as_string(hide_password=False)}?options=-csearch_path%3D{schema}"
    engine = open_database(Settings(data_dir=tmp_path / "var", database_url=url))
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.services
async def test_postgresql_group_commits_through_the_audit_log(pg_engine: Engine) -> None:
    audit = AuditLog(pg_engine)
    group = GroupAudit(audit)
    await group.start()
    try:
        entries = await asyncio.gather(*(group.append(*decision(i)) for i in range(20)))
    finally:
        await group.stop()
    assert sorted(e.seq for e in entries) == list(range(1, 21))
    assert audit.verify().ok


async def test_the_pool_never_gets_the_appenders_autocommit_connection(engine: Engine) -> None:
    group = GroupAudit(AuditLog(engine))
    await group.start()
    await group.append(*decision(1))
    await group.stop()
    for _ in range(3):  # whatever pooled connection comes next is transactional again
        with pytest.raises(RuntimeError), engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM events")
            raise RuntimeError("roll back")
    with engine.connect() as conn:
        assert [e.id for _, e in load_events(conn)] == ["dec-1"]
