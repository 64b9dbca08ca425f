"""Playbooks run on matching incidents, once each (also across restarts), every action
recorded; through the real pipeline with the door simulator and a local webhook."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from artguard.actions import records
from artguard.actions.playbooks import PlaybookRunner
from artguard.config import Settings
from artguard.demo.doors import DoorSimulator
from artguard.events import IncidentChanged, Severity
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.triage import repository as repo
from tests.actions.helpers import Receiver, free_port, http_doors, receiver, site_with
from tests.actions.helpers import webhook_channel as hook
from tests.conftest import NIGHT
from tests.triage.helpers import break_in

FULL = """
playbooks:
  - id: theft
    when: {{patterns: [theft_in_progress, after_hours_intrusion], min_score: {score}}}
    do:
      - lock_doors: incident_rooms
      - threat_level: elevated
      - notify: {{channel: hook, message: "{{title}}: score {{score}} ({{playbook}})"}}
      - record: {{cameras: incident_rooms, seconds: 5}}
  - id: vault-watch
    when: {{patterns: [any], rooms: [vault]}}
    do: [{{threat_level: lockdown}}]
"""


@dataclass
class Rig:
    runtime: Runtime
    simulator: DoorSimulator
    hook: Receiver


@pytest.fixture
async def rig(settings: Settings) -> AsyncIterator[Rig]:
    async for made in _rig(settings, 0.7):
        yield made


async def _rig(settings: Settings, score: float) -> AsyncIterator[Rig]:
    door_port = free_port()
    with receiver() as (server, hook_port):
        site = site_with(FULL.format(score=score) + http_doors(door_port) + hook(hook_port))
        runtime = Runtime(settings, site, live_clock=False)
        await runtime.start()

        async def emit(items: list[dict]) -> object:
            return await runtime.ingest.submit(items, token=None, source="sim", trusted=True)

        simulator = DoorSimulator(site, emit)
        simulator.start_http(port=door_port)
        try:
            yield Rig(runtime, simulator, server)
        finally:
            await simulator.stop()
            await runtime.stop()


async def _break_in(runtime: Runtime) -> str:
    result = await runtime.ingest.submit(break_in(), token=None, source="t", trusted=True)
    assert not result.rejected
    await runtime.bus.drain()
    await runtime.actions.drain()
    await runtime.bus.drain()
    await runtime.actions.drain()
    with runtime.engine.connect() as conn:
        [incident] = repo.list_incident_rows(conn, statuses=None, limit=5)
    return str(incident.id)


async def test_a_matching_incident_runs_every_action_once(rig: Rig) -> None:
    incident_id = await _break_in(rig.runtime)
    engine = rig.runtime.engine
    [run] = records.runs_for(engine, incident_id)
    assert run["playbook_id"] == "theft" and run["finished_time"] is not None
    done = {(a["action"], a["target"]): a for a in records.actions_for(engine, incident_id)}
    # hall and gallery are the incident's rooms: the front door and the vault door
    assert done[("lock_doors", "d-front")]["status"] == "confirmed"
    assert done[("lock_doors", "d-vault")]["status"] == "confirmed"
    assert rig.simulator.locked == {"d-front": True, "d-vault": True}
    assert done[("threat_level", "elevated")]["status"] == "done"
    assert rig.runtime.access.pdp.state.threat_level == "elevated"
    assert done[("notify", "hook")]["status"] == "published"
    record = done[("record", "cam-1")]
    assert "cam-1: no frames in this process" in record["detail"]
    assert {a["actor"] for a in done.values()} == {"playbook:theft"}
    [sent] = [n for n in rig.hook.received if n["device_id"] == "playbooks"]
    assert sent["incident_id"] == incident_id and sent["body"].endswith("(theft)")
    assert "Theft in progress" in sent["body"]
    deliveries = records.deliveries_for(engine, incident_id=incident_id)
    assert deliveries and all(d["status"] == "ok" for d in deliveries)
    assert len(deliveries) == len(rig.hook.received)  # escalation's supervisor call too
    audit = rig.runtime.audit.entries(action="playbook.lock_doors", subject=incident_id)
    assert len(audit) == 2 and audit[0].actor == "playbook:theft"
    assert len(rig.simulator.commands) == 2  # the incident grew after; nothing ran again


async def test_a_playbook_never_runs_twice_for_an_incident_even_after_a_restart(rig: Rig) -> None:
    incident_id = await _break_in(rig.runtime)
    before = len(records.actions_for(rig.runtime.engine, incident_id))
    fresh = PlaybookRunner(
        rig.runtime.site,
        rig.runtime.bus,
        rig.runtime.engine,
        rig.runtime.audit,
        rig.runtime.actions.doors,
    )  # a new process: nothing in memory
    event = IncidentChanged(
        device_id="triage",
        site_time=NIGHT,
        incident_id=incident_id,
        status="open",
        severity=Severity.critical,
        title="Theft in progress: Hall, Gallery",
        room_id="hall",
        alert_count=4,
        change="alert_added",
        score=0.95,
        pattern="theft_in_progress",
    )
    await fresh.handle(event)
    await fresh.drain()
    assert len(records.actions_for(rig.runtime.engine, incident_id)) == before
    assert len(rig.simulator.commands) == 2


async def test_the_threat_level_is_never_lowered(rig: Rig) -> None:
    await rig.runtime.access.set_threat_level("lockdown", actor="sam", reason="drill")
    incident_id = await _break_in(rig.runtime)
    [level] = [
        a
        for a in records.actions_for(rig.runtime.engine, incident_id)
        if a["action"] == "threat_level"
    ]
    assert level["status"] == "done" and "already lockdown" in level["detail"]
    assert rig.runtime.access.pdp.state.threat_level == "lockdown"


async def test_below_the_score_nothing_runs(settings: Settings) -> None:
    async for rig in _rig(settings, 0.99):
        incident_id = await _break_in(rig.runtime)
        assert records.runs_for(rig.runtime.engine, incident_id) == []
        assert records.actions_for(rig.runtime.engine, incident_id) == []
        assert rig.simulator.commands == []
        assert not [n for n in rig.hook.received if n["device_id"] == "playbooks"]


def test_targets_resolve_to_the_rooms_doors_and_cameras(small_site: Site) -> None:
    runner = PlaybookRunner.__new__(PlaybookRunner)
    runner._site = small_site
    assert runner.doors_of({"hall"}) == ["d-front"]
    assert runner.doors_of({"gallery"}) == ["d-vault"]
    assert runner.doors_of({"vault", "hall"}) == ["d-front", "d-vault"]
    assert runner.cameras_of({"gallery"}) == ["cam-1"] and runner.cameras_of({"vault"}) == []
