"""The hash-chained audit log: appends, reads, and verify() against direct tampering."""

from __future__ import annotations

import hashlib
import json
import tracemalloc
from datetime import UTC, datetime, timedelta, timezone
from enum import Enum
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from artguard.config import Settings
from artguard.store.audit import GENESIS_HASH, AuditLog, AuditRecord
from artguard.store.audit_chain import canonical_json, entry_hash
from artguard.store.db import open_database
from artguard.store.tables import audit_log

T0 = datetime(2025, 1, 31, 22, 5, tzinfo=UTC)


class Colour(Enum):
    red = "red"


def _sql(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


def _row(engine: Engine, seq: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(select(audit_log).where(audit_log.c.seq == seq)).one()
    return {**row._mapping, "details": json.loads(row.details)}


def _fill(log: AuditLog, count: int) -> None:
    log.append_many(
        {
            "actor": f"user:{i % 3}",
            "action": "incident.acknowledged",
            "subject": f"inc-{i}",
            "details": {"i": i, "note": "ok"},
            "at": T0 + timedelta(minutes=i),
        }
        for i in range(1, count + 1)
    )


@pytest.fixture
def log(engine: Engine) -> AuditLog:
    return AuditLog(engine)


def test_entries_are_numbered_linked_and_hashed(log: AuditLog) -> None:
    first = log.append("system", "config.loaded", "site-1", {"rooms": 3}, at=T0)
    second = log.append("op:ana", "door.locked", None, {"door": "d1"})
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert first.hash == entry_hash(
        1, T0, "system", "config.loaded", "site-1", {"rooms": 3}, GENESIS_HASH
    )
    assert second.ts.tzinfo is not None
    assert log.entries() == [first, second]


def test_hash_is_sha256_of_the_documented_canonical_json(log: AuditLog) -> None:
    entry = log.append("op:ana", "note", "x", {"b": "é", "a": 1.5}, at=T0)
    text_ = (
        '{"action":"note","actor":"op:ana","details":{"a":1.5,"b":"é"},'
        f'"prev_hash":"{GENESIS_HASH}","seq":1,"subject":"x",'
        '"ts":"2025-01-31T22:05:00.000000+00:00"}'
    )
    assert entry.hash == hashlib.sha256(text_.encode()).hexdigest()


def test_details_are_stored_as_they_read_back(log: AuditLog) -> None:
    at = datetime(2025, 6, 1, 14, 0, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    details = {"when": at, "colour": Colour.red, "pair": (1, 2), 10: "ten", 9: "nine"}
    entry = log.append("op:ana", "note", None, details, at=at)
    assert entry.details == {
        "when": "2025-06-01T12:00:00.123456+00:00",
        "colour": "red",
        "pair": [1, 2],
        "10": "ten",
        "9": "nine",
    }
    assert entry.ts == at
    assert log.entries()[0] == entry
    assert log.verify().ok


def test_append_many_is_all_or_nothing(log: AuditLog) -> None:
    log.append("system", "start", None, {})
    with pytest.raises(ValueError):
        log.append_many(
            [
                AuditRecord("op:ana", "door.locked", "d1", {}),
                {"actor": "op:ana", "action": "x" * 65},
            ]
        )
    with pytest.raises(TypeError):
        log.append_many(
            [
                AuditRecord("op:ana", "ok", None, {}),
                {"actor": "a", "action": "b", "details": {"f": object()}},
            ]
        )
    assert [e.seq for e in log.entries()] == [1]


@pytest.mark.parametrize(
    "bad",
    [
        {"actor": "", "action": "x"},
        {"actor": "a" * 129, "action": "x"},
        {"actor": "a", "action": "x", "subject": "s" * 257},
        {"actor": "a", "action": "audit.purge"},
        {"actor": "a", "action": "x", "at": datetime(2025, 1, 1)},
        {"actor": "a", "action": "x", "colour": "red"},
    ],
)
def test_append_rejects_bad_entries(log: AuditLog, bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        log.append_many([bad])
    assert log.entries() == []


def test_entries_filters_and_pages(log: AuditLog) -> None:
    _fill(log, 10)
    log.append("op:bo", "door.locked", "d1", {})
    assert [e.seq for e in log.entries(after_seq=3, limit=4)] == [4, 5, 6, 7]
    assert [e.seq for e in log.entries(action="door.locked")] == [11]
    assert [e.seq for e in log.entries(subject="inc-2")] == [2]
    assert [e.seq for e in log.entries(limit=3, newest_first=True)] == [11, 10, 9]
    head = log.head()
    assert head is not None and head.seq == 11


def test_empty_log_verifies(log: AuditLog) -> None:
    report = log.verify()
    assert report.ok and report.entries_checked == 0 and report.head_hash is None


def test_intact_chain_verifies_across_batches(engine: Engine) -> None:
    log = AuditLog(engine, verify_batch_size=4)
    _fill(log, 10)
    report = log.verify()
    assert report.ok
    assert report.entries_checked == 10
    assert report.head_hash == log.entries(newest_first=True, limit=1)[0].hash
    assert report.first_bad_seq is None and report.problem is None


# -- tampering, directly in the database -----------------------------------------------------


@pytest.fixture
def filled(engine: Engine) -> AuditLog:
    log = AuditLog(engine, verify_batch_size=4)  # breaks must be found across batch edges too
    _fill(log, 12)
    return log


def _broken(log: AuditLog) -> tuple[int | None, str]:
    report = log.verify()
    assert not report.ok
    assert report.head_hash is None
    assert report.problem is not None
    return report.first_bad_seq, report.problem


@pytest.mark.parametrize("seq", [1, 4, 5, 12])
def test_edited_details_are_found(engine: Engine, filled: AuditLog, seq: int) -> None:
    _sql(engine, "UPDATE audit_log SET details = :d WHERE seq = :s", d='{"i":999}', s=seq)
    bad, problem = _broken(filled)
    assert bad == seq
    assert problem.startswith("edited:")
    assert filled.verify().entries_checked == seq - 1


@pytest.mark.parametrize(
    ("column", "value"),
    [("actor", "op:mallory"), ("action", "door.unlocked"), ("subject", None), ("details", "{")],
)
def test_each_hashed_column_is_covered(
    engine: Engine, filled: AuditLog, column: str, value: str | None
) -> None:
    _sql(engine, f"UPDATE audit_log SET {column} = :v WHERE seq = 7", v=value)
    assert _broken(filled) == (7, "edited: its content no longer matches its hash")


def test_edited_time_is_found(engine: Engine, filled: AuditLog) -> None:
    with engine.begin() as conn:
        conn.execute(
            audit_log.update().where(audit_log.c.seq == 6).values(ts=T0 + timedelta(days=1))
        )
    assert _broken(filled)[0] == 6


def test_edited_prev_hash_is_found(engine: Engine, filled: AuditLog) -> None:
    _sql(engine, "UPDATE audit_log SET prev_hash = :h WHERE seq = 5", h="f" * 64)
    bad, problem = _broken(filled)
    assert bad == 5
    assert problem.startswith("edited:")


def test_edit_with_recomputed_hash_is_found_at_the_edited_entry(
    engine: Engine, filled: AuditLog
) -> None:
    row = _row(engine, 6)
    forged = entry_hash(
        6, row["ts"], "op:mallory", row["action"], row["subject"], row["details"], row["prev_hash"]
    )
    _sql(engine, "UPDATE audit_log SET actor = 'op:mallory', hash = :h WHERE seq = 6", h=forged)
    bad, problem = _broken(filled)
    assert bad == 6
    assert problem.startswith("edited and re-hashed:")
    assert "#7" in problem


@pytest.mark.parametrize("seq", [2, 5, 11])
def test_deleted_entry_is_found(engine: Engine, filled: AuditLog, seq: int) -> None:
    _sql(engine, "DELETE FROM audit_log WHERE seq = :s", s=seq)
    assert _broken(filled) == (seq, f"deleted: entry #{seq} is missing")


def test_deleted_range_is_found(engine: Engine, filled: AuditLog) -> None:
    _sql(engine, "DELETE FROM audit_log WHERE seq BETWEEN 4 AND 9")
    assert _broken(filled) == (4, "deleted: entries #4..#9 are missing")


def test_deleted_start_of_log_is_found(engine: Engine, filled: AuditLog) -> None:
    _sql(engine, "DELETE FROM audit_log WHERE seq <= 3")
    bad, problem = _broken(filled)
    assert bad == 1
    assert problem.startswith("deleted: entries #1..#3 are missing from the start of the log")


def _renumber(engine: Engine, where: str, shift: int) -> None:
    """Move seqs without tripping the primary key half-way (via negative numbers)."""
    _sql(engine, f"UPDATE audit_log SET seq = -(seq + :k) WHERE {where}", k=shift)
    _sql(engine, "UPDATE audit_log SET seq = -seq WHERE seq < 0")


def test_deleted_entry_with_renumbered_successors_is_found(
    engine: Engine, filled: AuditLog
) -> None:
    _sql(engine, "DELETE FROM audit_log WHERE seq = 5")
    _renumber(engine, "seq > 5", -1)
    bad, problem = _broken(filled)
    assert bad == 5
    assert problem.startswith("deleted: entry #5 is missing")
    assert "renumbered" in problem


@pytest.mark.parametrize(("a", "b"), [(3, 9), (6, 7), (11, 12), (1, 2)])
def test_swapped_entries_are_found(engine: Engine, filled: AuditLog, a: int, b: int) -> None:
    _sql(engine, "UPDATE audit_log SET seq = -1 WHERE seq = :a", a=a)
    _sql(engine, "UPDATE audit_log SET seq = :a WHERE seq = :b", a=a, b=b)
    _sql(engine, "UPDATE audit_log SET seq = :b WHERE seq = -1", b=b)
    assert _broken(filled) == (a, f"reordered: this entry was written as #{b}")


def test_inserted_forged_entry_is_found(engine: Engine, filled: AuditLog) -> None:
    before = _row(engine, 6)
    _renumber(engine, "seq > 6", 1)
    ts = before["ts"] + timedelta(seconds=1)
    details = {"door": "vault"}
    forged = entry_hash(7, ts, "op:ana", "door.unlocked", "vault", details, before["hash"])
    with engine.begin() as conn:
        conn.execute(
            audit_log.insert().values(
                seq=7,
                ts=ts,
                actor="op:ana",
                action="door.unlocked",
                subject="vault",
                details=canonical_json(details),
                prev_hash=before["hash"],
                hash=forged,
            )
        )
    bad, problem = _broken(filled)
    assert bad == 7
    assert problem.startswith("inserted: forged entry #7")


def test_forged_first_entry_is_found(engine: Engine, filled: AuditLog) -> None:
    row = _row(engine, 1)
    forged = entry_hash(
        1, row["ts"], row["actor"], row["action"], row["subject"], row["details"], "1" * 64
    )
    _sql(
        engine, "UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = 1", p="1" * 64, h=forged
    )
    bad, problem = _broken(filled)
    assert bad == 1
    assert problem.startswith("forged:")


def test_only_the_first_break_is_named(engine: Engine, filled: AuditLog) -> None:
    _sql(engine, "DELETE FROM audit_log WHERE seq = 10")
    _sql(engine, "UPDATE audit_log SET details = '{}' WHERE seq = 3")
    assert _broken(filled)[0] == 3


def test_unreadable_time_is_reported_not_crashed_on(sqlite_settings: Settings) -> None:
    """Only SQLite can hold a time that is not a time."""
    engine = open_database(sqlite_settings)
    try:
        log = AuditLog(engine)
        _fill(log, 6)
        _sql(engine, "UPDATE audit_log SET ts = 'yesterday' WHERE seq = 4")
        assert _broken(log) == (4, "edited: its content no longer matches its hash")
    finally:
        engine.dispose()


def test_verify_memory_stays_flat(engine: Engine) -> None:
    """Walking the chain holds one batch at a time, not the whole log."""
    log = AuditLog(engine, verify_batch_size=200)
    payload = {"reasons": ["x" * 200], "n": 0}
    for _ in range(10):
        log.append_many([{"actor": "a", "action": "b", "details": payload}] * 1000)

    tracemalloc.start()
    try:
        report = log.verify()
        walk_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        everything = log.entries(limit=10_000)
        load_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok and report.entries_checked == len(everything) == 10_000
    assert walk_peak < load_peak / 5


def test_entry_moved_below_one_is_found(engine: Engine, filled: AuditLog) -> None:
    _sql(engine, "UPDATE audit_log SET seq = -5 WHERE seq = 1")
    bad, problem = _broken(filled)
    assert bad == -5
    assert problem.startswith("forged:")
