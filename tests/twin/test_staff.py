"""Staff on their shifts: badges only when on shift, grants not denials, no alerts on a normal
day through the real decision point and rules; the history that seeds the access baseline."""

from __future__ import annotations

from datetime import datetime, timedelta

from artguard.access.pdp import DecisionPoint
from artguard.events import AccessDecision
from artguard.twin import staff
from artguard.twin.world import World
from tests.twin.pipeline import SITE, Pipeline, history

TUESDAY = datetime(2026, 6, 2, tzinfo=SITE.tz)
SUNDAY = datetime(2026, 6, 7, tzinfo=SITE.tz)


def decisions(start: datetime, days: float = 1, seed: int = 0) -> list[AccessDecision]:
    """A staff-only world decided by the plain policy (no learned risk)."""
    end = start + timedelta(days=days)
    world = World(SITE, start, seed=seed)
    staff.install(world, start, end, nuisances=False)
    return list(staff.decide_locally(world, end, DecisionPoint(SITE)))


def test_the_same_seed_gives_the_same_day_and_another_seed_another() -> None:
    def trace(seed: int) -> list[tuple[datetime, str, str, str]]:
        return [
            (d.site_time, d.device_id, d.credential_id, d.outcome)
            for d in decisions(TUESDAY, 0.5, seed)
        ]

    first = trace(3)
    assert first == trace(3)
    assert len(first) > 50
    assert first != trace(4)


def test_people_badge_in_only_while_their_schedule_is_on() -> None:
    made = decisions(SUNDAY, 1.5)  # Sunday and Monday morning
    entries = [d for d in made if d.direction == "in"]
    assert entries
    for d in entries:
        person = SITE.person(d.person_id)
        assert person.schedule is not None
        assert SITE.in_schedule(person.schedule, d.site_time), (person.id, d.site_time)
    who = {d.person_id for d in made}
    office = {p.id for p in SITE.people if p.schedule == "office-hours"}
    guards = {p.id for p in SITE.people if p.role == "guard"}
    sunday = {d.person_id for d in made if d.site_time < SUNDAY + timedelta(days=1)}
    assert guards <= who  # every guard works Sunday (early, late and night shifts)
    assert not office & sunday  # office hours are Monday to Friday


def test_a_normal_staff_day_is_grants_and_raises_no_alert() -> None:
    pipeline = Pipeline()
    assert pipeline.learn(TUESDAY, 28) > 1000
    world = World(SITE, TUESDAY, seed=0)
    behaviour = staff.install(world, TUESDAY, TUESDAY + timedelta(days=1), nuisances=False)
    pipeline.run(world, TUESDAY + timedelta(days=1))
    outcomes = pipeline.outcomes()
    total = sum(outcomes.values())
    assert total > 150
    assert outcomes.get("deny", 0) / total <= 0.01
    step_ups = [d for d in pipeline.decisions if d.outcome == "step_up"]
    # the only step-ups: the first of a vault pair waiting for the second (by design)
    assert all(d.required == ["second_person"] for d in step_ups)
    assert len(step_ups) / total <= 0.05
    assert pipeline.alerts == []
    assert behaviour.badges() == total


def test_the_contractor_comes_only_with_an_escort_badging_first() -> None:
    made = decisions(TUESDAY)
    contractor = [d for d in made if d.person_id == "p-012" and d.direction == "in"]
    assert len(contractor) >= 2  # the staff entrance and the loading bay
    for d in contractor:
        assert d.outcome == "grant"
        assert "escort.present" in d.rules
        lead = [
            e
            for e in made
            if e.door_id == d.door_id
            and e.outcome == "grant"
            and SITE.person(e.person_id).role in SITE.policies.access.escort.escort_roles
            and timedelta(0) < d.site_time - e.site_time <= timedelta(seconds=60)
        ]
        assert lead


def test_vault_visits_are_in_pairs_and_everyone_badges_out() -> None:
    made = decisions(TUESDAY)
    vault = [d for d in made if d.door_id == "d-vault"]
    entries = [d for d in vault if d.direction == "in" and d.outcome == "grant"]
    assert entries
    assert all("two_person.completed" in d.rules for d in entries)
    # the first of each pair stepped up (waiting for the second) just before
    waits = [d for d in vault if d.outcome == "step_up"]
    assert len(waits) == len(entries)
    exits = [d for d in vault if d.direction == "out"]
    assert len(exits) == 2 * len(entries)
    for entry in entries:
        out = [e for e in exits if e.site_time > entry.site_time]
        assert out and out[0].site_time - entry.site_time < timedelta(minutes=30)


def test_nuisances_a_late_worker_and_a_door_held_for_a_wheelchair() -> None:
    pipeline = Pipeline()
    pipeline.learn(TUESDAY, 28)
    world = World(SITE, TUESDAY, seed=4)  # a seed whose two days have both nuisances
    end = TUESDAY + timedelta(days=2)
    staff.install(world, TUESDAY, end)
    pipeline.run(world, end)
    late = [t for t in world.truth if t.scenario == "working_late"]
    held = [t for t in world.truth if t.scenario == "wheelchair_door"]
    assert late and held and all(not t.attack for t in late + held)
    # the late workers leave after their shift: by the exit, nobody refused, nothing raised
    assert {a.rule for a in pipeline.alerts} == {"door_held_open"}
    for truth in held:
        alerts = pipeline.caught(truth)
        assert [a.rule for a in alerts] == ["door_held_open"]
        assert alerts[0].evidence["door_id"] == truth.door
        assert pipeline.pattern(alerts) == "door_held_open"  # no named (attack) pattern
        assert pipeline.assessment(alerts).risk == "low"


def test_past_grants_are_the_staff_entries_the_policy_grants() -> None:
    grants = history(SITE.id, TUESDAY, 7, 0)
    assert grants == list(staff.past_grants(SITE, TUESDAY, 7, 0))
    assert all(TUESDAY - timedelta(days=7) <= at < TUESDAY for _, _, at in grants)
    people = {p for p, _, _ in grants}
    assert {p.id for p in SITE.people if p.role == "guard"} <= people
    for person, _, at in grants:
        schedule = SITE.person(person).schedule
        assert schedule is not None and SITE.in_schedule(schedule, at)
    assert 150 * 7 <= len(grants) <= 400 * 7
