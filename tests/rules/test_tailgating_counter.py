"""Tailgating from a door sensor's passage count: passages compared with the grants there."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest
from artguard.access.service import decision_event
from artguard.events import AccessDecision, Alert, EventBase, SensorReading
from artguard.rules.passages import PassageCounter
from artguard.rules.tailgating import BLIND_AFTER, TailgatingRule
from artguard.site import Site, SiteError, load_site, parse_site
from artguard.site.entities import OUTSIDE
from artguard.twin import doors as twin_doors
from artguard.twin.agents import Agent, Process, Script, Wait, Walker, walk
from artguard.twin.world import BadgeRequest, World
from artguard.vision.rules.lines import OccupancyCounter
from tests.access.helpers import SITE_PATH, TUESDAY_10

FIXTURE = SITE_PATH.read_text(encoding="utf-8")
SENSORS = "sensors:\n"


def counter_site(
    line: str = "{id: pc-corridor, type: passage_counter, room: corridor, door: d-corridor}",
) -> Site:
    """The access test site with a passage counter on the corridor door."""
    return parse_site(FIXTURE.replace(SENSORS, f"{SENSORS}  - {line}\n", 1), "site.yaml")


CUMULATIVE = counter_site()
PER_PASSAGE = counter_site(
    "{id: pc-corridor, type: passage_counter, room: corridor, door: d-corridor, "
    "counting: per_passage}"
)
WRAPPING = counter_site(
    "{id: pc-corridor, type: passage_counter, room: corridor, door: d-corridor, rollover: 100}"
)


def grant(site: Site, credential: str, seconds: float) -> EventBase:
    request = AccessRequest.make(
        credential, "r-corridor", TUESDAY_10 + timedelta(seconds=seconds), ["card", "pin"]
    )
    decision = DecisionPoint(site).decide(request)
    assert decision.outcome == "grant", decision.reasons
    return decision_event(site, decision).received()


def count(value: float, seconds: float) -> SensorReading:
    return SensorReading(
        device_id="pc-corridor", site_time=TUESDAY_10 + timedelta(seconds=seconds), value=value
    )


def run(site: Site, events: list[EventBase], until_s: float = 40) -> list[Alert]:
    rule = TailgatingRule(site, OccupancyCounter(site))
    alerts: list[Alert] = []
    for event in sorted(events, key=lambda e: e.site_time):
        alerts += rule.on_event(event)
    alerts += rule.on_tick(TUESDAY_10 + timedelta(seconds=until_s))
    return alerts


def test_one_grant_two_passages_is_tailgating_with_the_evidence() -> None:
    events = [count(41, -30), grant(CUMULATIVE, "card-guard", 0), count(42, 2), count(43, 5)]
    alerts = run(CUMULATIVE, events)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "tailgating" and alert.room_id == "corridor"
    assert alert.reasons[0].startswith(
        "passage counter pc-corridor counted 2 people through Corridor door between 09:59:58"
    )
    assert "but 1 was granted: tailgating or piggybacking" in alert.reasons[0]
    assert alert.reasons[1] == "counted at 10:00:02, 10:00:05"
    assert alert.reasons[2] == "grants: card-guard at 10:00:00"
    assert alert.evidence == {
        "door_id": "d-corridor",
        "entries": 2,
        "granted": 1,
        "witness": "passage_counter",
        "credentials": "card-guard",
        "grant_times": "10:00:00",
        "sensor_id": "pc-corridor",
        "passages": 2,
        "passage_times": "10:00:02, 10:00:05",
    }
    window_start = (TUESDAY_10 - timedelta(seconds=2)).isoformat()
    assert alert.dedup_key == f"tailgating:d-corridor:{window_start}"  # as the camera path
    assert alert.severity.value == "high"  # the corridor is security level 3
    assert events[1].id in alert.source_event_ids and events[3].id in alert.source_event_ids


def test_two_grants_two_passages_is_fine() -> None:
    events = [
        count(41, -30),
        grant(CUMULATIVE, "card-guard", 0),
        grant(CUMULATIVE, "card-guard2", 2),
        count(42, 2),
        count(43, 5),
    ]
    assert run(CUMULATIVE, events) == []


def test_counter_reset_is_not_a_crowd() -> None:
    """A counter that restarts from 0 (power cycle) and one that jumps (replaced) resync."""
    # restarted at 0, it counted 2 people (before and during the window) before reporting:
    # those 2 are not believed, only the increase after the new baseline is
    reset = [count(5000, -30), grant(CUMULATIVE, "card-guard", 0), count(2, 1), count(3, 3)]
    assert run(CUMULATIVE, reset) == []
    counter = PassageCounter(CUMULATIVE.sensors[0])
    passages = [counter.read(e) for e in reset if isinstance(e, SensorReading)]
    assert [p.count if p else 0 for p in passages] == [0, 0, 1]
    assert counter.state.resets == 1 and counter.state.total == 3
    jump = [count(12, -30), grant(CUMULATIVE, "card-guard", 0), count(912, 2)]
    assert run(CUMULATIVE, jump) == []


def test_a_wrap_is_counted_across_the_rollover() -> None:
    events = [count(98, -30), grant(WRAPPING, "card-guard", 0), count(99, 2), count(0, 4)]
    alerts = run(WRAPPING, events)
    assert [a.evidence["passages"] for a in alerts] == [2]
    # without rollover the same readings are a reset: one passage, no alert
    assert run(CUMULATIVE, events) == []


def test_per_passage_readings_count_one_each_and_zero_is_a_heartbeat() -> None:
    events = [
        count(0, -30),
        grant(PER_PASSAGE, "card-guard", 0),
        count(1, 2),
        count(0, 3),
        count(1, 6),
    ]
    alerts = run(PER_PASSAGE, events)
    assert [a.evidence["passages"] for a in alerts] == [2]
    assert run(PER_PASSAGE, [grant(PER_PASSAGE, "card-guard", 0), count(1, 2)]) == []


def test_passages_outside_the_window_and_late_readings_do_not_count() -> None:
    late = [count(41, -30), grant(CUMULATIVE, "card-guard", 0), count(42, 2), count(43, 30)]
    assert run(CUMULATIVE, late, until_s=60) == []
    rule = TailgatingRule(CUMULATIVE, OccupancyCounter(CUMULATIVE))
    counter = PassageCounter(CUMULATIVE.sensors[0])
    assert counter.read(count(10, 0)) is None  # baseline
    assert counter.read(count(11, 5)) is not None
    assert counter.read(count(3, 4)) is None  # older than the last reading: not a reset
    assert counter.state.resets == 0 and counter.state.ignored == 1
    assert counter.read(count(11.5, 6)) is None and counter.state.ignored == 2
    assert rule.on_tick(TUESDAY_10) == []


def test_a_counter_that_counts_nobody_through_granted_entries_is_reported() -> None:
    events: list[EventBase] = [count(7, -30)]
    for i in range(BLIND_AFTER + 2):
        events.append(grant(CUMULATIVE, "card-guard", 60 * i))
    alerts = run(CUMULATIVE, events, until_s=60 * (BLIND_AFTER + 3))
    assert [a.rule for a in alerts] == ["sensor_silent"]  # once, not at every later entry
    alert = alerts[0]
    assert alert.dedup_key == "sensor_silent:pc-corridor"
    assert alert.evidence["granted_entries_uncounted"] == BLIND_AFTER
    assert "counted nobody through Corridor door in the last 5 granted entries" in alert.reasons[0]
    # one passage in between starts the count again
    events.insert(3, count(8, 60 * 2 + 3))
    assert run(CUMULATIVE, events, until_s=60 * (BLIND_AFTER + 3)) == []


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "{id: pc-x, type: passage_counter, room: corridor}",
            "a passage_counter counts people through a door: set door:",
        ),
        (
            "{id: pc-x, type: passage_counter, room: corridor, door: d-nowhere}",
            "d-nowhere",
        ),
        (
            "{id: pc-x, type: motion, room: corridor, counting: cumulative}",
            "counting and rollover apply to passage_counter sensors only",
        ),
        (
            "{id: pc-x, type: passage_counter, room: vault, door: d-corridor}",
            "expected one of those rooms",
        ),
    ],
)
def test_site_check_names_a_misconfigured_counter(line: str, message: str) -> None:
    with pytest.raises(SiteError) as raised:
        counter_site(line)
    assert any(message in str(p) for p in raised.value.problems), raised.value.problems
    assert any("sensors" in str(p) for p in raised.value.problems)


def test_site_check_refuses_a_counter_on_a_door_without_readers() -> None:
    text = FIXTURE.replace(
        SENSORS, f"{SENSORS}  - {{id: pc-x, type: passage_counter, room: hall, door: d-front}}\n", 1
    )
    text = text.replace("readers: [r-front],\n     exit_readers: [r-front-out]}", "readers: []}")
    with pytest.raises(SiteError) as raised:
        parse_site(text, "site.yaml")
    assert any("has no readers" in str(p) for p in raised.value.problems), raised.value.problems


def test_the_twin_counts_the_people_it_lets_in_at_the_staff_entrance() -> None:
    """A twin staff member badges at the staff entrance three times (granted, refused,
    granted), walking in only on a grant and out again by the request to exit: the door's
    counter counts the two entries (not the refusal, not the exits), and the tailgating rule
    fed the same grants and counts finds one person per grant."""
    site = load_site(Path(__file__).parents[2] / "src" / "artguard" / "demo" / "site.yaml")
    world = World(site, TUESDAY_10, seed=3)
    traffic = twin_doors.install(world)
    door = site.door("d-staff-entrance")
    counter = site.sensor("pc-staff-entrance")
    base = traffic.total(counter)  # a cumulative counter starts where years of counting left it
    walker = Walker(site)
    agent = Agent(next(p for p in site.people if p.credentials and p.schedule), site)

    def tries(proc: Process) -> Script:
        for _ in range(3):
            inside = yield from walk(
                proc, walker, agent, door.to_room, jitter=lambda: 0.0, first_door=door
            )
            if inside:
                yield Wait(20)
                yield from walk(proc, walker, agent, OUTSIDE, jitter=lambda: 0.0, first_door=door)
            yield Wait(60)

    Process(world, tries).start(TUESDAY_10)
    answers = iter(("grant", "deny", "grant"))
    rule = TailgatingRule(site, OccupancyCounter(site))
    alerts: list[Alert] = []
    readings: list[float] = []
    while (due := world.next_time()) is not None:
        for item in world.due(due):
            if isinstance(item, BadgeRequest):
                attempt = item.attempt
                decision = AccessDecision(
                    device_id=attempt.device_id,
                    site_time=attempt.site_time,
                    credential_id=attempt.credential_id,
                    outcome=next(answers),
                    risk=0.0,
                    reasons=["decided by the test"],
                    person_id=agent.person.id,
                    door_id=door.id,
                    room_id=door.to_room,
                )
                alerts += rule.on_event(decision.received())
                world.answer(attempt.id, decision)
                continue
            if isinstance(item, SensorReading) and item.device_id == counter.id:
                readings.append(item.value)
            alerts += rule.on_event(item.received())
    alerts += rule.on_tick(world.now + timedelta(minutes=1))
    assert next(answers, None) is None  # all three badges were presented
    assert readings == [base + 1, base + 2]  # a running total, one step per person let in
    assert alerts == []
