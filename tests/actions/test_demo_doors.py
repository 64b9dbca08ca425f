"""The demo: its playbooks lock doors through the simulated lock controllers."""

from __future__ import annotations

import asyncio

from artguard.actions import records
from artguard.cli.service import bundled_demo_site
from artguard.config import Settings
from artguard.demo.doors import local_http_port, start_demo_doors
from artguard.events import utcnow
from artguard.runtime import Runtime
from artguard.site import load_site, parse_site
from tests.actions.helpers import free_port


async def test_a_forced_vault_door_in_the_demo_locks_the_vault(settings: Settings) -> None:
    assert local_http_port(load_site(bundled_demo_site())) == 8765
    port = free_port()  # the demo's own port may be taken on a shared machine
    text = bundled_demo_site().read_text().replace("127.0.0.1:8765", f"127.0.0.1:{port}")
    site = parse_site(text, "demo-site.yaml")
    assert local_http_port(site) == port
    runtime = Runtime(settings, site, live_clock=False)
    await runtime.start()
    doors = start_demo_doors(runtime)
    assert doors is not None
    try:
        forced = {
            "kind": "door_state",
            "device_id": "dc-vault",
            "door_id": "d-vault",
            "contact": "open",
            "site_time": utcnow().isoformat(),
        }
        await runtime.ingest.submit([forced], token=None, source="t", trusted=True)
        incident_id = None
        for _ in range(300):
            await runtime.bus.drain()
            with runtime.engine.connect() as conn:
                row = conn.exec_driver_sql("SELECT id FROM incidents").first()
            if row is not None:
                incident_id = row[0]
                done = records.actions_for(runtime.engine, incident_id)
                if any(a["action"] == "lock_doors" for a in done):
                    break
            await asyncio.sleep(0.01)
        assert incident_id is not None
        await runtime.actions.drain()
        [run] = records.runs_for(runtime.engine, incident_id)
        assert run["playbook_id"] == "vault-breach"
        locks = [
            a
            for a in records.actions_for(runtime.engine, incident_id)
            if a["action"] == "lock_doors"
        ]
        assert {(a["target"], a["status"]) for a in locks} == {("d-vault", "confirmed")}
        assert doors.locked == {"d-vault": True} and doors.contacts["d-vault"] == "open"
        for _ in range(200):  # the pager webhook is the simulator too
            if doors.notifications:
                break
            await asyncio.sleep(0.01)
        assert any(n["device_id"] == "playbooks" for n in doors.notifications)
    finally:
        await doors.stop()
        await runtime.stop()
