"""The demo's scripted attacks: each fits the hour and shows (and is over) promptly."""

from __future__ import annotations

from datetime import datetime

from artguard.demo.twin_runner import LASTS_AT_MOST, SHOWS_WITHIN, DemoScripts
from artguard.site import load_site
from artguard.twin.scenarios import SCENARIOS
from artguard.twin.site_day import fits, span
from artguard.twin.world import World

SITE = load_site("src/artguard/demo/site.yaml")


def picks(at: datetime, n: int) -> list[str]:
    scripts = DemoScripts(SITE, seed=7)
    return [name for name in (scripts.pick(at) for _ in range(n)) if name is not None]


def test_scripted_attacks_take_turns_fit_the_hour_and_are_prompt() -> None:
    for at in (
        datetime(2026, 6, 2, 3, 0, tzinfo=SITE.tz),  # a Tuesday night: closed
        datetime(2026, 6, 2, 14, 0, tzinfo=SITE.tz),  # the same afternoon: open
    ):
        chosen = picks(at, 2 * len(SCENARIOS))
        assert len(set(chosen)) >= 4, chosen  # turns, not the same attack again and again
        assert "humidity_drift" not in chosen  # hours long: no use in a live demo
        for name in set(chosen):
            assert fits(SITE, at, SCENARIOS[name].when), (name, at)
            first, last = span(World(SITE, at, seed=7), name, at)
            assert first - at <= SHOWS_WITHIN and last - at <= LASTS_AT_MOST, name


def test_night_and_day_choose_different_attacks() -> None:
    night = set(picks(datetime(2026, 6, 2, 3, 0, tzinfo=SITE.tz), len(SCENARIOS)))
    day = set(picks(datetime(2026, 6, 2, 14, 0, tzinfo=SITE.tz), len(SCENARIOS)))
    assert night != day
    assert "after_hours_intrusion" in night and "after_hours_intrusion" not in day
