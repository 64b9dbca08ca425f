"""Learned access behaviour: each anomaly kind is raised with its reason, normal habits are
not, and the detectors hold their measured precision and recall on generated histories."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

from artguard.access.anomaly import BehaviourRisk
from artguard.access.baseline import AccessBaseline
from artguard.access.pdp import DecisionPoint
from artguard.access.request import AccessRequest, Decision
from artguard.config import Settings
from artguard.demo.access_history import ANOMALY_KINDS, HistoryGenerator
from artguard.runtime import Runtime
from artguard.site import load_site

from .helpers import LONDON, TUESDAY_10, access_site

DEMO_SITE = Path(__file__).parents[2] / "src" / "artguard" / "demo" / "site.yaml"


def anomalies(decision: Decision) -> dict[str, str]:
    return {
        f.rule.removeprefix("anomaly."): f.reason
        for f in decision.findings
        if f.rule.startswith("anomaly.")
    }


class Habitual:
    """A decision point whose baseline saw Gail Guard badge at the front door and the gallery
    at about 10:00 every day for five weeks."""

    def __init__(self) -> None:
        site = access_site()
        self.risk = BehaviourRisk(site)
        for day in range(35):
            at = TUESDAY_10 - timedelta(days=35 - day)
            self.risk.baseline.observe("p-guard", "d-front", at)
            self.risk.baseline.observe("p-guard", "d-gallery", at + timedelta(minutes=20))
        self.pdp = DecisionPoint(site, risk_sources=[self.risk])

    def ask(self, credential: str, reader: str, at: datetime, *factors: str) -> Decision:
        decision = self.pdp.decide(AccessRequest.make(credential, reader, at, factors or ["card"]))
        self.pdp.record(decision)
        return decision


def test_habitual_behaviour_raises_nothing() -> None:
    h = Habitual()
    assert anomalies(h.ask("card-guard", "r-front", TUESDAY_10)) == {}
    assert anomalies(h.ask("card-guard", "r-front-out", TUESDAY_10 + timedelta(minutes=5))) == {}
    assert anomalies(h.ask("card-guard", "r-gallery", TUESDAY_10 + timedelta(minutes=20))) == {}


def test_an_unusual_hour_is_flagged_with_the_persons_history() -> None:
    h = Habitual()
    decision = h.ask("card-guard", "r-gallery", TUESDAY_10.replace(hour=16))
    reason = anomalies(decision)["hour"]
    assert "unusual hour for Gail Guard: 16:00 on a Tuesday" in reason
    assert "of their 70 past entries" in reason


def test_a_door_never_used_is_flagged() -> None:
    h = Habitual()
    decision = h.ask("card-guard", "r-corridor", TUESDAY_10, "card", "pin")
    assert (
        "Gail Guard has never used Corridor door in 70 entries" in anomalies(decision)["new_door"]
    )


def test_impossible_travel_between_distant_doors() -> None:
    h = Habitual()
    h.ask("card-super", "r-vault-out", TUESDAY_10)  # an exit: granted, card seen at the vault
    decision = h.ask("card-super", "r-front", TUESDAY_10 + timedelta(seconds=2))
    reason = anomalies(decision)["travel"]
    assert "was granted at Vault inner door 2 s ago; walking here takes at least" in reason
    later = h.ask("card-super", "r-front-out", TUESDAY_10 + timedelta(minutes=5))
    assert "travel" not in anomalies(later)


def test_a_card_used_while_its_holder_is_inside_a_badged_room() -> None:
    h = Habitual()
    h.ask("card-curator2", "r-vault", TUESDAY_10, "card", "pin", "face")
    inside = h.ask(
        "card-curator", "r-vault", TUESDAY_10 + timedelta(seconds=5), "card", "pin", "face"
    )
    assert inside.outcome == "grant"
    copy = h.ask("card-curator", "r-gallery", TUESDAY_10 + timedelta(minutes=10))
    assert "Cara Curator is recorded inside Vault since 10:00" in anomalies(copy)["clone"]
    h.ask("card-curator2", "r-vault-out", TUESDAY_10 + timedelta(minutes=15))
    out = h.ask("card-curator2", "r-gallery", TUESDAY_10 + timedelta(minutes=20))
    assert "clone" not in anomalies(out)


def test_a_burst_of_denials_at_one_reader() -> None:
    h = Habitual()
    for i in range(5):
        h.ask(f"card-stolen-{i}", "r-corridor", TUESDAY_10 + timedelta(seconds=10 * i))
    probe = h.ask("card-stolen-9", "r-corridor", TUESDAY_10 + timedelta(seconds=60))
    assert "5 denials at reader r-corridor in the last 2 min" in anomalies(probe)["denial_burst"]
    quiet = h.ask("card-guard", "r-corridor", TUESDAY_10 + timedelta(minutes=5), "card", "pin")
    assert "denial_burst" not in anomalies(quiet)


def test_after_hours_entry_into_a_staff_room() -> None:
    h = Habitual()
    h.ask("card-super", "r-corridor", TUESDAY_10, "card", "pin")
    night = datetime(2026, 11, 25, 3, 10, tzinfo=LONDON)
    decision = h.ask("card-super", "r-store", night, "card", "pin")
    assert (
        "after-hours entry into Store room (security level 3) at 03:10"
        in (anomalies(decision)["after_hours_storage"])
    )
    day = h.ask("card-super", "r-store", TUESDAY_10 + timedelta(hours=1), "card", "pin")
    assert "after_hours_storage" not in anomalies(day)


def test_anomalies_raise_the_risk_into_a_step_up() -> None:
    h = Habitual()
    h.ask("card-super", "r-vault-out", TUESDAY_10)
    decision = h.ask("card-super", "r-front", TUESDAY_10 + timedelta(seconds=2))
    assert decision.risk >= 0.7
    assert decision.outcome == "step_up" and decision.required == ["face"]


def test_detectors_hold_their_figures_on_a_generated_history() -> None:
    """A small version of bench/access_anomalies.py: if a detector regresses, this fails."""
    site = load_site(DEMO_SITE)
    generator = HistoryGenerator(site, seed=5)
    start = date(2026, 9, 7)
    baseline = AccessBaseline(site.tz)
    baseline.learn(generator.grants(start, 28))
    pdp = DecisionPoint(site, risk_sources=[BehaviourRisk(site, baseline)])
    found = missed = false_flags = normal = 0
    for event in generator.with_anomalies(start + timedelta(days=28), 7, 8):
        decision = pdp.decide(event.request)
        pdp.record(decision)
        flagged = set(anomalies(decision))
        if not event.injected:
            normal += 1
            false_flags += bool(flagged)
        elif event.anomaly is not None:
            found += event.anomaly in flagged
            missed += event.anomaly not in flagged
    assert normal > 100 and found + missed >= 6 * len(ANOMALY_KINDS)
    assert found / (found + missed) >= 0.75
    assert 1000 * false_flags / normal <= 20


async def test_a_restart_relearns_the_baseline_from_stored_decisions(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var")
    today = datetime.now(LONDON).replace(hour=10, minute=0, second=0, microsecond=0)
    async with Runtime(settings, access_site(), live_clock=False) as first:
        for day in range(30, 1, -1):
            at = today - timedelta(days=day)
            await first.access.decide(AccessRequest.make("card-super", "r-front", at))
            await first.access.decide(
                AccessRequest.make("card-super", "r-front-out", at + timedelta(hours=1))
            )
    async with Runtime(settings, access_site(), live_clock=False) as second:
        habits = second.access.behaviour.baseline.habits("p-super")
        assert habits is not None and habits.grants == 29
        assert habits.doors["d-front"] == 29
