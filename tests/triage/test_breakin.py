"""Done-means of issue #5: a scripted break-in becomes one high-risk incident naming all four
signals, announced within 2 s of the last event, through the real pipeline."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from artguard.actions import records
from artguard.api.app import create_app
from artguard.config import Settings
from artguard.demo.doors import DoorSimulator
from artguard.events import EventBase, IncidentChanged, utcnow
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.triage import repository as repo
from tests.actions.helpers import free_port, http_doors, receiver, site_with, webhook_channel
from tests.conftest import NIGHT, SMALL_SITE, signed_in
from tests.triage.helpers import break_in

HOUR = timedelta(hours=1)


async def test_break_in_is_one_high_risk_theft_incident_within_two_seconds(
    runtime: Runtime,
) -> None:
    changes: list[tuple[float, IncidentChanged]] = []

    async def listen(event: EventBase) -> None:
        if isinstance(event, IncidentChanged):
            changes.append((time.perf_counter(), event))

    runtime.bus.subscribe("test-incidents", listen, kinds={"incident"})
    items = break_in()
    for item in items[:-1]:
        result = await runtime.ingest.submit([item], token=None, source="t", trusted=True)
        assert not result.rejected, result.rejected
    sent = time.perf_counter()
    await runtime.ingest.submit(items[-1:], token=None, source="t", trusted=True)
    await runtime.bus.drain()

    with runtime.engine.connect() as conn:
        rows = repo.list_incident_rows(conn, statuses=None, limit=10)
    assert len(rows) == 1, [(r.title, r.pattern) for r in rows]
    incident = rows[0]
    assert incident.pattern == "theft_in_progress"
    assert incident.title == "Theft in progress: Hall, Gallery"
    assert incident.score >= 0.85 and incident.severity == "critical"
    rules = {c["rule"]: c for c in incident.contributions}
    assert set(rules) == {
        "door_forced",
        "after_hours_presence",
        "sensor_threshold",
        "camera_sabotage",
    }
    assert all(c["weight"] > 0.3 and not c["suppressed"] for c in rules.values())
    assert "after hours" in rules["door_forced"]["why"]
    assert "artwork value tier 4" in rules["sensor_threshold"]["why"]
    assert rules["sensor_threshold"]["artwork"] == "aw-1"
    assert "next to hall" in rules["after_hours_presence"]["link"]  # joined through adjacency
    assert any("vibration (aw-1)" in r for r in incident.pattern_reasons)

    last = [c for c in changes if c[1].alert_count == 4]
    assert last, "the four-alert state of the incident was announced"
    latency = last[0][0] - sent
    assert latency < 2.0
    announced = last[0][1]
    assert announced.pattern == "theft_in_progress" and announced.score == incident.score


def _wait_for(client: TestClient, alerts: int) -> list[dict]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        listed = client.get("/api/incidents").json()
        if listed and listed[0]["alert_count"] >= alerts:
            return listed
        time.sleep(0.05)
    raise AssertionError(f"no incident with {alerts} alerts within 5 s: {listed}")


def test_incident_api_lists_score_pattern_contributions_and_kpis(
    settings: Settings, small_site: Site
) -> None:
    runtime = Runtime(settings, small_site, site_path=SMALL_SITE, live_clock=False)
    with TestClient(create_app(runtime)) as client:
        token = runtime.tokens.create("all", ["*"])[1]
        signed_in(client, "supervisor")
        sent = client.post(
            "/api/events", json=break_in(), headers={"Authorization": f"Bearer {token}"}
        )
        assert sent.status_code == 200, sent.text
        listed = _wait_for(client, 4)
        assert len(listed) == 1 and listed[0]["risk"] == "high"
        one = client.get(f"/api/incidents/{listed[0]['id']}").json()
        # incidents count by when they were detected (now); the events happen at NIGHT
        since, until = min(utcnow(), NIGHT) - timedelta(days=1), max(utcnow(), NIGHT) + HOUR
        period = {"since": since.isoformat(), "until": until.isoformat()}
        kpis = client.get("/api/kpis", params=period).json()
        naive = client.get("/api/kpis", params={"since": "2026-11-01T00:00:00"})
    assert one["pattern"] == "theft_in_progress"
    assert len(one["contributions"]) == 4
    assert {"alert_id", "rule", "room", "weight", "why"} <= set(one["contributions"][0])
    linked = [a for a in one["alerts"] if a["correlation"]]
    assert len(linked) == 3  # every alert but the first says why it joined
    assert kpis["by_pattern"] == {"theft_in_progress": 1} and kpis["by_risk"] == {"high": 1}
    # covered from 02:00:45 to the end of the period
    cam = kpis["uptime"]["cameras"]["by_device"]["cam-1"]
    down = (until - NIGHT).total_seconds() - 45
    assert cam["down_s"] == pytest.approx(down, abs=0.1)  # reported to 0.1 s
    assert cam["uptime"] == pytest.approx(1 - down / (until - since).total_seconds(), abs=1e-5)
    assert naive.status_code == 422 and "time zone" in naive.json()["detail"]


@pytest.mark.services
async def test_break_in_on_postgresql(pg_settings: Settings, small_site: Site) -> None:
    runtime = Runtime(pg_settings, small_site, site_path=SMALL_SITE, live_clock=False)
    assert runtime.engine.dialect.name == "postgresql"
    async with runtime:
        await runtime.ingest.submit(break_in(), token=None, source="t", trusted=True)
        await runtime.bus.drain()
        with runtime.engine.connect() as conn:
            rows = repo.list_incident_rows(conn, statuses=None, limit=10)
            alerts = repo.list_alert_rows(conn, incident_id=rows[0].id)
    assert len(rows) == 1 and rows[0].pattern == "theft_in_progress" and rows[0].score > 0.85
    assert len(rows[0].contributions) == 4 and sum(1 for a in alerts if a.correlation) == 3


async def test_break_in_runs_the_theft_playbook_within_two_seconds(settings: Settings) -> None:
    """The done-means with actions: the one incident locks its rooms' doors (confirmed by the
    door controller simulator) and the supervisor's notification is delivered, all within 2 s
    of the last event."""
    playbook = """
playbooks:
  - id: theft
    when: {patterns: [theft_in_progress], min_score: 0.7}
    do:
      - lock_doors: incident_rooms
      - notify: {channel: hook, audience: supervisor}
"""
    door_port = free_port()
    with receiver() as (pager, hook_port):
        site = site_with(playbook + http_doors(door_port) + webhook_channel(hook_port))
        runtime = Runtime(settings, site, live_clock=False)
        await runtime.start()

        async def emit(items: list[dict]) -> object:
            return await runtime.ingest.submit(items, token=None, source="lockctl", trusted=True)

        doors = DoorSimulator(site, emit)
        runtime.bus.subscribe("door-sim", doors.observe, kinds={"door_state"})
        doors.start_http(port=door_port)
        try:
            items = break_in()
            for item in items[:-1]:
                await runtime.ingest.submit([item], token=None, source="t", trusted=True)
            sent = time.perf_counter()
            await runtime.ingest.submit(items[-1:], token=None, source="t", trusted=True)
            done_at, incident_id = None, None
            while time.perf_counter() - sent < 2.0:
                with runtime.engine.connect() as conn:
                    rows = repo.list_incident_rows(conn, statuses=None, limit=10)
                if rows and rows[0].alert_count >= 4:
                    incident_id = rows[0].id
                    acts = records.actions_for(runtime.engine, incident_id)
                    locks = {a["target"]: a["status"] for a in acts if a["action"] == "lock_doors"}
                    ok = [
                        d
                        for d in records.deliveries_for(runtime.engine, incident_id=incident_id)
                        if d["status"] == "ok"
                    ]
                    if (
                        locks == {"d-front": "confirmed", "d-vault": "confirmed"}
                        and any(p["device_id"] == "playbooks" for p in pager.received)
                        and ok
                    ):
                        done_at = time.perf_counter()
                        break
                await asyncio.sleep(0.01)
            assert done_at is not None, (
                "playbook actions not complete within 2 s",
                records.actions_for(runtime.engine, incident_id or ""),
            )
            assert done_at - sent < 2.0
            await runtime.bus.drain()
            await runtime.actions.drain()
            with runtime.engine.connect() as conn:
                rows = repo.list_incident_rows(conn, statuses=None, limit=10)
            assert len(rows) == 1 and rows[0].pattern == "theft_in_progress"
            # the four signals; the front door, still open when its lock reports, may also
            # be held open by then: a fifth alert in the same incident
            assert {c["rule"] for c in rows[0].contributions} >= {
                "door_forced",
                "after_hours_presence",
                "sensor_threshold",
                "camera_sabotage",
            }
            assert [r["playbook_id"] for r in records.runs_for(runtime.engine, rows[0].id)] == [
                "theft"
            ]
            assert doors.locked == {"d-front": True, "d-vault": True}
            assert doors.contacts.get("d-front") == "open"  # reported back as it was
        finally:
            await doors.stop()
            await runtime.stop()
