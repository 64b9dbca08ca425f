"""``artguard audit verify|show`` and ``artguard purge`` through the real command line app."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.store.audit import AuditLog

runner = CliRunner()


def _env(settings: Settings) -> dict[str, str]:
    return {
        "ARTGUARD_DATA_DIR": str(settings.data_dir),
        "ARTGUARD_DATABASE_URL": settings.resolved_database_url,
    }


def _options(settings: Settings) -> list[str]:
    return ["--data-dir", str(settings.data_dir), "--database-url", settings.resolved_database_url]


@pytest.fixture
def log(engine: Engine) -> AuditLog:
    log = AuditLog(engine)
    base = datetime(2025, 1, 1, tzinfo=UTC)
    for n in range(5):
        log.append("op:ana", "door.locked", f"door-{n}", {"n": n}, at=base + timedelta(days=n))
    log.append("op:bo", "incident.resolved", "inc-1", {"note": "cleared"})
    return log


def test_verify_intact_chain(settings: Settings, log: AuditLog) -> None:
    result = runner.invoke(app, ["audit", "verify"], env=_env(settings))
    assert result.exit_code == 0, result.output
    head = log.head()
    assert head is not None
    assert result.output == f"chain intact: 6 entries, head {head.hash}\n"


def test_verify_names_the_first_break_and_exits_1(
    settings: Settings, engine: Engine, log: AuditLog
) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor = 'op:eve' WHERE seq = 3"))
    result = runner.invoke(app, ["audit", "verify", *_options(settings)], env={})
    assert result.exit_code == 1
    assert result.output.startswith("chain broken at entry #3: edited:")


def test_verify_without_a_database_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "verify", "--data-dir", str(tmp_path / "none")])
    assert result.exit_code == 2
    assert "no audit log" in result.output


def test_show_lists_recent_entries_oldest_first(settings: Settings, log: AuditLog) -> None:
    result = runner.invoke(app, ["audit", "show", "--limit", "3"], env=_env(settings))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["seq", "time", "(UTC)", "actor", "action", "subject", "details"]
    assert [line.split()[0] for line in lines[1:]] == ["4", "5", "6"]
    assert "incident.resolved" in lines[-1] and '{"note":"cleared"}' in lines[-1]

    result = runner.invoke(app, ["audit", "show", "--action", "door.locked"], env=_env(settings))
    assert [line.split()[0] for line in result.output.splitlines()[1:]] == ["1", "2", "3", "4", "5"]


def test_purge_with_explicit_limits(settings: Settings, engine: Engine, log: AuditLog) -> None:
    result = runner.invoke(
        app, ["purge", "--audit", "30d", "--events", "forever", *_options(settings)], env={}
    )
    assert result.exit_code == 0, result.output
    assert re.search(r"^audit\s+5 deleted\s+\(older than 30 days\)$", result.output, re.M)
    assert re.search(r"^events\s+0 deleted\s+\(kept forever\)$", result.output, re.M)
    report = log.verify()
    assert report.ok
    (summary,) = log.entries(action="retention.purge")
    assert summary.details["deleted"]["audit"] == 5
    assert summary.details["limits_days"]["audit"] == 30


def test_purge_takes_limits_from_the_site_and_options_override_them(
    settings: Settings, engine: Engine, log: AuditLog, tmp_path: Path
) -> None:
    site = pytest.importorskip("artguard.site")
    site_file = site.init_site(tmp_path / "site", "museum")
    result = runner.invoke(
        app, ["purge", "--site", str(site_file), "--events", "12h"], env=_env(settings)
    )
    assert result.exit_code == 0, result.output
    (summary,) = log.entries(action="retention.purge")
    limits = summary.details["limits_days"]
    assert limits["events"] == 0.5
    assert limits["audit"] == 2555  # from the starter site
    assert "older than 12 hours" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "nothing to purge"), (["--events", "5x"], "--events")],
)
def test_purge_usage_errors(settings: Settings, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["purge", *args], env=_env(settings))
    assert result.exit_code == 2
    assert message in result.output
