"""The escalator in a running artguard: tiers stored and announced, the clock escalates missed
acknowledgements, acknowledge / resolve stop the timers, state survives a restart, the nearest
guard is paged, lockdown only when the policy says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest

from artguard.config import Settings
from artguard.events import AccessDecision, Notification, utcnow
from artguard.runtime import Runtime
from artguard.site import Site
from artguard.triage import repository as repo
from tests.conftest import NOON
from tests.triage.escalation_helpers import escalation_site, keep_notifications
from tests.triage.helpers import make_alert


@pytest.fixture
def site() -> Site:
    return escalation_site()


@pytest.fixture
async def rt(settings: Settings, site: Site) -> AsyncIterator[Runtime]:
    runtime = Runtime(settings, site, live_clock=False)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


def incident(runtime: Runtime, incident_id: str) -> Any:
    with runtime.engine.connect() as conn:
        return repo.get_incident_row(conn, incident_id)


async def forced_door(runtime: Runtime, seconds: float = 0) -> str:
    """A forced gallery door during opening hours: score 0.50, tier page_guard."""
    filing = await runtime.incidents.file(make_alert("door_forced", "gallery", seconds, base=NOON))
    await runtime.bus.drain()
    return filing.incident_id


async def test_a_new_incident_pages_the_nearest_guard_and_says_why(rt: Runtime) -> None:
    sent = keep_notifications(rt)
    now = utcnow()
    await rt.guards.record("g-amelia", "vault", now, "test")
    await rt.guards.record("g-ben", "hall", now, "test")
    incident_id = await forced_door(rt)

    row = incident(rt, incident_id)
    assert row.tier == "page_guard"
    assert row.assigned_to == ["g-amelia"]
    assert timedelta(minutes=4) < row.ack_due - now <= timedelta(minutes=5, seconds=5)
    assert timedelta(hours=3) < row.resolve_due - now <= timedelta(hours=4, seconds=5)
    [record] = row.escalations
    assert (record["from"], record["to"], record["kind"]) == (None, "page_guard", "assessment")
    assert record["why"] == "score 0.50 >= 0.4 (page_guard threshold)"

    assert {n.audience for n in sent} == {"dashboard", "guard"}
    guard = next(n for n in sent if n.audience == "guard")
    assert guard.recipients == ["g-amelia"] and guard.incident_id == incident_id
    assert guard.reason == (
        "score 0.50 >= 0.4 (page_guard threshold); nearest: Amelia Hart, vault, ~5 s away"
    )
    assert "Acknowledge by" in guard.body and guard.subject.startswith("Guard needed:")
    audit = [e for e in rt.audit.entries(limit=50) if e.action == "incident.escalated"]
    assert len(audit) == 1 and audit[0].actor == "system:escalation"
    assert audit[0].subject == incident_id


async def test_a_missed_acknowledgement_escalates_once_per_deadline(rt: Runtime) -> None:
    sent = keep_notifications(rt)
    incident_id = await forced_door(rt)
    first_due = incident(rt, incident_id).ack_due
    sent.clear()

    assert await rt.escalator.tick(first_due - timedelta(seconds=1)) == []
    late = first_due + timedelta(seconds=1)
    [note] = await rt.escalator.tick(late)
    await rt.bus.drain()
    assert note.audience == "supervisor" and note.recipients == ["s-sam"]
    assert note.reason.startswith(f"not acknowledged by {first_due.isoformat(timespec='seconds')}")
    assert "supervisors on duty: Sam Reed" in note.reason
    row = incident(rt, incident_id)
    assert row.tier == "supervisor"
    assert row.ack_due == late + timedelta(minutes=5)  # re-armed for the next tier
    assert row.escalations[-1]["kind"] == "acknowledge_missed"
    assert row.assigned_to[-1] == "s-sam"  # after the guards paged first (all: none located)
    assert {"g-amelia", "g-ben"} <= set(row.assigned_to)
    assert await rt.escalator.tick(late) == []  # the same deadline acts once

    # at the highest automatic tier the supervisors are told once more, then the timer stops
    [again] = await rt.escalator.tick(row.ack_due + timedelta(seconds=1))
    assert again.audience == "supervisor" and "highest automatic tier" in again.reason
    row = incident(rt, incident_id)
    assert row.tier == "supervisor" and row.ack_due is None
    assert await rt.escalator.tick(late + timedelta(minutes=30)) == []
    assert [n.audience for n in sent] == ["supervisor", "supervisor"]


async def test_acknowledging_stops_the_acknowledge_timer_not_the_resolve_one(rt: Runtime) -> None:
    incident_id = await forced_door(rt)
    row = incident(rt, incident_id)
    await rt.incidents.transition(incident_id, "acknowledge", "amelia")
    await rt.bus.drain()
    assert await rt.escalator.tick(row.ack_due + timedelta(minutes=1)) == []
    assert incident(rt, incident_id).tier == "page_guard"

    [overdue] = await rt.escalator.tick(row.resolve_due + timedelta(seconds=1))
    assert overdue.audience == "supervisor"
    assert overdue.reason.startswith("not resolved by")
    after = incident(rt, incident_id)
    assert after.resolve_overdue_time == row.resolve_due + timedelta(seconds=1)
    assert after.escalations[-1]["kind"] == "resolve_missed"
    assert await rt.escalator.tick(row.resolve_due + timedelta(hours=1)) == []


@pytest.mark.parametrize("verdict", ["resolve", "false_alarm"])
async def test_resolving_stops_every_timer(rt: Runtime, verdict: str) -> None:
    incident_id = await forced_door(rt)
    row = incident(rt, incident_id)
    await rt.incidents.transition(incident_id, verdict, "amelia", "checked: staff door")
    await rt.bus.drain()
    assert await rt.escalator.tick(row.resolve_due + timedelta(days=1)) == []
    assert len(incident(rt, incident_id).escalations) == 1


async def test_a_rising_score_calls_only_the_new_audience(rt: Runtime) -> None:
    sent = keep_notifications(rt)
    incident_id = await forced_door(rt)
    first_due = incident(rt, incident_id).ack_due
    sent.clear()
    await rt.incidents.file(make_alert("glass_break", "gallery", 20, base=NOON))
    await rt.bus.drain()
    row = incident(rt, incident_id)
    assert row.score == pytest.approx(0.75) and row.tier == "supervisor"
    assert [n.audience for n in sent] == ["supervisor"]
    assert row.escalations[-1]["why"] == "score 0.75 >= 0.7 (supervisor threshold)"
    assert row.ack_due == first_due  # a new tier does not extend the deadline
    await rt.incidents.file(make_alert("glass_break", "gallery", 30, base=NOON))  # a repeat
    await rt.bus.drain()
    assert len(sent) == 1 and len(incident(rt, incident_id).escalations) == 2


async def test_without_a_known_location_all_on_duty_guards_are_paged(rt: Runtime) -> None:
    sent = keep_notifications(rt)
    await forced_door(rt)
    guard = next(n for n in sent if n.audience == "guard")
    # p-1 (Alex Guard) works the day shift, which is not on now (the test runs at any hour)
    on_duty = ["g-amelia", "g-ben"] + (
        ["p-1"] if rt.site.in_schedule("day-shift", utcnow()) else []
    )
    assert sorted(guard.recipients) == sorted(on_duty)
    assert "no guard location known (last hour): all on-duty guards: " in guard.reason


async def test_a_guards_badge_at_a_door_is_their_location(rt: Runtime) -> None:
    now = utcnow()

    def decision(person: str, outcome: str, room: str, seconds: float) -> AccessDecision:
        return AccessDecision(
            device_id="r-vault",
            site_time=now + timedelta(seconds=seconds),
            credential_id=f"badge-{person}",
            outcome=outcome,  # type: ignore[arg-type]
            risk=0.1,
            reasons=["test"],
            person_id=person,
            door_id="d-vault",
            room_id=room,
        )

    await rt.bus.publish(decision("g-amelia", "grant", "vault", 0))
    await rt.bus.publish(decision("g-ben", "deny", "vault", 0))
    await rt.bus.publish(decision("s-sam", "grant", "vault", 0))  # not a guard
    await rt.bus.publish(decision("g-amelia", "grant", "gallery", -60))  # older: ignored
    await rt.bus.drain()
    where = rt.guards.location("g-amelia")
    assert where is not None and where.room_id == "vault" and where.source == "badge at d-vault"
    assert rt.guards.location("g-ben") is None and rt.guards.location("s-sam") is None


async def test_state_survives_a_restart(settings: Settings, site: Site) -> None:
    first = Runtime(settings, site, live_clock=False)
    await first.start()
    await first.guards.record("g-ben", "hall", utcnow(), "test")
    incident_id = await forced_door(first)
    due = incident(first, incident_id).ack_due
    await first.stop()

    second = Runtime(settings, site, live_clock=False)
    await second.start()
    try:
        where = second.guards.location("g-ben")
        assert where is not None and where.room_id == "hall"
        [note] = await second.escalator.tick(due + timedelta(seconds=1))
        assert note.audience == "supervisor"
        row = incident(second, incident_id)
        assert row.tier == "supervisor" and len(row.escalations) == 2
        assert row.assigned_to == ["g-ben", "s-sam"]
    finally:
        await second.stop()


async def theft_at_night(
    settings: Settings, raises: bool
) -> tuple[Runtime, str, list[Notification]]:
    site = escalation_site({"lockdown_raises_threat_level": raises}, auto_lockdown=False)
    runtime = Runtime(settings, site, live_clock=False)
    await runtime.start()
    sent = keep_notifications(runtime)
    alert = make_alert("artwork_missing", "gallery", 0, artwork="aw-1")  # at night, tier 4
    filing = await runtime.incidents.file(alert)
    await runtime.bus.drain()
    return runtime, filing.incident_id, sent


@pytest.mark.parametrize("raises", [True, False])
async def test_lockdown_tier_sets_the_threat_level_only_when_enabled(
    settings: Settings, raises: bool
) -> None:
    runtime, incident_id, sent = await theft_at_night(settings, raises)
    try:
        row = incident(runtime, incident_id)
        assert row.tier == "lockdown" and row.pattern == "theft_in_progress"
        supervisor = next(n for n in sent if n.audience == "supervisor")
        changes = [e for e in runtime.audit.entries(limit=100) if e.action == "access.threat_level"]
        if raises:
            assert runtime.access.threat_level == "lockdown"
            assert "site threat level set to lockdown" in supervisor.reason
            assert len(changes) == 1 and changes[0].actor == "system:escalation"
        else:
            assert runtime.access.threat_level == "normal"
            assert "lockdown recommended" in supervisor.reason
            assert changes == []
    finally:
        await runtime.stop()


@pytest.mark.services
async def test_deadlines_and_compare_and_set_on_postgresql(
    pg_settings: Settings, site: Site
) -> None:
    runtime = Runtime(pg_settings, site, live_clock=False)
    await runtime.start()
    try:
        incident_id = await forced_door(runtime)
        due = incident(runtime, incident_id).ack_due
        [note] = await runtime.escalator.tick(due + timedelta(seconds=1))
        assert note.audience == "supervisor"
        assert await runtime.escalator.tick(due + timedelta(seconds=2)) == []
        row = incident(runtime, incident_id)
        assert row.tier == "supervisor" and row.ack_due == due + timedelta(minutes=5, seconds=1)
    finally:
        await runtime.stop()
