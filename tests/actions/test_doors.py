"""Door commands: confirmed over HTTP and MQTT, by door_state, timeouts, refusals, no route."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from artguard.actions import records
from artguard.actions.mqtt_link import Broker
from artguard.config import Settings
from artguard.demo.doors import DoorSimulator
from artguard.events import EventBase, Notification, OperatorAction
from artguard.runtime import Runtime
from artguard.site import Site
from tests.actions.helpers import count_http_clients, free_port, http_doors, site_with
from tests.services import require_mqtt


@dataclass
class Rig:
    runtime: Runtime
    simulator: DoorSimulator
    seen: list[EventBase]


async def _rig(settings: Settings, site: Site, **knobs: object) -> AsyncIterator[Rig]:
    runtime = Runtime(settings, site, live_clock=False)
    await runtime.start()

    async def emit(items: list[dict]) -> object:
        return await runtime.ingest.submit(items, token=None, source="door-sim", trusted=True)

    simulator = DoorSimulator(site, emit, **knobs)  # type: ignore[arg-type]
    seen: list[EventBase] = []

    async def listen(event: EventBase) -> None:
        seen.append(event)

    runtime.bus.subscribe("test-seen", listen, kinds={"operator_action", "notification"})
    try:
        yield Rig(runtime, simulator, seen)
    finally:
        await simulator.stop()
        await runtime.stop()


@pytest.fixture
async def http_rig(settings: Settings) -> AsyncIterator[Rig]:
    port = free_port()
    async for rig in _rig(settings, site_with(http_doors(port, "1s"))):
        rig.simulator.start_http(port=port)
        yield rig


async def test_lock_over_http_is_confirmed_recorded_audited_and_published(http_rig: Rig) -> None:
    http_rig.simulator.report_state = False  # only the HTTP answer can confirm
    doors = http_rig.runtime.actions.doors
    result = await doors.lock("d-vault", "alice", "vault alarm", override=True)
    assert result.status == "confirmed" and result.confirmed_by == "http", result
    assert http_rig.simulator.locked == {"d-vault": True}
    command = http_rig.simulator.commands[0]
    assert command["command_id"] == result.command_id and command["lock_id"] == "lock-vault"
    assert command["reply_to"] == "artguard/small-museum/action-ack/d-vault"

    await http_rig.runtime.bus.drain()
    rows = records.commands_for(http_rig.runtime.engine, "d-vault")
    assert len(rows) == 1
    row = rows[0]
    assert (row["status"], row["actor"], row["override"], row["transport"]) == (
        "confirmed",
        "alice",
        True,
        "http",
    )
    assert row["finished_time"] >= row["sent_time"]
    audit = http_rig.runtime.audit.entries(action="door.override", subject="d-vault")
    assert len(audit) == 1 and audit[0].actor == "alice"
    assert audit[0].details["reason"] == "vault alarm" and audit[0].details["override"] is True
    published = [e for e in http_rig.seen if isinstance(e, OperatorAction)]
    assert [(e.action, e.target_id) for e in published] == [("door.lock", "d-vault")]
    assert published[0].note is not None and published[0].note.startswith("confirmed")


async def test_http_commands_share_one_client_built_off_the_event_loop(
    http_rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = count_http_clients(monkeypatch)
    doors = http_rig.runtime.actions.doors
    results = [
        await doors.lock("d-vault", "alice", "drill"),
        await doors.unlock("d-vault", "alice", "drill"),
        await doors.lock("d-front", "alice", "drill"),
    ]
    assert [r.status for r in results] == ["confirmed"] * 3, results
    assert built == [False]


async def test_an_unanswered_command_times_out_and_tells_the_supervisor(
    settings: Settings,
) -> None:
    port = free_port()
    async for rig in _rig(settings, site_with(http_doors(port, "1s")), respond=False):
        rig.simulator.start_http(port=port)
        started = time.monotonic()
        result = await rig.runtime.actions.doors.lock("d-front", "playbook:theft", "test", "inc-1")
        elapsed = time.monotonic() - started
        await rig.runtime.bus.drain()
        assert result.status == "timeout" and "within 1 s" in result.detail
        assert 0.9 <= elapsed < 2.0
        notices = [e for e in rig.seen if isinstance(e, Notification)]
        assert len(notices) == 1 and notices[0].audience == "supervisor"
        assert "not confirmed (timeout)" in notices[0].subject
        assert notices[0].incident_id == "inc-1"
        audit = rig.runtime.audit.entries(action="door.command", subject="d-front")
        assert audit and audit[0].details["status"] == "timeout"
        assert audit[0].details["override"] is False


async def test_a_refusing_door_is_rejected(settings: Settings) -> None:
    port = free_port()
    async for rig in _rig(settings, site_with(http_doors(port)), reject={"d-vault"}):
        rig.simulator.start_http(port=port)
        result = await rig.runtime.actions.doors.lock("d-vault", "bob", "drill")
        assert result.status == "rejected" and "lock fault" in result.detail


async def test_an_unreachable_controller_fails_with_the_reason(settings: Settings) -> None:
    port = free_port()  # nothing listens there
    async for rig in _rig(settings, site_with(http_doors(port))):
        result = await rig.runtime.actions.doors.unlock("d-vault", "bob", "maintenance")
        assert result.status == "failed" and "ConnectError" in result.detail


async def test_a_door_state_event_confirms_an_accepted_command(settings: Settings) -> None:
    """The controller only says "accepted"; the door's own state report confirms."""
    port = free_port()
    async for rig in _rig(settings, site_with(http_doors(port, "2s")), respond=False):
        rig.simulator.start_http(port=port)
        pending = asyncio.create_task(rig.runtime.actions.doors.lock("d-vault", "bob", "check"))
        while not rig.simulator.commands:
            await asyncio.sleep(0.01)
        old = {
            "kind": "door_state",
            "device_id": "d-vault",
            "door_id": "d-vault",
            "contact": "closed",
            "locked": False,  # the wrong state does not confirm
            "site_time": "2026-11-23T02:00:00+00:00",
        }
        await rig.runtime.ingest.submit([old], token=None, source="t", trusted=True)
        await rig.runtime.bus.drain()
        assert not pending.done()
        locked = {**old, "locked": True, "site_time": "2026-11-23T02:00:01+00:00"}
        await rig.runtime.ingest.submit([locked], token=None, source="t", trusted=True)
        result = await asyncio.wait_for(pending, 3)
        assert result.status == "confirmed" and result.confirmed_by == "door_state"


async def test_doors_without_a_route_or_lock_are_no_route(settings: Settings) -> None:
    site = site_with(
        """
door_control:
  doors: {d-vault: {transport: mqtt}}
"""
    )
    async for rig in _rig(settings, site):  # no broker configured: MQTT has no way out
        front = await rig.runtime.actions.doors.lock("d-front", "bob", "night")
        vault = await rig.runtime.actions.doors.lock("d-vault", "bob", "night")
        assert front.status == "no_route" and "no command route" in front.detail
        assert vault.status == "no_route" and "no broker" in vault.detail
        rows = records.commands_for(rig.runtime.engine, "d-front")
        assert rows[0]["status"] == "no_route" and rows[0]["transport"] == "none"
        with pytest.raises(KeyError, match="d-nowhere"):
            await rig.runtime.actions.doors.lock("d-nowhere", "bob", "night")


@pytest.mark.services
async def test_lock_over_mqtt_is_confirmed_by_the_ack(settings: Settings) -> None:
    host, port = require_mqtt()
    site = site_with(
        """
door_control:
  timeout: 3s
  default: {transport: mqtt}
"""
    )
    async for rig in _rig(settings, site):
        rig.runtime.actions.doors._broker = Broker(host, port)
        await rig.simulator.start_mqtt(host, port)
        started = time.monotonic()
        lock = await rig.runtime.actions.doors.lock("d-front", "alice", "break-in", override=True)
        elapsed = time.monotonic() - started
        unlock = await rig.runtime.actions.doors.unlock(
            "d-front", "sam", "all clear", override=True
        )
        assert lock.status == "confirmed", lock
        assert lock.confirmed_by in {"ack", "door_state"}  # whichever arrives first
        assert unlock.status == "confirmed" and rig.simulator.locked == {"d-front": False}
        assert elapsed < 1.0
        history = records.commands_for(rig.runtime.engine, "d-front")
        assert [r["command"] for r in history] == ["unlock", "lock"]  # newest first
        assert all(r["transport"] == "mqtt" for r in history)
