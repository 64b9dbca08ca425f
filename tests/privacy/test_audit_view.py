"""The auditor's view: filtered, paged entries and chain verification that finds tampering."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, update

from artguard.config import Settings
from artguard.privacy.audit_view import AuditQuery, AuditQueryError, audit_page, verification
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from artguard.store.tables import audit_log

T0 = datetime(2026, 11, 1, 9, tzinfo=UTC)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine = open_database(Settings(data_dir=tmp_path / "var"))
    log = AuditLog(engine)
    for n in range(12):
        actor = "op:ana" if n % 2 else "op:ben"
        action = "privacy.export" if n % 3 == 0 else "door.locked"
        log.append(actor, action, f"s-{n}", {"n": n}, at=T0 + timedelta(hours=n))
    return engine


def test_filters_and_pages_without_repeats(engine: Engine) -> None:
    seen: list[int] = []
    cursor = None
    while True:
        page = audit_page(engine, AuditQuery(actor="op:ana", limit=2, cursor=cursor))
        seen += [e["seq"] for e in page["entries"]]
        assert all(e["actor"] == "op:ana" for e in page["entries"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [2, 4, 6, 8, 10, 12]

    since = audit_page(engine, AuditQuery(since=T0 + timedelta(hours=9), action="privacy.*"))
    assert [e["details"]["n"] for e in since["entries"]] == [9]
    newest = audit_page(engine, AuditQuery(limit=3, newest_first=True))
    assert [e["seq"] for e in newest["entries"]] == [12, 11, 10] and newest["next_cursor"] == 10
    older = audit_page(engine, AuditQuery(limit=3, newest_first=True, cursor=10))
    assert [e["seq"] for e in older["entries"]] == [9, 8, 7]


def test_bad_filters_are_named() -> None:
    with pytest.raises(AuditQueryError, match="limit"):
        AuditQuery(limit=0)
    with pytest.raises(AuditQueryError, match="since"):
        AuditQuery(since=datetime(2026, 1, 1))
    with pytest.raises(AuditQueryError, match="after until"):
        AuditQuery(since=T0, until=T0 - timedelta(days=1))


def test_verify_reports_ok_then_the_first_tampered_entry(engine: Engine) -> None:
    log = AuditLog(engine)
    assert verification(log) == {
        "status": "ok",
        "entries_checked": 12,
        "first_bad_seq": None,
        "problem": None,
        "head_hash": log.head().hash,  # type: ignore[union-attr]
    }
    with engine.begin() as conn:
        conn.execute(update(audit_log).where(audit_log.c.seq == 5).values(details='{"n":500}'))
    status = verification(log)
    assert status["status"] == "broken" and status["first_bad_seq"] == 5
    assert status["problem"].startswith("edited")
