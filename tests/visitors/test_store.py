"""The learned model and the watch flags persist, the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine, update

from artguard.events import WatchFlag
from artguard.store.db import writing
from artguard.store.events import insert_events
from artguard.store.tables import visitor_models
from artguard.visitors.learn import learn_from_store
from artguard.visitors.model import BehaviourModel
from artguard.visitors.store import (
    load_flags,
    load_model,
    purge_flags_before,
    save_flag,
    save_model,
)
from tests.visitors.helpers import NOON, events, visitors_site, walk


def small_model() -> BehaviourModel:
    model = BehaviourModel()
    model.add_speed("plaza", "12-15", 1.2)
    model.add_direction("plaza", "12-15", (3.0, 4.0), 1.0, 0.0)
    model.add_dwell("aw-star", 12.0)
    model.add_visits("aw-star", 2)
    model.add_room_visitor("plaza", "12-15")
    model.add_transition("plaza", "gallery")
    model.visitors = 1
    return model


def test_model_round_trips_and_replaces(engine: Engine) -> None:
    assert load_model(engine, "plaza-visitors") == (BehaviourModel(), None)
    save_model(engine, "plaza-visitors", small_model())
    model, updated = load_model(engine, "plaza-visitors")
    assert updated is not None
    assert model.to_json() == small_model().to_json()
    bigger = small_model()
    bigger.visitors = 5
    save_model(engine, "plaza-visitors", bigger)
    assert load_model(engine, "plaza-visitors")[0].visitors == 5


def test_a_corrupt_stored_model_is_refused_by_name(engine: Engine) -> None:
    save_model(engine, "plaza-visitors", small_model())
    broken = small_model().to_json()
    broken["dwell"]["aw-star"] = [1, 2]
    with writing(engine) as conn:
        conn.execute(update(visitor_models).values(model=broken))
    with pytest.raises(ValueError, match=r"plaza-visitors.*histogram has 2 bins"):
        load_model(engine, "plaza-visitors")


def flag(status: str, minutes: float, kinds: list[str]) -> WatchFlag:
    return WatchFlag(
        device_id="visitors",
        site_time=NOON + timedelta(minutes=minutes),
        visitor_id="vis-1",
        status=status,  # type: ignore[arg-type]
        reason_kinds=kinds,  # type: ignore[arg-type]
        reasons=[f"reason {k}" for k in kinds],
        evidence={"circling.visits": 4},
        room_id="plaza",
        floor_xy=(5.0, 6.0),
        cameras=["cam-1"],
        tracks=["cam-1:3"],
        first_seen=NOON,
        learned=False,
    )


def test_flags_keep_their_newest_state(engine: Engine) -> None:
    save_flag(engine, flag("raised", 1, ["circling"]))
    save_flag(engine, flag("updated", 2, ["circling", "lingering"]))
    (active,) = load_flags(engine)
    assert active["status"] == "updated" and active["reason_kinds"] == ["circling", "lingering"]
    assert active["floor_xy"] == [5.0, 6.0] and active["evidence"] == {"circling.visits": 4}
    assert active["raised_time"].startswith("2026-11-23T12:01")
    save_flag(engine, flag("cleared", 3, ["circling", "lingering"]))
    assert load_flags(engine) == []
    (cleared,) = load_flags(engine, active_only=False)
    assert cleared["cleared_time"] is not None
    assert purge_flags_before(engine, NOON + timedelta(minutes=10)) == 1
    assert load_flags(engine, active_only=False) == []


def test_learning_from_the_stored_detection_events(engine: Engine) -> None:
    site = visitors_site()
    stream = events(walk(1, 0, [(0.0, 5.0), (12.0, 5.0)]) + walk(2, 30, [(0.0, 9.0), (12.0, 9.0)]))
    with writing(engine) as conn:
        insert_events(conn, [e.received(NOON) for e in stream])
    result = learn_from_store(engine, site)
    assert result.events == len(stream) and result.visitors == 2
    assert result.model.visitors == 2
    assert result.model.room_visitors["plaza|12-15"] == 2
    assert result.model.speed["plaza|12-15"].quantile(0.5) == pytest.approx(1.2)
    later = learn_from_store(engine, site, since=NOON + timedelta(hours=1))
    assert later.events == 0 and later.model.visitors == 0
