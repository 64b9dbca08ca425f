"""The twin's timeline: steps run in time order, badges wait for access control's answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.events import AccessAttempt, AccessDecision, SensorReading
from artguard.site import load_site
from artguard.twin.world import BadgeRequest, World

SITE = load_site("src/artguard/demo/site.yaml")
T0 = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)


def reading(at: datetime, value: float) -> SensorReading:
    return SensorReading(device_id="temp-g1", site_time=at, value=value)


def test_due_returns_events_in_time_order_and_runs_steps_that_schedule_more() -> None:
    world = World(SITE, T0, seed=1)
    world.emit(reading(T0 + timedelta(seconds=5), 2))
    world.emit(reading(T0 + timedelta(seconds=1), 1))

    def step(at: datetime) -> None:  # a step emitting an event at once and one later
        world.emit(reading(at, 3))
        world.emit(reading(at + timedelta(seconds=60), 4))

    world.at(T0 + timedelta(seconds=3), step)
    due = world.due(T0 + timedelta(seconds=10))
    assert [e.value for e in due] == [1, 3, 2]
    assert world.now == T0 + timedelta(seconds=10)
    assert [e.value for e in world.due(T0 + timedelta(minutes=5))] == [4]
    assert world.next_time() is None


def test_a_badge_follow_up_runs_only_on_the_matching_answer() -> None:
    world = World(SITE, T0)
    granted: list[str] = []
    denied: list[str] = []
    attempt = AccessAttempt(device_id="r-hall-g1", site_time=T0, credential_id="card-1001")
    world.badge(
        attempt,
        on_grant=lambda at, d: granted.append(d.outcome),
        on_deny=lambda at, d: denied.append(d.outcome),
    )
    (request,) = world.due(T0)
    assert isinstance(request, BadgeRequest) and request.attempt is attempt

    def decision(outcome: str) -> AccessDecision:
        return AccessDecision(
            device_id="r-hall-g1", site_time=T0, credential_id="card-1001",
            outcome=outcome, risk=0.0, reasons=["test"],
        )  # fmt: skip

    world.answer("someone-else", decision("grant"))  # not this badge: nothing happens
    assert granted == denied == []
    world.answer(attempt.id, decision("step_up"))  # a step-up the reader cannot meet
    assert denied == ["step_up"] and granted == []
    world.answer(attempt.id, decision("grant"))  # answered already: ignored
    assert granted == []


def test_random_streams_are_per_name_and_reproducible_for_a_seed() -> None:
    a, b = World(SITE, T0, seed=3), World(SITE, T0, seed=3)
    assert [a.rng("x").random() for _ in range(3)] == [b.rng("x").random() for _ in range(3)]
    assert World(SITE, T0, seed=3).rng("y").random() != World(SITE, T0, seed=3).rng("x").random()
    assert World(SITE, T0, seed=4).rng("x").random() != World(SITE, T0, seed=3).rng("x").random()


def test_presence_tracks_one_room_per_person_and_signals_reach_listeners() -> None:
    world = World(SITE, T0)
    heard: list[tuple[datetime, str, str]] = []
    world.on("move", lambda at, who, dst, **_: heard.append((at, who, dst)))
    world.presence.enter("v-1", "gallery-1", (3.0, 4.0))
    world.presence.enter("v-1", "gallery-3")
    world.signal("move", T0, who="v-1", src="gallery-1", dst="gallery-3", role="visitor")
    assert world.presence.room_of("v-1") == "gallery-3"
    assert world.presence.count("gallery-1") == 0 and "v-1" not in world.presence.positions
    assert heard == [(T0, "v-1", "gallery-3")]


def test_a_naive_start_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        World(SITE, datetime(2026, 6, 2, 9, 0))
