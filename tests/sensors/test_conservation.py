"""Conservation limits per room: the site model and the rule."""

from __future__ import annotations

from datetime import timedelta

import pytest

from artguard.events import Severity
from artguard.sensors.conservation_rule import ConservationRule
from artguard.site import SiteError
from tests.conftest import NIGHT

from .helpers import reading, site_with_conservation

TEN_S = timedelta(seconds=10)


def test_limits_are_read_from_the_room() -> None:
    site = site_with_conservation()
    limits = site.room("vault").conservation
    assert limits is not None and limits.humidity == (45, 55)
    assert limits.max_rate_per_hour is not None and limits.max_rate_per_hour.temperature == 1.5
    assert site.room("gallery").conservation is None


@pytest.mark.parametrize(
    ("block", "message"),
    [
        (
            "    conservation: {humidity: [55, 45]}\n",
            r"low limit \(55\) must be below the high \(45\)",
        ),
        ("    conservation: {humidity: [40, 120]}\n", "outside 0..100"),
        ("    conservation: {}\n", "at least one of"),
        ("    conservation: {max_rate_per_hour: {humidity: -1}}\n", "greater than 0"),
        ("    conservation: {humdity: [40, 60]}\n", "humdity"),
    ],
)
def test_bad_limits_are_refused_with_the_reason(block: str, message: str) -> None:
    with pytest.raises(SiteError, match=message):
        site_with_conservation(block)


def test_band_alert_once_per_excursion_then_rearm() -> None:
    rule = ConservationRule(site_with_conservation())
    assert rule.on_event(reading("rh-vault", NIGHT, 50)) == []
    out = rule.on_event(reading("rh-vault", NIGHT + TEN_S, 56.5))
    assert len(out) == 1 and out[0].severity is Severity.low and out[0].room_id == "vault"
    assert "56.5 %RH, above the room's conservation band 45..55 %RH" in out[0].reasons[0]
    assert rule.on_event(reading("rh-vault", NIGHT + 2 * TEN_S, 57)) == []
    assert rule.on_event(reading("rh-vault", NIGHT + 3 * TEN_S, 50)) == []  # back: re-armed
    assert len(rule.on_event(reading("rh-vault", NIGHT + 4 * TEN_S, 44))) == 1


def test_rate_of_change_over_an_hour() -> None:
    rule = ConservationRule(site_with_conservation())
    at, alerts = NIGHT, []
    for i in range(360):  # a steady hour at 20 C
        alerts += rule.on_event(reading("t-vault", at, 20.0 + (0.02 if i % 2 else 0)))
        at += TEN_S
    assert alerts == []
    for i in range(360):  # then +2.4 C in the next hour: inside the band, but too fast
        alerts += rule.on_event(reading("t-vault", at, 20.0 + 2.4 * i / 360 - 0.4))
        at += TEN_S
    rate = [a for a in alerts if a.dedup_key.startswith("conservation:rate")]
    assert len(rate) == 1
    assert "rose" in rate[0].reasons[0] and "limit is 1.5 C per hour" in rate[0].reasons[0]


def test_a_slow_normal_day_stays_quiet() -> None:
    rule = ConservationRule(site_with_conservation())
    at, alerts = NIGHT, []
    for i in range(8640):  # a day, 1 C peak-to-peak swing
        hours = i / 360
        alerts += rule.on_event(reading("t-vault", at, 20 + 0.5 * ((hours % 24) / 12 - 1)))
        alerts += rule.on_event(reading("rh-vault", at, 50 + ((i * 7) % 5) * 0.2))
        at += TEN_S
    assert alerts == []
