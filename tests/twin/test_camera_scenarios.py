"""The camera scenarios, run through the real rules (and the visitor watch): the right rule
fires for the right reason, and triage names the incident with the pattern the truth expects."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from artguard.events import Alert, Detection, EventBase, WatchFlag
from artguard.rules.engine import default_rules
from artguard.site import load_site
from artguard.triage.assess import assess
from artguard.triage.signals import AlertFacts
from artguard.twin import cameras, visitors
from artguard.twin.scenarios import SCENARIOS
from artguard.twin.truth import GroundTruth
from artguard.twin.visitors import VisitorSettings
from artguard.twin.world import World
from artguard.visitors.watch import VisitorWatch

SITE = load_site("src/artguard/demo/site.yaml")
TUESDAY = datetime(2026, 6, 2, 0, 0, tzinfo=SITE.tz)  # open 10:00-18:00


class Run:
    """A world with visitors and cameras, one scenario injected, fed to the real rules."""

    def __init__(self, name: str, at: datetime, seed: int = 1, crowd: int = 300) -> None:
        self.world = World(SITE, at - timedelta(minutes=30), seed=seed)
        start, end = self.world.start, at + timedelta(hours=4)
        visitors.install(self.world, TUESDAY, TUESDAY + timedelta(days=1), VisitorSettings(crowd))
        cameras.install(self.world, start, end)
        SCENARIOS[name].inject(self.world, at)
        self.truth = _one(self.world.truth, name)
        self.rules = default_rules(SITE)
        self.watch = VisitorWatch(SITE)
        self.alerts: list[Alert] = []
        self.flags: list[WatchFlag] = []
        self.detections: list[Detection] = []

    def run(self, until: datetime, step: timedelta = timedelta(seconds=5)) -> Run:
        t = self.world.now
        while t < until:
            t = min(t + step, until)
            for item in self.world.due(t):
                if isinstance(item, EventBase):
                    self._feed(item)
            for rule in self.rules:
                self.alerts.extend(rule.on_tick(t))
            self.flags.extend(self.watch.tick(t))
        return self

    def _feed(self, event: EventBase) -> None:
        for rule in self.rules:
            if event.kind in rule.kinds:
                self.alerts.extend(rule.on_event(event))
        if isinstance(event, Detection):
            self.detections.append(event)
            self.flags.extend(self.watch.on_detection(event))

    def caught(self) -> list[Alert]:
        """Alerts the truth's rules raised in its rooms (or about its artwork) in its window."""
        truth = self.truth
        return [
            a
            for a in self.alerts
            if a.rule in truth.rules
            and (a.room_id in truth.rooms or (truth.artwork and a.artwork_id == truth.artwork))
            and truth.start - timedelta(seconds=5)
            <= a.first_event_time
            <= truth.start + truth.window
        ]

    def pattern(self) -> str:
        return assess([AlertFacts.from_alert(a) for a in self.caught()], SITE).pattern


def _one(truths: list[GroundTruth], name: str) -> GroundTruth:
    found = [t for t in truths if t.scenario == name]
    assert len(found) == 1, f"{name} recorded {len(found)} truths"
    return found[0]


def test_every_camera_scenario_is_registered() -> None:
    for name in (
        "theft_attempt",
        "casing",
        "touching_artwork",
        "hiding_at_closing",
        "camera_covered",
        "camera_turned",
    ):
        assert name in SCENARIOS


def test_theft_attempt_is_a_barrier_breach_vibration_and_missing_artwork() -> None:
    run = Run("theft_attempt", TUESDAY.replace(hour=14))
    truth = run.truth
    run.run(truth.start + truth.window)
    fired = {a.rule for a in run.caught()}
    assert fired == {"virtual_barrier", "sensor_threshold", "artwork_missing"}
    barrier = [a for a in run.caught() if a.rule == "virtual_barrier"]
    assert all(a.evidence["contact"] == "reaching" for a in barrier)  # by keypoints
    breach = min(a.first_event_time for a in run.caught() if a.rule == "virtual_barrier")
    assert timedelta(0) <= breach - truth.start < timedelta(seconds=2)
    assert run.pattern() == "theft_in_progress" == truth.patterns[0]
    art = SITE.artwork(str(truth.artwork))
    assert art.mount_sensors and art.value_tier == 4


def test_touching_artwork_raises_the_barrier_alert_once_and_is_named_touching() -> None:
    run = Run("touching_artwork", TUESDAY.replace(hour=12, minute=10), seed=3)
    truth = run.truth
    run.run(truth.start + truth.window)
    caught = run.caught()
    art = SITE.artwork(str(truth.artwork))
    # One alert per camera that has a barrier drawn for the work (one cause for triage).
    assert sorted(a.device_id for a in caught) == sorted(b.camera for b in art.barriers)
    assert {a.rule for a in caught} == {"virtual_barrier"}
    assert len({a.dedup_key for a in caught}) == 1
    for alert in caught:
        assert alert.evidence["contact"] == "reaching"
        seconds = (alert.site_time - alert.first_event_time).total_seconds()
        assert art.barrier_min_seconds <= seconds < art.barrier_min_seconds + 0.5
    assert run.pattern() == "touching_artwork" == truth.patterns[0]
    assert [a for a in run.alerts if a.rule == "virtual_barrier"] == caught  # nobody else


def test_hiding_at_closing_is_seen_after_the_grace_and_named_an_intrusion() -> None:
    run = Run("hiding_at_closing", TUESDAY.replace(hour=16), seed=2)
    truth = run.truth
    assert truth.start == TUESDAY.replace(hour=18)  # moved to the closing
    run.run(truth.start + truth.window)
    caught = run.caught()
    assert {a.rule for a in caught} == {"after_hours_presence"}
    first = min(a.first_event_time for a in caught)
    assert timedelta(minutes=10) <= first - truth.start <= timedelta(minutes=11)
    assert run.pattern() == "after_hours_intrusion" == truth.patterns[0]
    # The visitor watch flags them too (still in a public room after the announcement).
    assert any("after_closing" in f.reason_kinds and f.room_id in truth.rooms for f in run.flags)
    # Only the hider: every ordinary visitor had left.
    assert {a.room_id for a in run.alerts if a.rule == "after_hours_presence"} <= set(truth.rooms)


def test_casing_is_flagged_circling_and_named_casing_by_triage() -> None:
    run = Run("casing", TUESDAY.replace(hour=11, minute=20), seed=4)
    truth = run.truth
    run.run(truth.start + truth.window)
    circling = [f for f in run.flags if "circling" in f.reason_kinds and f.status == "raised"]
    assert len(circling) == 1
    flag = circling[0]
    assert flag.evidence["circling.artwork_id"] == truth.artwork
    assert int(str(flag.evidence["circling.visits"])) >= 3
    assert flag.site_time - truth.start < truth.window
    # The flags go on the bus like any event; the rules that want them (kind "watch") turn
    # the circling into an alert about the work, which triage names casing.
    for watch_flag in run.flags:
        for rule in run.rules:
            if watch_flag.kind in rule.kinds:
                run.alerts.extend(rule.on_event(watch_flag))
    caught = run.caught()
    assert [(a.rule, a.artwork_id, a.evidence["reason"]) for a in caught] == [
        ("visitor_casing", truth.artwork, "circling")
    ]
    assert caught[0].evidence["visitor_id"] == flag.visitor_id
    assert caught[0].site_time == flag.site_time
    assert run.pattern() == "casing" == truth.patterns[0]
    assert truth.rules == ("visitor_casing",) and truth.details["watch_reason"] == "circling"
    # Nobody else in the room is taken for a thief casing the work.
    assert [a for a in run.alerts if a.room_id in truth.rooms] == caught


@pytest.mark.parametrize(
    ("name", "status"), [("camera_covered", "covered"), ("camera_turned", "moved")]
)
def test_camera_sabotage_is_reported_as_the_worker_would_and_blinds_the_camera(
    name: str, status: str
) -> None:
    run = Run(name, TUESDAY.replace(hour=13), seed=5)
    truth = run.truth
    camera = truth.details["camera"]
    run.run(truth.start + timedelta(minutes=30))
    caught = run.caught()
    assert [(a.rule, a.evidence["status"]) for a in caught] == [("camera_sabotage", status)]
    assert caught[0].device_id == camera
    assert timedelta(seconds=3) == caught[0].site_time - truth.start  # the worker's hold
    assert run.pattern() == "sensor_or_camera_sabotage" == truth.patterns[0]
    blind = [
        d
        for d in run.detections
        if d.device_id == camera
        and truth.start <= d.site_time < truth.start + timedelta(minutes=20)
    ]
    assert blind == []
    after = [d for d in run.detections if d.device_id == camera and d.site_time > truth.start]
    assert after  # it sees again once back online
