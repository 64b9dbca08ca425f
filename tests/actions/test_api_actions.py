"""The action routes: door overrides (who may), command history, an incident's actions and
the one-click lock of its rooms' doors."""

from __future__ import annotations

import asyncio
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient

from artguard.api.app import BackgroundTask
from artguard.config import Settings
from artguard.demo.doors import DoorSimulator
from artguard.runtime import Runtime
from tests.actions.helpers import api_client, free_port, http_doors, site_with
from tests.triage.helpers import break_in


@dataclass
class Served:
    runtime: Runtime
    background: list[BackgroundTask]
    simulators: list[DoorSimulator] = field(default_factory=list)

    def client(self, role: str) -> AbstractContextManager[TestClient]:
        return api_client(self.runtime, role, background=self.background)


@pytest.fixture
def served(settings: Settings) -> Served:
    """A runtime whose doors are the simulator's, served on the app's own event loop."""
    port = free_port()
    site = site_with(http_doors(port))
    made = Served(Runtime(settings, site, live_clock=False), [])

    async def doors(rt: Runtime) -> None:
        async def emit(items: list[dict]) -> object:
            return await rt.ingest.submit(items, token=None, source="sim", trusted=True)

        simulator = DoorSimulator(site, emit)
        simulator.start_http(port=port)
        made.simulators.append(simulator)
        try:
            await asyncio.Event().wait()
        finally:
            await simulator.stop()

    made.background.append(doors)
    return made


def test_operators_lock_supervisors_unlock_and_every_command_is_kept(served: Served) -> None:
    with served.client("operator") as client:
        locked = client.post("/api/doors/d-vault/lock", json={"reason": "suspicious person"})
        assert locked.status_code == 200, locked.text
        assert locked.json()["status"] == "confirmed"
        refused = client.post("/api/doors/d-vault/unlock", json={"reason": "ok"})
        assert refused.status_code == 403
        no_reason = client.post("/api/doors/d-vault/lock", json={"reason": " "})
        assert no_reason.status_code == 422
        unknown = client.post("/api/doors/d-attic/lock", json={"reason": "x"})
        assert unknown.status_code == 404 and "d-attic" in unknown.json()["detail"]
        history = client.get("/api/doors/d-vault/commands").json()
    assert [(c["command"], c["status"], c["override"]) for c in history] == [
        ("lock", "confirmed", True)
    ]
    assert served.simulators[0].locked == {"d-vault": True}


def test_a_supervisor_unlocks_during_a_lockdown(served: Served) -> None:
    runtime = served.runtime
    with served.client("supervisor") as client:
        level = client.put(
            "/api/access/threat-level", json={"level": "lockdown", "reason": "drill"}
        )
        assert level.status_code == 200, level.text
        unlocked = client.post("/api/doors/d-front/unlock", json={"reason": "let the police in"})
        assert unlocked.status_code == 200 and unlocked.json()["status"] == "confirmed"
    audit = runtime.audit.entries(action="door.override", subject="d-front")
    assert audit[0].details["command"] == "unlock" and audit[0].actor == "test-supervisor"
    assert served.simulators[0].locked == {"d-front": False}


def test_one_click_locks_the_incident_rooms_and_lists_the_actions(served: Served) -> None:
    runtime = served.runtime
    with served.client("operator") as client:
        token = runtime.tokens.create("all", ["*"])[1]
        sent = client.post(
            "/api/events", json=break_in(), headers={"Authorization": f"Bearer {token}"}
        )
        assert sent.status_code == 200, sent.text
        deadline = time.monotonic() + 5
        # Until the break-in's four alerts are filed (its rooms grow as they join).
        while time.monotonic() < deadline:
            listed = client.get("/api/incidents").json()
            if listed and listed[0]["alert_count"] >= 4:
                break
            time.sleep(0.05)
        incident_id = listed[0]["id"]
        made = client.post(f"/api/incidents/{incident_id}/lock-doors", json={"reason": "intruder"})
        assert made.status_code == 200, made.text
        assert {(a["target"], a["status"]) for a in made.json()} == {
            ("d-front", "confirmed"),
            ("d-vault", "confirmed"),
        }
        listed_actions = client.get(f"/api/incidents/{incident_id}/actions").json()
        missing = client.get("/api/incidents/nope/actions")
    assert missing.status_code == 404
    assert listed_actions["runs"] == []  # no playbook in this site
    assert {a["actor"] for a in listed_actions["actions"]} == {"test-operator"}
    assert {a["playbook_id"] for a in listed_actions["actions"]} == {None}
    overrides = runtime.audit.entries(action="door.override")
    assert {e.subject for e in overrides} == {"d-front", "d-vault"}
