"""Retention of the kinds privacy added: access events, watch flags, face templates; and every
purge run is audited, even one that fails."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from artguard.biometrics.templates import TemplateStore
from artguard.config import Settings
from artguard.privacy.template_retention import TemplateRetention, why_due
from artguard.site import Site, parse_site
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from artguard.store.retention import PurgeReport, RetentionPolicy, purge
from artguard.store.tables import events, watch_flags
from tests.privacy.conftest import PEOPLE, consent, descriptors

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return open_database(Settings(data_dir=tmp_path / "var"))


def _event(n: int, kind: str, age: timedelta) -> dict:
    return {
        "id": f"{kind}-{n}",
        "kind": kind,
        "device_id": "r-front",
        "site_time": NOW - age,
        "received_time": NOW - age,
        "payload": "{}",
    }


def _flag(visitor: str, age: timedelta) -> dict:
    when = NOW - age
    return {
        "visitor_id": visitor,
        "status": "raised",
        "first_seen": when,
        "raised_time": when,
        "updated_time": when,
        "reason_kinds": ["lingering"],
        "reasons": ["x"],
        "evidence": {},
        "cameras": [],
        "tracks": [],
        "learned": False,
    }


def test_access_events_go_by_their_own_limit_and_flags_by_theirs(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(
            events.insert(),
            [
                _event(1, "door_state", 20 * DAY),
                _event(2, "door_state", 5 * DAY),
                _event(3, "access_decision", 20 * DAY),
                _event(4, "access_attempt", 50 * DAY),
                _event(5, "access_decision", 5 * DAY),
            ],
        )
        conn.execute(watch_flags.insert(), [_flag("v-old", 3 * DAY), _flag("v-new", DAY / 2)])
    policy = RetentionPolicy(events=10 * DAY, access=30 * DAY, watch_flags=2 * DAY)
    report = purge(engine, policy, NOW, Path("/nonexistent"))

    assert (report.events, report.access, report.watch_flags) == (1, 1, 1)
    with engine.connect() as conn:
        left = set(conn.execute(select(events.c.id)).scalars())
        flags = set(conn.execute(select(watch_flags.c.visitor_id)).scalars())
    # door events past 10 days go; an access decision of 20 days stays (limit 30)
    assert left == {"door_state-2", "access_decision-3", "access_decision-5"}
    assert flags == {"v-new"}
    (entry,) = AuditLog(engine).entries(action="retention.purge")
    assert entry.details["deleted"]["access"] == 1
    assert entry.details["deleted"]["watch_flags"] == 1
    assert entry.details["limits_days"]["access"] == 30


def test_access_events_are_kept_when_only_events_has_a_limit(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(events.insert(), [_event(1, "access_decision", 200 * DAY)])
    purge(engine, RetentionPolicy(events=DAY), NOW, Path("/nonexistent"))
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 1


def _site(credentials_p2: str = "[{id: badge-2, type: card}]") -> Site:
    from tests.conftest import SMALL_SITE

    text = SMALL_SITE.read_text()
    people = PEOPLE.replace("[{id: badge-2, type: card}]", credentials_p2)
    people += """  - id: p-3
    name: Casey Hall
    role: guard
    credentials: [{id: badge-3, type: card}]
"""
    start, end = text.index("people:\n"), text.index("policies:\n")
    return parse_site(text[:start] + people + text[end:])


def test_templates_are_erased_when_due_and_the_run_is_audited(
    engine: Engine, tmp_path: Path
) -> None:
    site = _site("[{id: badge-2, type: card, valid_until: 2026-10-31}]")
    log = AuditLog(engine)
    store = TemplateStore(tmp_path / "templates", secrets.token_bytes(32), log)
    enrolled = NOW - 100 * DAY
    store.enrol("p-1", descriptors(1), consent("Alex"), timedelta(days=365), now=enrolled)
    store.enrol("p-2", descriptors(2), consent("Blair"), timedelta(days=365), now=enrolled)
    store.enrol("p-3", descriptors(3), consent("Casey"), timedelta(days=50), now=enrolled)
    store.enrol("p-gone", descriptors(4), consent("Dee"), timedelta(days=365), now=enrolled)

    report = purge(
        engine,
        RetentionPolicy(biometric_templates=365 * DAY),
        NOW,
        tmp_path / "snapshots",
        templates=TemplateRetention(store, site),
    )

    assert report.biometric_templates == 3
    assert [t.person_id for t in store.templates()] == ["p-1"]
    reasons = {e.subject: e.details["reason"] for e in log.entries(action="biometric.erase")}
    assert reasons == {
        "p-2": "retention: all credentials expired",
        "p-3": "retention: consent period ended",
        "p-gone": "retention: person no longer in the site file",
    }
    (entry,) = log.entries(action="retention.purge")
    assert entry.details["deleted"]["biometric_templates"] == 3
    assert log.verify().ok


def test_the_site_limit_caps_a_long_consent_period(tmp_path: Path) -> None:
    site = _site()
    store = TemplateStore(tmp_path / "t", secrets.token_bytes(32))
    template = store.enrol(
        "p-1", descriptors(1), consent("Alex"), timedelta(days=3000), now=NOW - 400 * DAY
    )
    assert why_due(template, site, NOW, 365 * DAY) == "retention.biometric_templates reached"
    assert why_due(template, site, NOW, None) is None


def test_an_unreadable_template_is_reported_not_fatal(engine: Engine, tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    TemplateStore(folder, secrets.token_bytes(32)).enrol(
        "p-1", descriptors(1), consent("Alex"), now=NOW
    )  # written under another key
    store = TemplateStore(folder, secrets.token_bytes(32))
    report = purge(
        engine, RetentionPolicy(), NOW, tmp_path, templates=TemplateRetention(store, _site())
    )
    assert report == PurgeReport()
    (entry,) = AuditLog(engine).entries(action="retention.purge")
    assert "another key" in entry.details["problems"][0]


def test_without_a_template_key_the_run_says_templates_were_skipped(engine: Engine) -> None:
    purge(engine, RetentionPolicy(biometric_templates=DAY), NOW, Path("/nonexistent"))
    (entry,) = AuditLog(engine).entries(action="retention.purge")
    assert entry.details["skipped"] == {"biometric_templates": "no template key configured"}


def test_a_failing_run_is_still_audited(engine: Engine, tmp_path: Path) -> None:
    class Broken:
        def purge_templates(self, now: datetime, max_age: timedelta | None) -> tuple[int, list]:
            raise OSError("disk unplugged")

    with engine.begin() as conn:
        conn.execute(events.insert(), [_event(1, "door_state", 20 * DAY)])
    with pytest.raises(OSError, match="unplugged"):
        purge(engine, RetentionPolicy(events=DAY), NOW, tmp_path, templates=Broken())  # type: ignore[arg-type]
    (entry,) = AuditLog(engine).entries(action="retention.purge")
    assert entry.details["deleted"]["events"] == 1
    assert entry.details["error"] == "OSError: disk unplugged"
    assert json.dumps(entry.details)
