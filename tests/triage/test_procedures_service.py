"""Procedures on live incidents: attached by pattern, steps acted on, supervisors notified of
skipped steps, closing with steps pending, pattern changes, restarts; on both backends."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete

from artguard.config import Settings
from artguard.events import EventBase, IncidentChanged, Notification, Severity
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.store.tables import incident_procedures
from artguard.triage import repository as repo
from artguard.triage.procedure_flow import StepRefused
from artguard.triage.procedures import ProcedureNotFound
from tests.conftest import NOON, SMALL_SITE
from tests.triage.helpers import make_alert


class Inbox:
    """Procedure notifications published on the bus."""

    def __init__(self, runtime: Runtime) -> None:
        self.items: list[Notification] = []
        runtime.bus.subscribe("test-inbox", self._take, kinds={"notification"})

    async def _take(self, event: EventBase) -> None:
        if isinstance(event, Notification) and "procedure" in event.reason:
            self.items.append(event)


async def open_theft(runtime: Runtime, seconds: float = 0) -> str:
    """An artwork missing on its own: a theft in progress (a new one ``seconds`` later)."""
    filing = await runtime.incidents.file(
        make_alert(
            "artwork_missing",
            "gallery",
            seconds,
            device="cam-1",
            artwork="aw-1",
            key=f"artwork_missing:cam-1:{seconds}",
        )
    )
    await runtime.bus.drain()
    return filing.incident_id


def statuses(view: dict) -> dict[str, str]:
    return {s["id"]: s["status"] for s in view["steps"]}


async def test_a_theft_gets_its_procedure_and_the_attachment_is_audited(
    runtime: Runtime,
) -> None:
    incident = await open_theft(runtime)
    view = await runtime.procedures.view(incident)
    assert view["pattern"] == "theft_in_progress" and view["title"] == "Theft in progress"
    assert view["current_step"] == "verify-camera" and not view["complete"]
    assert view["path"] == ["verify-camera", "confirmed"]
    assert set(statuses(view).values()) == {"pending"}
    entries = runtime.audit.entries(action="procedure.attached", subject=incident)
    assert len(entries) == 1 and entries[0].details["pattern"] == "theft_in_progress"
    # more alerts on the same incident do not attach it again
    await runtime.incidents.file(
        make_alert("door_forced", "hall", 20, device="dc-front", key="door_forced:dc-front")
    )
    await runtime.bus.drain()
    assert len(runtime.audit.entries(action="procedure.attached", subject=incident)) == 1


async def test_answers_pick_the_branch_and_every_action_is_recorded(runtime: Runtime) -> None:
    incident = await open_theft(runtime)
    await runtime.procedures.act(incident, "verify-camera", actor="op-1", action="done")
    view = await runtime.procedures.act(
        incident, "confirmed", actor="op-1", action="answer", answer="no", note="room empty"
    )
    assert view["current_step"] == "dispatch-guard"
    await runtime.procedures.act(incident, "dispatch-guard", actor="op-1", action="done")
    view = await runtime.procedures.act(
        incident, "artwork-in-place", actor="guard-2", action="answer", answer="yes"
    )
    found = statuses(view)
    assert found["check-mount"] == "pending"
    assert {found[s] for s in ("call-police", "lock-down", "guard-observe")} == {"not_applicable"}
    assert view["path"][-4:] == [
        "check-mount",
        "preserve-evidence",
        "notify-curator",
        "write-report",
    ]
    step = next(s for s in view["steps"] if s["id"] == "confirmed")
    assert (step["answer"], step["note"], step["actor"]) == ("no", "room empty", "op-1")
    assert [(h["step_id"], h["action"], h["actor"]) for h in view["history"]] == [
        ("verify-camera", "done", "op-1"),
        ("confirmed", "answer", "op-1"),
        ("dispatch-guard", "done", "op-1"),
        ("artwork-in-place", "answer", "guard-2"),
    ]
    actions = [e.action for e in runtime.audit.entries(subject=incident, limit=100)]
    assert actions.count("procedure.step_answered") == 2
    assert actions.count("procedure.step_done") == 2
    with pytest.raises(StepRefused, match="not on the incident's path"):
        await runtime.procedures.act(incident, "call-police", actor="op-1", action="done")


async def test_jumping_ahead_skips_the_steps_before_and_tells_the_supervisor(
    runtime: Runtime,
) -> None:
    inbox = Inbox(runtime)
    incident = await open_theft(runtime)
    view = await runtime.procedures.act(incident, "call-police", actor="op-1", action="done")
    await runtime.bus.drain()
    found = statuses(view)
    assert found["verify-camera"] == found["confirmed"] == "skipped"
    assert found["call-police"] == "done" and view["current_step"] == "lock-down"
    assert [n.incident_id for n in inbox.items] == [incident, incident]
    first = inbox.items[0]
    assert first.audience == "supervisor" and first.severity.value in {"high", "critical"}
    assert "'verify-camera'" in first.body and "op-1" in first.body
    assert "went on to step 'call-police'" in first.body
    skipped = runtime.audit.entries(action="procedure.step_skipped", subject=incident)
    assert [(e.actor, e.details["step"], e.details["cause"]) for e in skipped] == [
        ("op-1", "verify-camera", "passed_over"),
        ("op-1", "confirmed", "passed_over"),
    ]


async def test_an_operator_skip_needs_a_reason_and_optional_steps_notify_nobody(
    runtime: Runtime,
) -> None:
    inbox = Inbox(runtime)
    filing = await runtime.incidents.file(
        make_alert(
            "camera_sabotage",
            "gallery",
            0,
            device="cam-1",
            base=NOON,
            key="camera_sabotage:cam-1:covered",
            evidence={"status": "covered"},
        )
    )
    await runtime.bus.drain()
    incident = filing.incident_id
    view = await runtime.procedures.view(incident)
    assert view["pattern"] == "sensor_or_camera_sabotage"
    for step in ("verify-camera", "dispatch-guard"):
        await runtime.procedures.act(incident, step, actor="op-1", action="done")
    await runtime.procedures.act(incident, "deliberate", actor="op-1", action="answer", answer="no")
    await runtime.procedures.act(
        incident, "maintenance-ticket", actor="op-1", action="skip", note="works again"
    )
    await runtime.bus.drain()
    assert inbox.items == []  # an optional step; and a skip passes nothing over
    view = await runtime.procedures.view(incident)
    assert statuses(view)["restore-device"] == "pending"
    await runtime.procedures.act(
        incident, "restore-device", actor="op-1", action="skip", note="technician on the way"
    )
    await runtime.bus.drain()
    assert len(inbox.items) == 1
    assert "technician on the way" in inbox.items[0].body


async def test_resolving_with_steps_pending_records_them_and_notifies_once(
    runtime: Runtime,
) -> None:
    inbox = Inbox(runtime)
    incident = await open_theft(runtime)
    await runtime.procedures.act(incident, "verify-camera", actor="op-1", action="done")
    await runtime.procedures.act(incident, "confirmed", actor="op-1", action="answer", answer="no")
    await runtime.incidents.transition(incident, "false_alarm", "op-2", "a cleaner moved it")
    await runtime.bus.drain()
    assert len(inbox.items) == 1
    notice = inbox.items[0]
    assert notice.audience == "supervisor" and notice.incident_id == incident
    assert "false alarm by op-2" in notice.body
    # the path stopped at the guard's question: those two were left, nothing beyond
    assert "- dispatch-guard:" in notice.body and "- artwork-in-place:" in notice.body
    assert "check-mount" not in notice.body
    view = await runtime.procedures.view(incident)
    assert view["closed_time"] is not None and view["current_step"] is None
    closed = [h for h in view["history"] if h["cause"] == "incident_closed"]
    assert [(h["step_id"], h["actor"]) for h in closed] == [
        ("dispatch-guard", "op-2"),
        ("artwork-in-place", "op-2"),
    ]
    assert set(statuses(view).values()) == {"done", "skipped", "not_applicable"}
    entry = runtime.audit.entries(action="procedure.closed", subject=incident)[0]
    assert entry.details["required_skipped"] == ["dispatch-guard", "artwork-in-place"]
    # the report can still be written afterwards, recorded late with its time
    late = await runtime.procedures.act(
        incident, "dispatch-guard", actor="guard-2", action="done", note="checked at 03:10"
    )
    assert statuses(late)["dispatch-guard"] == "done"
    # closing again (a repeated event) changes nothing and notifies nobody
    await runtime.procedures.handle((await _last_incident_event(runtime, incident)).model_copy())
    await runtime.bus.drain()
    assert len(inbox.items) == 1


async def _last_incident_event(runtime: Runtime, incident: str) -> IncidentChanged:
    with runtime.engine.connect() as conn:
        row = repo.get_incident_row(conn, incident)
    return IncidentChanged(
        device_id="triage",
        site_time=row.updated_time,
        incident_id=incident,
        status=row.status,
        severity=Severity(row.severity),
        title=row.title,
        alert_count=row.alert_count,
        change=row.status,
        pattern=row.pattern,
    )


async def test_a_pattern_change_keeps_steps_done_and_records_the_change(
    runtime: Runtime,
) -> None:
    touched = await runtime.incidents.file(
        make_alert("virtual_barrier", "gallery", 0, base=NOON, device="cam-1", artwork="aw-1")
    )
    await runtime.bus.drain()
    incident = touched.incident_id
    assert (await runtime.procedures.view(incident))["pattern"] == "touching_artwork"
    await runtime.procedures.act(incident, "verify-camera", actor="op-1", action="done")
    await runtime.procedures.act(incident, "attend-artwork", actor="op-1", action="done")
    forced = await runtime.incidents.file(
        make_alert("door_forced", "hall", 30, base=NOON, device="dc-front")
    )
    assert forced.incident_id == incident
    await runtime.bus.drain()
    view = await runtime.procedures.view(incident)
    assert view["pattern"] == "theft_in_progress"
    assert [(c["from"], c["to"]) for c in view["changes"]] == [
        ("touching_artwork", "theft_in_progress")
    ]
    assert statuses(view)["verify-camera"] == "done"  # same step id: kept
    assert view["current_step"] == "confirmed"
    assert [(e["id"], e["pattern"], e["status"]) for e in view["earlier_steps"]] == [
        ("attend-artwork", "touching_artwork", "done")
    ]
    change = runtime.audit.entries(action="procedure.changed", subject=incident)[0]
    assert change.details["kept"] == ["verify-camera"]


async def test_two_operators_ticking_the_same_step_at_once_one_is_refused(
    runtime: Runtime,
) -> None:
    incident = await open_theft(runtime)
    results = await asyncio.gather(
        *(
            runtime.procedures.act(incident, "verify-camera", actor=who, action="done")
            for who in ("op-1", "op-2")
        ),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, StepRefused)]
    assert len(refused) == 1 and "already done by" in str(refused[0])
    view = await runtime.procedures.view(incident)
    assert len([h for h in view["history"] if h["step_id"] == "verify-camera"]) == 1


async def test_incidents_without_a_procedure_say_why(runtime: Runtime) -> None:
    with pytest.raises(ProcedureNotFound, match="no incident 'inc-nope'"):
        await runtime.procedures.view("inc-nope")
    held = await runtime.incidents.file(
        make_alert("door_held_open", "vault", 0, base=NOON, device="dc-vault")
    )
    await runtime.bus.drain()
    with pytest.raises(ProcedureNotFound, match="its pattern 'door_held_open' has none"):
        await runtime.procedures.view(held.incident_id)


async def _restart_keeps_everything(settings: Settings, site: Site) -> None:
    first = Runtime(settings, site, site_path=SMALL_SITE, live_clock=False)
    await first.start()
    try:
        incident = await open_theft(first)
        await first.procedures.act(
            incident, "confirmed", actor="op-1", action="answer", answer="yes"
        )
        before = await first.procedures.view(incident)
        unattached = await open_theft(first, seconds=3600)
        assert unattached != incident
        with first.engine.begin() as conn:  # as if its incident event was lost in a crash
            conn.execute(
                delete(incident_procedures).where(incident_procedures.c.incident_id == unattached)
            )
    finally:
        await first.stop()
    second = Runtime(settings, site, site_path=SMALL_SITE, live_clock=False)
    await second.start()
    try:
        assert await second.procedures.view(incident) == before
        assert statuses(before)["verify-camera"] == "skipped"
        recovered = await second.procedures.view(unattached)
        assert recovered["pattern"] == "theft_in_progress"
        view = await second.procedures.act(incident, "call-police", actor="op-3", action="done")
        assert statuses(view)["call-police"] == "done"
    finally:
        await second.stop()


async def test_procedures_survive_a_restart_and_missed_ones_are_attached(
    settings: Settings, small_site: Site
) -> None:
    await _restart_keeps_everything(settings, small_site)


@pytest.mark.services
async def test_procedures_on_postgresql(pg_settings: Settings, small_site: Site) -> None:
    await _restart_keeps_everything(pg_settings, small_site)


@pytest.fixture
async def runtime_pg(pg_settings: Settings, small_site: Site) -> AsyncIterator[Runtime]:
    rt = Runtime(pg_settings, small_site, site_path=SMALL_SITE, live_clock=False)
    await rt.start()
    try:
        yield rt
    finally:
        await rt.stop()


@pytest.mark.services
async def test_concurrent_actions_on_postgresql_are_serialised(runtime_pg: Runtime) -> None:
    await test_two_operators_ticking_the_same_step_at_once_one_is_refused(runtime_pg)
