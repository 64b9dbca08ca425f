"""Retention purge: each kind goes by its own rule, in batches, and the run is audited."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from artguard.store.audit import AuditLog
from artguard.store.retention import PurgeReport, RetentionPolicy, purge
from artguard.store.tables import alerts, audit_log, events, incidents

NOW = datetime(2025, 6, 1, 12, tzinfo=UTC)
DAY = timedelta(days=1)


def _event(n: int, received: datetime) -> dict[str, Any]:
    return {
        "id": f"ev-{n}",
        "kind": "door_state",
        "device_id": "door-1",
        "site_time": received,
        "received_time": received,
        "payload": "{}",
    }


def _incident(id_: str, status: str, resolved: datetime | None, updated: datetime) -> dict:
    return {
        "id": id_,
        "title": id_,
        "status": status,
        "severity": "high",
        "alert_count": 1,
        "first_event_time": updated - DAY,
        "detected_time": updated - DAY,
        "last_alert_time": updated - DAY,
        "resolved_time": resolved,
        "updated_time": updated,
    }


def _alert(id_: str, raised: datetime, incident_id: str | None) -> dict[str, Any]:
    return {
        "id": id_,
        "rule": "door_forced",
        "severity": "high",
        "title": id_,
        "device_id": "door-1",
        "dedup_key": id_,
        "first_event_time": raised,
        "raised_time": raised,
        "last_seen_time": raised,
        "repeat_count": 1,
        "reasons": ["x"],
        "evidence": {},
        "source_event_ids": [],
        "incident_id": incident_id,
    }


@pytest.fixture
def filled(engine: Engine) -> Engine:
    with engine.begin() as conn:
        conn.execute(events.insert(), [_event(n, NOW - n * DAY) for n in range(1, 26)])
        conn.execute(
            incidents.insert(),
            [
                _incident("old-resolved", "resolved", NOW - 40 * DAY, NOW - 40 * DAY),
                _incident("old-false", "false_alarm", None, NOW - 50 * DAY),
                _incident("old-open", "open", None, NOW - 90 * DAY),
                _incident("old-acked", "acknowledged", None, NOW - 90 * DAY),
                _incident("new-resolved", "resolved", NOW - 5 * DAY, NOW - 5 * DAY),
            ],
        )
        conn.execute(
            alerts.insert(),
            [
                _alert("a-old-resolved", NOW - 41 * DAY, "old-resolved"),
                _alert("a-old-false", NOW - 51 * DAY, "old-false"),
                _alert("a-old-open", NOW - 91 * DAY, "old-open"),
                _alert("a-new-resolved", NOW - 6 * DAY, "new-resolved"),
                _alert("a-loose-old", NOW - 45 * DAY, None),
                _alert("a-loose-new", NOW - 2 * DAY, None),
            ],
        )
    log = AuditLog(engine)
    for n in range(10):
        log.append("op:ana", "door.locked", "door-1", {"n": n}, at=NOW - (100 - n) * DAY)
    log.append("op:ana", "door.locked", "door-1", {"n": "recent"}, at=NOW - DAY)
    return engine


def _ids(engine: Engine, column: Any) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(column)).scalars())


def test_each_kind_goes_by_its_own_rule(filled: Engine, tmp_path: Path) -> None:
    policy = RetentionPolicy(events=10 * DAY, alerts=30 * DAY, incidents=30 * DAY, audit=95 * DAY)
    report = purge(filled, policy, NOW, tmp_path / "snapshots", batch_size=4)

    assert report == PurgeReport(events=15, alerts=3, incidents=2, snapshots=0, audit=5)
    assert _ids(filled, events.c.id) == {f"ev-{n}" for n in range(1, 11)}  # exactly 10 days: kept
    assert _ids(filled, incidents.c.id) == {"old-open", "old-acked", "new-resolved"}
    # Closed incidents took their alerts; an open incident keeps its old alert; loose old
    # alerts went by their own limit.
    assert _ids(filled, alerts.c.id) == {"a-old-open", "a-new-resolved", "a-loose-new"}

    log = AuditLog(filled)
    assert log.verify().ok
    (summary,) = log.entries(action="retention.purge")
    assert summary.actor == "system:retention"
    assert summary.details["deleted"] == report.as_dict()
    assert summary.details["limits_days"]["events"] == 10
    assert summary.details["limits_days"]["snapshots"] is None
    (audit_purge,) = log.entries(action="audit.purge")
    assert audit_purge.details["entries"] == 5


def test_nothing_is_deleted_for_kinds_kept_forever(filled: Engine, tmp_path: Path) -> None:
    report = purge(filled, RetentionPolicy(), NOW, tmp_path)
    assert report.total == 0
    with filled.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 25
        assert conn.execute(select(func.count()).select_from(alerts)).scalar() == 6
        # the run itself is still on record
        assert conn.execute(select(func.count()).select_from(audit_log)).scalar() == 12


def test_a_second_run_finds_nothing_more(filled: Engine, tmp_path: Path) -> None:
    policy = RetentionPolicy(events=10 * DAY, alerts=30 * DAY, incidents=30 * DAY, audit=95 * DAY)
    purge(filled, policy, NOW, tmp_path)
    again = purge(filled, policy, NOW, tmp_path)
    assert again == PurgeReport()
    assert AuditLog(filled).verify().ok


def test_deletes_run_in_small_transactions(filled: Engine, tmp_path: Path) -> None:

    deletes: list[str] = []

    @event.listens_for(filled, "before_cursor_execute")
    def _record(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("DELETE FROM EVENTS"):
            deletes.append(statement)

    purge(filled, RetentionPolicy(events=1 * DAY), NOW, tmp_path, batch_size=5)
    assert len(deletes) == 5 + 1  # 24 old events in batches of 5, then one that finds none


def _touch(path: Path, age: timedelta) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"jpeg")
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))


def test_snapshot_files_go_by_age(engine: Engine, tmp_path: Path) -> None:
    snapshots = tmp_path / "var" / "snapshots"
    _touch(snapshots / "cam-1" / "old.jpg", 40 * DAY)
    _touch(snapshots / "cam-1" / "new.jpg", 1 * DAY)
    _touch(snapshots / "cam-2" / "2025" / "old.jpg", 31 * DAY)
    outside = tmp_path / "precious.jpg"
    _touch(outside, 400 * DAY)
    (snapshots / "link-out").symlink_to(outside)
    old = (NOW - 90 * DAY).timestamp()
    os.utime(snapshots / "link-out", (old, old), follow_symlinks=False)
    old_dir = snapshots / "cam-3"
    old_dir.mkdir()
    stamp = (NOW - 60 * DAY).timestamp()
    os.utime(old_dir, (stamp, stamp))

    report = purge(engine, RetentionPolicy(snapshots=30 * DAY), NOW, snapshots)

    assert report.snapshots == 3  # two old files and the link, which is old itself
    assert (snapshots / "cam-1" / "new.jpg").exists()
    assert not (snapshots / "cam-1" / "old.jpg").exists()
    assert not (snapshots / "cam-2" / "2025" / "old.jpg").exists()
    assert outside.exists()  # links are never followed out of the data dir
    assert not old_dir.exists()  # old and empty
    assert (snapshots / "cam-2").exists()  # emptied just now: goes on a later run


def test_missing_snapshots_folder_is_fine(engine: Engine, tmp_path: Path) -> None:
    report = purge(engine, RetentionPolicy(snapshots=DAY), NOW, tmp_path / "nowhere")
    assert report.snapshots == 0


def test_policy_checks_and_sources() -> None:
    with pytest.raises(ValueError):
        RetentionPolicy(events=timedelta(0))

    class SiteRetention:
        events = 90 * DAY
        alerts = 365 * DAY
        incidents = 730 * DAY
        snapshots = 30 * DAY
        audit = 2555 * DAY

    policy = RetentionPolicy.from_settings(SiteRetention())
    assert policy.audit == 2555 * DAY
    assert policy.describe()["snapshots"] == 30


def test_naive_now_is_refused(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        purge(engine, RetentionPolicy(events=DAY), datetime(2025, 1, 1), tmp_path)
