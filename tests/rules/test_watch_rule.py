"""Casing: visitor watch flags at a high-value work become one alert per visitor and work, and
triage names the incident ``casing`` unless an artwork signal names it first."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from artguard.bus.memory import MemoryBus
from artguard.events import Alert, Severity, WatchFlag
from artguard.rules.engine import RuleEngine, default_rules
from artguard.rules.watch import LINGER_NEAR_M, CasingRule
from artguard.site import load_site
from artguard.triage.assess import assess
from artguard.triage.signals import AlertFacts
from tests.visitors.helpers import visitors_site

SITE = visitors_site()
T0 = datetime(2026, 6, 2, 11, 0, tzinfo=SITE.tz)


def flag(
    kinds: list[str],
    status: str = "raised",
    *,
    visitor: str = "vis-1",
    at: datetime = T0,
    room: str = "plaza",
    xy: tuple[float, float] = (8.0, 10.0),
    **evidence: Any,
) -> WatchFlag:
    return WatchFlag(
        id=f"wf-{visitor}-{status}-{len(kinds)}",
        device_id="visitors",
        site_time=at,
        visitor_id=visitor,
        status=status,  # type: ignore[arg-type]
        reason_kinds=kinds,  # type: ignore[arg-type]
        reasons=[f"{kind} reason" for kind in kinds],
        evidence=evidence,
        room_id=room,
        floor_xy=xy,
        cameras=["cam-1"],
        tracks=["cam-1:7"],
        first_seen=at - timedelta(minutes=12),
        learned=True,
    )


def circling(artwork: str = "aw-star", **kw: Any) -> WatchFlag:
    return flag(["circling"], **{"circling.artwork_id": artwork, "circling.visits": 5}, **kw)


def test_circling_back_to_a_high_value_work_is_one_alert_about_it() -> None:
    rule = CasingRule(SITE)
    [alert] = rule.on_event(circling())
    assert alert.rule == "visitor_casing"
    assert alert.artwork_id == "aw-star" and alert.room_id == "plaza"
    assert alert.severity == Severity.high  # value tier 4
    assert "keeps coming back" in alert.title
    assert alert.reasons[0] == "circling reason"
    assert alert.evidence["circling.visits"] == 5 and alert.evidence["reason"] == "circling"
    assert alert.dedup_key == "visitor_casing:vis-1:aw-star"
    assert alert.source_event_ids == ["wf-vis-1-raised-1"]
    assert alert.first_event_time == T0


def test_an_updated_flag_does_not_repeat_it_and_a_new_visit_after_leaving_does() -> None:
    rule = CasingRule(SITE)
    assert len(rule.on_event(circling())) == 1
    later = T0 + timedelta(minutes=2)
    updated = flag(
        ["circling", "against_flow"],
        "updated",
        at=later,
        **{"circling.artwork_id": "aw-star", "circling.visits": 5},
    )
    assert rule.on_event(updated) == []
    assert rule.on_event(flag(["circling"], "cleared", at=later)) == []
    assert rule._alerted == {}  # the visitor left: nothing kept about them
    # Another visitor (or the same id reused) circling the work again is a new cause.
    assert len(rule.on_event(circling(visitor="vis-2"))) == 1


def test_low_value_works_and_other_reasons_raise_nothing() -> None:
    rule = CasingRule(SITE)
    assert rule.on_event(circling("aw-minor", room="gallery", xy=(30.0, 11.0))) == []
    assert rule.on_event(circling("aw-gone")) == []  # not (any more) in the site file
    assert rule.on_event(flag(["against_flow"])) == []
    assert rule.on_event(flag(["after_closing"])) == []


def test_lingering_counts_only_near_a_high_value_work() -> None:
    rule = CasingRule(SITE)
    near = flag(["lingering"], xy=(6.0, 10.0 + LINGER_NEAR_M - 0.5), **{"lingering.zone_id": "z"})
    [alert] = rule.on_event(near)
    assert alert.artwork_id == "aw-star" and "lingers near" in alert.title
    assert alert.evidence["distance_m"] == LINGER_NEAR_M - 0.5
    far = flag(
        ["lingering"],
        visitor="vis-2",
        xy=(6.0, 10.0 + LINGER_NEAR_M + 0.5),
        **{"lingering.zone_id": "z"},
    )
    assert rule.on_event(far) == []
    minor = flag(["lingering"], visitor="vis-3", room="gallery", xy=(30.0, 10.5))
    assert rule.on_event(minor) == []


def test_triage_names_it_casing_but_an_artwork_signal_names_it_first() -> None:
    [alert] = CasingRule(SITE).on_event(circling())
    facts = AlertFacts.from_alert(alert.model_copy(update={"id": "al-casing"}))
    found = assess([facts], SITE)
    assert found.pattern == "casing"
    assert 0.1 <= found.score < 0.4  # on the dashboard, nobody paged for a look alone
    touch = Alert(
        device_id="cam-1",
        site_time=T0,
        rule="virtual_barrier",
        severity=Severity.high,
        title="Barrier",
        reasons=["hand inside"],
        dedup_key="virtual_barrier:aw-star",
        room_id="plaza",
        artwork_id="aw-star",
        first_event_time=T0,
    )
    both = assess([facts, AlertFacts.from_alert(touch.model_copy(update={"id": "al-t"}))], SITE)
    assert both.pattern == "touching_artwork"
    assert both.score > found.score


async def test_the_rule_engine_hears_watch_flags_on_the_bus() -> None:
    site = load_site("src/artguard/demo/site.yaml")
    bus = MemoryBus()
    await bus.start()
    engine = RuleEngine(bus, default_rules(site))
    assert "watch" in engine.kinds
    heard: list[Alert] = []

    async def hear(event: Any) -> None:
        heard.append(event)

    bus.subscribe("test", hear, kinds=frozenset({"alert"}))
    engine.attach()
    await bus.publish(circling("aw-rodin-kiss", room="sculpture-court", xy=(20.0, 15.0)).received())
    await bus.drain()  # the engine publishes its alert ...
    await bus.drain()  # ... which then reaches the listener
    await bus.stop()
    assert [a.rule for a in heard] == ["visitor_casing"]
