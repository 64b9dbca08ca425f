"""Alerts become incidents; operators move them through their lifecycle; all is audited."""

from __future__ import annotations

from datetime import timedelta

import pytest

from artguard.events import Alert, Severity
from artguard.runtime import Runtime
from artguard.triage import repository as repo
from artguard.triage.incidents import TransitionError, durations
from artguard.triage.kpis import incident_kpis
from tests.conftest import NIGHT


def alert(rule: str, room: str, seconds: float, severity=Severity.high, key=None) -> Alert:
    when = NIGHT + timedelta(seconds=seconds)
    return Alert(
        device_id=f"dev-{room}",
        site_time=when,
        received_time=when + timedelta(seconds=1),
        rule=rule,
        severity=severity,
        title=f"{rule} in {room}",
        reasons=[f"{rule} happened"],
        dedup_key=key or f"{rule}:{room}",
        room_id=room,
        first_event_time=when - timedelta(seconds=2),
    )


async def test_alerts_in_one_room_close_in_time_form_one_incident(runtime: Runtime) -> None:
    first = await runtime.incidents.file(alert("door_forced", "vault", 0, Severity.critical))
    second = await runtime.incidents.file(alert("sensor_threshold", "vault", 60, Severity.low))
    elsewhere = await runtime.incidents.file(alert("glass_break", "hall", 61))
    later = await runtime.incidents.file(alert("sensor_tamper", "vault", 60 + 6 * 60))
    assert first.change == "opened" and second.change == "alert_added"
    assert second.incident_id == first.incident_id
    assert elsewhere.incident_id != first.incident_id
    assert later.incident_id not in {first.incident_id, elsewhere.incident_id}
    with runtime.engine.connect() as conn:
        row = repo.get_incident_row(conn, first.incident_id)
    assert row.alert_count == 2
    assert row.severity == "critical"  # the worst alert sets the incident's severity


async def test_same_cause_is_deduplicated_not_a_new_alert(runtime: Runtime) -> None:
    first = await runtime.incidents.file(alert("door_forced", "vault", 0))
    repeat = await runtime.incidents.file(alert("door_forced", "vault", 30))
    assert repeat.change == "alert_repeated" and repeat.alert_id == first.alert_id
    with runtime.engine.connect() as conn:
        rows = repo.list_alert_rows(conn, incident_id=first.incident_id)
    assert len(rows) == 1 and rows[0].repeat_count == 2


async def test_lifecycle_and_timings(runtime: Runtime) -> None:
    filing = await runtime.incidents.file(alert("door_forced", "vault", 0))
    acked = await runtime.incidents.transition(filing.incident_id, "acknowledge", "sam")
    assert acked.status == "acknowledged" and acked.owner == "sam"
    with pytest.raises(TransitionError, match="cannot acknowledge"):
        await runtime.incidents.transition(filing.incident_id, "acknowledge", "sam")
    done = await runtime.incidents.transition(filing.incident_id, "resolve", "sam", "checked")
    assert done.status == "resolved" and done.resolution_note == "checked"
    times = durations(done)
    assert times["time_to_detect_s"] == pytest.approx(3.0)
    assert times["time_to_acknowledge_s"] is not None and times["time_to_resolve_s"] >= 0
    with pytest.raises(TransitionError):
        await runtime.incidents.transition(filing.incident_id, "false_alarm", "sam", "late")


async def test_false_alarm_needs_a_reason_and_counts_in_kpis(runtime: Runtime) -> None:
    filing = await runtime.incidents.file(alert("glass_break", "gallery", 0))
    with pytest.raises(TransitionError, match="reason"):
        await runtime.incidents.transition(filing.incident_id, "false_alarm", "sam", " ")
    await runtime.incidents.transition(filing.incident_id, "false_alarm", "sam", "cleaner")
    with runtime.engine.connect() as conn:
        kpis = incident_kpis(conn)
    assert kpis["by_status"] == {"false_alarm": 1}
    assert kpis["false_alarm_rate"] == 1.0


async def test_every_step_is_in_the_audit_log_with_its_actor(runtime: Runtime) -> None:
    filing = await runtime.incidents.file(alert("door_forced", "vault", 0))
    await runtime.incidents.transition(filing.incident_id, "acknowledge", "sam")
    actions = [(e.actor, e.action) for e in runtime.audit.entries(limit=100)]
    assert ("system", "config.loaded") in actions
    assert ("rule:door_forced", "alert.raised") in actions
    assert ("system:triage", "incident.opened") in actions
    assert ("sam", "incident.acknowledged") in actions
    assert runtime.audit.verify().ok
