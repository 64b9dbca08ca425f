"""Operator feedback through the HTTP API and the ``artguard triage`` commands."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from artguard.api.app import create_app
from artguard.cli import app as cli
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import NIGHT, SMALL_SITE, signed_in
from tests.triage.helpers import make_alert

KEY = "sensor_threshold,pir-gallery,night"
runner = CliRunner()


def make_client(settings: Settings, site: Site) -> TestClient:
    """The one place API tests of this module build their client."""
    runtime = Runtime(settings, site, site_path=SMALL_SITE, live_clock=False)
    return TestClient(create_app(runtime))


@pytest.fixture
def client(settings: Settings, small_site: Site) -> Iterator[TestClient]:
    """Signed in as a supervisor: reads and reverts feedback."""
    with make_client(settings, small_site) as test_client:
        signed_in(test_client, "supervisor", "chief")
        yield test_client


def test_adjustments_are_listed_reverted_and_reapplied(client: TestClient) -> None:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    assert client.get("/api/triage/adjustments").json() == []
    ids = client.portal.call(_file, runtime, 3)  # type: ignore[union-attr]

    listed = client.get("/api/triage/adjustments").json()
    assert [item["key"] for item in listed] == [KEY]
    item = listed[0]
    assert item["false_alarms"] == 3 and item["confirmed"] == 0
    assert item["factor"] == pytest.approx(4 / 7, abs=1e-3)
    assert item["why"].startswith("x0.57: 3 of 3 incidents with motion from pir-gallery at night")
    assert item["examples"][0]["incident_id"] == ids[-1] and item["since"]
    assert client.get(f"/api/triage/adjustments/{KEY}").json()["key"] == KEY

    body = {"actor": "chief", "reason": "sensor re-aimed"}
    reverted = client.post(f"/api/triage/adjustments/{KEY}/revert", json=body)
    assert reverted.status_code == 200, reverted.text
    assert reverted.json()["factor"] == 1.0 and reverted.json()["reverted"] == 3
    assert reverted.json()["last_change"]["action"] == "reverted"
    again = client.post(f"/api/triage/adjustments/{KEY}/revert", json=body)
    assert again.status_code == 409 and "already reverted" in again.json()["detail"]

    one = client.post(
        f"/api/triage/adjustments/{KEY}/reapply",
        json={"actor": "chief", "reason": "that one stands", "incident_id": ids[0]},
    )
    assert one.status_code == 200 and one.json()["false_alarms"] == 1
    assert one.json()["factor"] == pytest.approx(0.8)


def test_bad_requests_say_what_is_wrong(client: TestClient) -> None:
    unknown = client.post(
        "/api/triage/adjustments/door_forced,dc-front,night/revert",
        json={"actor": "chief", "reason": "r"},
    )
    assert unknown.status_code == 404 and "door_forced,dc-front,night" in unknown.json()["detail"]
    bad = client.post("/api/triage/adjustments/nonsense/revert", json={"actor": "c", "reason": "r"})
    assert bad.status_code == 422 and "malformed feedback key" in bad.json()["detail"]
    assert client.get("/api/triage/adjustments/a,b,night").status_code == 404
    no_reason = client.post(f"/api/triage/adjustments/{KEY}/revert", json={"actor": "chief"})
    assert no_reason.status_code == 422


def test_incident_contributions_show_the_factor(client: TestClient) -> None:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    client.portal.call(_file, runtime, 2)  # type: ignore[union-attr]
    latest = client.portal.call(_open_one, runtime, 5)  # type: ignore[union-attr]
    detail = client.get(f"/api/incidents/{latest}").json()
    feedback = detail["contributions"][0]["feedback"]
    assert feedback["key"] == KEY and feedback["factor"] == pytest.approx(2 / 3, abs=1e-3)
    assert "2 of 2 incidents with motion from pir-gallery at night" in feedback["reason"]


async def _file(runtime: Runtime, count: int) -> list[str]:
    ids = []
    for day in range(count):
        alert = make_alert(
            "sensor_threshold", "gallery", 0, device="pir-gallery", base=NIGHT + timedelta(days=day)
        )
        filing = await runtime.incidents.file(alert)
        await runtime.incidents.transition(filing.incident_id, "false_alarm", "sam", "cleaner")
        ids.append(filing.incident_id)
    return ids


async def _open_one(runtime: Runtime, day: int) -> str:
    alert = make_alert(
        "sensor_threshold", "gallery", 0, device="pir-gallery", base=NIGHT + timedelta(days=day)
    )
    return (await runtime.incidents.file(alert)).incident_id


def test_cli_lists_reverts_and_reapplies(tmp_path: Path, small_site: Site) -> None:
    settings = Settings(data_dir=tmp_path)

    async def seed() -> None:
        async with Runtime(settings, small_site, live_clock=False) as runtime:
            await _file(runtime, 2)

    asyncio.run(seed())
    where = ["--data-dir", str(tmp_path), "--site", str(SMALL_SITE)]
    listed = runner.invoke(cli, ["triage", "adjustments", *where])
    assert listed.exit_code == 0, listed.output
    assert KEY in listed.output and "x0.67" in listed.output and "2 false alarm(s)" in listed.output
    as_json = json.loads(runner.invoke(cli, ["triage", "adjustments", "--json", *where]).output)
    assert as_json[0]["false_alarms"] == 2

    reverted = runner.invoke(
        cli, ["triage", "revert", KEY, "--reason", "re-aimed", "--actor", "chief", *where]
    )
    assert reverted.exit_code == 0, reverted.output
    assert "x1.00" in reverted.output and "reverted by chief" in reverted.output
    twice = runner.invoke(cli, ["triage", "revert", KEY, "--reason", "again", *where])
    assert twice.exit_code == 2 and "already reverted" in twice.output
    missing = runner.invoke(cli, ["triage", "revert", "a,b,night", "--reason", "r", *where])
    assert missing.exit_code == 1 and "no verdicts" in missing.output
    back = runner.invoke(cli, ["triage", "reapply", KEY, "--reason", "undo", *where])
    assert back.exit_code == 0 and "reapplied by cli" in back.output

    async def audited() -> list[str]:
        async with Runtime(settings, small_site, live_clock=False) as runtime:
            return [e.action for e in runtime.audit.entries(limit=500, subject=KEY)]

    assert asyncio.run(audited()) == ["feedback.reverted", "feedback.reapplied"]


@pytest.mark.parametrize("role", ["operator", "auditor"])
def test_readers_read_but_only_supervisors_and_admins_revert(client: TestClient, role: str) -> None:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    client.portal.call(_file, runtime, 1)  # type: ignore[union-attr]
    signed_in(client, role)
    assert client.get("/api/triage/adjustments").status_code == 200
    body = {"actor": "chief", "reason": "r"}
    assert client.post(f"/api/triage/adjustments/{KEY}/revert", json=body).status_code == 403
    signed_in(client, "admin", "root-admin")
    done = client.post(f"/api/triage/adjustments/{KEY}/revert", json=body)
    assert done.status_code == 200 and done.json()["last_change"]["by"] == "root-admin"
    entry = runtime.audit.entries(action="feedback.reverted")[0]
    assert entry.actor == "root-admin"  # the signed-in user, not what the body claims
