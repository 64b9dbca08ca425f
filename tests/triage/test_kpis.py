"""KPIs from a constructed store, on SQLite and PostgreSQL, and ``artguard kpi``."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.site import Site
from artguard.store.db import open_database
from artguard.store.tables import events, incidents
from artguard.triage.kpis import incident_kpis
from tests.conftest import SMALL_SITE

SINCE = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
UNTIL = SINCE + timedelta(days=2)
runner = CliRunner()


def _incident(
    name: str,
    pattern: str,
    score: float,
    detected: datetime,
    detect_s: float,
    status: str = "open",
    ack_s: float | None = None,
    close_s: float | None = None,
) -> dict[str, Any]:
    return {
        "id": f"inc-{name}",
        "title": name,
        "status": status,
        "severity": "high",
        "pattern": pattern,
        "room_id": "vault",
        "alert_count": 1,
        "first_event_time": detected - timedelta(seconds=detect_s),
        "detected_time": detected,
        "last_alert_time": detected,
        "acknowledged_time": detected + timedelta(seconds=ack_s) if ack_s else None,
        "resolved_time": detected + timedelta(seconds=close_s) if close_s else None,
        "updated_time": detected,
        "score": score,
    }


def _event(kind: str, device: str, when: datetime, **payload: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4().hex,
        "kind": kind,
        "device_id": device,
        "site_time": when,
        "received_time": when,
        "payload": json.dumps({"kind": kind, "device_id": device, **payload}),
    }


def fill(engine: Engine) -> None:
    """Three incidents in the period (one a false alarm), one before it; cam-1 offline for an
    hour; t-vault reporting every minute but silent for 30 minutes; vib-aw-1 twice only;
    rh-vault and pir-gallery never."""
    day1, day2 = SINCE + timedelta(hours=2), SINCE + timedelta(days=1, hours=3)
    rows = [
        _incident("a", "theft_in_progress", 0.9, day1, 2, "resolved", 60, 600),
        _incident(
            "b", "environmental_risk", 0.2, day1 + timedelta(hours=8), 5, "false_alarm", 120, 300
        ),
        _incident("c", "door_held_open", 0.15, day2, 1),
        _incident("old", "tailgating", 0.3, SINCE - timedelta(hours=1), 9, "false_alarm", 1, 2),
    ]
    readings = []
    t = SINCE
    while t <= UNTIL:
        if not (SINCE + timedelta(hours=5) < t < SINCE + timedelta(hours=5, minutes=30)):
            readings.append(_event("sensor_reading", "t-vault", t, value=20.0))
        t += timedelta(seconds=60)
    readings += [
        _event("sensor_reading", "vib-aw-1", SINCE + timedelta(hours=h), value=0.0) for h in (1, 2)
    ]
    cameras = [
        _event("camera_health", "cam-1", SINCE + timedelta(hours=1), status="offline"),
        _event("camera_health", "cam-1", SINCE + timedelta(hours=2), status="online"),
    ]
    with engine.begin() as conn:
        conn.execute(incidents.insert(), rows)
        conn.execute(events.insert(), readings + cameras)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.services)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    settings = (
        Settings(data_dir=tmp_path / "var")
        if request.param == "sqlite"
        else request.getfixturevalue("pg_settings")
    )
    engine = open_database(settings)
    fill(engine)
    yield engine
    engine.dispose()


def test_kpis_over_a_constructed_period(store: Engine, small_site: Site) -> None:
    with store.connect() as conn:
        kpis = incident_kpis(conn, SINCE, UNTIL, small_site)
    assert kpis["incidents"] == 3  # the one detected before the period is not counted
    assert kpis["false_alarm_rate"] == 0.5  # one false alarm of two closed
    assert kpis["verdicts"] == {"false_alarm": 1, "resolved": 1}
    assert kpis["time_to_detect_s"]["median"] == 2.0
    assert kpis["time_to_detect_s"]["p90"] == pytest.approx(4.4)
    assert kpis["time_to_acknowledge_s"]["median"] == 90.0
    assert kpis["time_to_resolve_s"]["count"] == 2
    assert kpis["by_risk"] == {"high": 1, "low": 2}
    # days on the site's calendar (London = UTC in November)
    assert kpis["per_day_by_pattern"] == {
        "2026-11-02": {"theft_in_progress": 1, "environmental_risk": 1},
        "2026-11-03": {"door_held_open": 1},
    }
    cams = kpis["uptime"]["cameras"]
    assert cams["by_device"]["cam-1"]["down_s"] == 3600
    assert cams["mean"] == pytest.approx(1 - 3600 / (2 * 86400), abs=1e-5)
    sensors = kpis["uptime"]["sensors"]["by_device"]
    assert sensors["t-vault"]["down_s"] == pytest.approx(30 * 60 - 60)  # silence minus one interval
    assert sensors["rh-vault"]["uptime"] == 0.0 and sensors["pir-gallery"]["uptime"] == 0.0
    assert sensors["vib-aw-1"]["uptime"] is None and "rhythm unknown" in sensors["vib-aw-1"]["note"]
    assert "gb-gallery" not in sensors  # glass-break detectors report on events, not a clock
    assert kpis["uptime"]["sensors"]["worst"][:2] == ["pir-gallery", "rh-vault"]


def test_empty_period_is_refused(store: Engine) -> None:
    with store.connect() as conn, pytest.raises(ValueError, match="empty period"):
        incident_kpis(conn, UNTIL, SINCE)


def test_kpi_command_prints_text_and_json(tmp_path: Path) -> None:
    engine = open_database(Settings(data_dir=tmp_path))
    fill(engine)
    engine.dispose()
    args = ["kpi", "--since", SINCE.isoformat(), "--until", UNTIL.isoformat()]
    args += ["--data-dir", str(tmp_path), "--site", str(SMALL_SITE)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "incidents             3" in result.output
    assert "false-positive rate   50.0%  (1 false alarm(s) of 2 closed)" in result.output
    assert "2026-11-02  theft_in_progress 1, environmental_risk 1" in result.output
    assert (
        "camera uptime         mean 97.9% over 1 of 1 cameras; lowest: cam-1 97.9%" in result.output
    )
    as_json = runner.invoke(app, [*args, "--json"])
    assert json.loads(as_json.output)["incidents"] == 3


def test_kpi_command_default_is_the_last_week(tmp_path: Path) -> None:
    result = runner.invoke(app, ["kpi", "--data-dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    kpis = json.loads(result.output)
    since = datetime.fromisoformat(kpis["period"]["since"])
    until = datetime.fromisoformat(kpis["period"]["until"])
    assert until - since == timedelta(days=7) and kpis["incidents"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "yesterday"], "--since"),
        (["--since", "1d", "--until", "2d"], "is not before --until"),
    ],
)
def test_kpi_command_bad_period(tmp_path: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["kpi", "--data-dir", str(tmp_path), *args])
    assert result.exit_code == 2 and message in result.output
