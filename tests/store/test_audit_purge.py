"""Retention of the audit log itself: purged prefixes stay verifiable, tampering does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, text

from artguard.store.audit import PURGE_ACTION, AuditLog

T0 = datetime(2025, 1, 1, tzinfo=UTC)


def _sql(engine: Engine, statement: str, **params: object) -> None:
    with engine.begin() as conn:
        conn.execute(text(statement), params)


@pytest.fixture
def log(engine: Engine) -> AuditLog:
    log = AuditLog(engine, verify_batch_size=5)
    for day in range(20):
        log.append("op:ana", "door.locked", f"d{day}", {"day": day}, at=T0 + timedelta(days=day))
    return log


def test_purge_deletes_the_old_prefix_and_records_itself(log: AuditLog) -> None:
    deleted = log.purge_before(T0 + timedelta(days=8), at=T0 + timedelta(days=30))
    assert deleted == 8
    remaining = log.entries(limit=100)
    assert [e.seq for e in remaining] == list(range(9, 22))
    purge = remaining[-1]
    assert purge.action == PURGE_ACTION
    assert purge.actor == "system:retention"
    assert purge.details["purged_through_seq"] == 8
    assert purge.details["entries"] == 8
    assert purge.details["purged_through_hash"] == remaining[0].prev_hash
    report = log.verify()
    assert report.ok, report
    assert report.entries_checked == 13
    assert report.head_hash == purge.hash


def test_appends_and_purges_continue_the_chain(log: AuditLog) -> None:
    log.purge_before(T0 + timedelta(days=5))
    log.append("op:bo", "door.unlocked", "d1", {}, at=T0 + timedelta(days=40))
    assert log.purge_before(T0 + timedelta(days=15)) == 10  # 6..15
    log.append("op:bo", "door.locked", "d1", {}, at=T0 + timedelta(days=41))
    assert log.verify().ok
    assert log.entries(limit=1)[0].seq == 16


def test_nothing_to_purge_records_nothing(log: AuditLog) -> None:
    assert log.purge_before(T0) == 0
    assert log.entries(action=PURGE_ACTION) == []
    assert log.verify().entries_checked == 20


def test_purge_keeps_everything_after_an_entry_newer_than_the_cutoff(
    engine: Engine, log: AuditLog
) -> None:
    # Times need not rise with seq (callers may give the time of the thing they record).
    _sql(engine, "DELETE FROM audit_log WHERE seq > 3")
    log.append("op:ana", "late", None, {}, at=T0 + timedelta(days=100))
    log.append("op:ana", "backdated", None, {}, at=T0)
    assert log.purge_before(T0 + timedelta(days=50)) == 3
    assert [e.action for e in log.entries()] == ["late", "backdated", PURGE_ACTION]
    assert log.verify().ok


def test_purging_everything_old_keeps_the_purge_record(log: AuditLog) -> None:
    assert log.purge_before(T0 + timedelta(days=365)) == 20
    (only,) = log.entries()
    assert only.seq == 21 and only.action == PURGE_ACTION
    assert log.verify().ok
    log.append("op:ana", "after", None, {})
    assert log.verify().entries_checked == 2


def test_deleting_more_than_the_purge_covered_is_found(engine: Engine, log: AuditLog) -> None:
    log.purge_before(T0 + timedelta(days=8))
    _sql(engine, "DELETE FROM audit_log WHERE seq IN (9, 10)")
    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 9
    assert report.problem is not None
    assert report.problem.startswith("deleted: entries #9..#10 are missing from the start")


def test_edit_after_a_purge_is_found(engine: Engine, log: AuditLog) -> None:
    log.purge_before(T0 + timedelta(days=8))
    _sql(engine, "UPDATE audit_log SET actor = 'x' WHERE seq = 9")
    report = log.verify()
    assert (report.ok, report.first_bad_seq) == (False, 9)
    assert report.problem is not None and report.problem.startswith("edited:")


def test_deleting_the_purge_record_is_found(engine: Engine, log: AuditLog) -> None:
    log.purge_before(T0 + timedelta(days=8))
    _sql(engine, "DELETE FROM audit_log WHERE action = :a", a=PURGE_ACTION)
    report = log.verify()
    assert not report.ok
    assert report.first_bad_seq == 1
    assert report.problem is not None and "no audit.purge entry" in report.problem


def test_an_interrupted_purge_still_verifies_and_the_next_one_finishes(
    engine: Engine, log: AuditLog, monkeypatch: pytest.MonkeyPatch
) -> None:
    batches = 0
    real_begin = engine.begin

    def crash_after_first_delete_batch():  # type: ignore[no-untyped-def]
        nonlocal batches
        batches += 1
        if batches == 3:  # 1: the purge record, 2: first delete batch
            raise RuntimeError("power cut")
        return real_begin()

    monkeypatch.setattr(engine, "begin", crash_after_first_delete_batch)
    with pytest.raises(RuntimeError):
        log.purge_before(T0 + timedelta(days=12), batch_size=5)
    monkeypatch.undo()
    assert log.entries(limit=1)[0].seq == 6  # 1..5 went, 6..12 still there
    assert log.verify().ok
    assert log.purge_before(T0 + timedelta(days=12)) == 7
    assert log.entries(limit=1)[0].seq == 13
    assert log.verify().ok
