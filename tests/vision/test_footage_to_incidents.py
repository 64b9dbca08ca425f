"""Real footage end to end: camera pipeline -> events -> rules -> incidents.

``artguard analyze`` runs the real detector and tracker on the PETS plaza clip (vtest.avi) as
camera ``cam-1`` of a site with a restricted zone, a loitering zone and a counting line drawn
on it; its events are then replayed through the service's pipeline, exactly as a camera worker
would submit them, and must come out as incidents with the right rules.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from artguard.cli import app
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import load_site
from artguard.triage import repository as repo
from tests.conftest import FIXTURES

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
VTEST = SHARED / "video" / "vtest.avi"
PLAZA_SITE = FIXTURES / "plaza-site.yaml"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def plaza_events(tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    if not VTEST.exists():
        pytest.skip(f"{VTEST} not present (shared reference data)")
    out = tmp_path_factory.mktemp("analyze") / "tracks.txt"
    result = CliRunner().invoke(
        app,
        [
            "analyze",
            str(VTEST),
            "--camera",
            "cam-1",
            "--site",
            str(PLAZA_SITE),
            "--fps",
            "5",
            "--max-frames",
            "100",
            "--start",
            "2026-11-23T12:00:00+00:00",
            "--tracks-out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    mot = out.read_text().splitlines()
    assert mot and all(len(row.split(",")) == 10 for row in mot)
    return lines


def test_analyze_finds_and_tracks_people(plaza_events: list[dict]) -> None:
    detections = [e for e in plaza_events if e["kind"] == "detection"]
    assert len(detections) > 50
    track_ids = {o["track_id"] for e in detections for o in e["objects"]}
    assert len(track_ids) >= 5  # a busy plaza: several people, each with a stable id
    busiest = max(len(e["objects"]) for e in detections)
    assert busiest >= 3


async def test_plaza_footage_becomes_incidents(plaza_events: list[dict], tmp_path: Path) -> None:
    site = load_site(PLAZA_SITE)
    runtime = Runtime(Settings(data_dir=tmp_path), site, site_path=PLAZA_SITE, live_clock=False)
    async with runtime:
        items = [{k: v for k, v in e.items() if k != "received_time"} for e in plaza_events]
        result = await runtime.ingest.submit(items, token=None, source="t", trusted=True)
        assert not result.rejected, result.rejected[:3]
        await runtime.bus.drain()
        with runtime.engine.connect() as conn:
            alerts = repo.list_alert_rows(conn, limit=500)
            incidents = repo.list_incident_rows(conn, statuses=None, limit=50)
        rules = {a.rule for a in alerts}
        assert "restricted_zone" in rules, rules
        assert incidents and all(i.room_id == "gallery" for i in incidents)
        zone_alert = next(a for a in alerts if a.rule == "restricted_zone")
        assert "Behind the rope" in " ".join(zone_alert.reasons)
        assert sum(runtime.occupancy.line_totals().get("l-middle", {}).values()) > 0
