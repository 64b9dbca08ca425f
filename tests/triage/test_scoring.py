"""Per-alert weights (rule, room level, artwork tier, time of day) and their combination."""

from __future__ import annotations

import pytest

from artguard.events import Severity
from artguard.site import Site
from artguard.triage.scoring import combine, contribution, risk_band, severity_for
from artguard.triage.signals import AlertFacts
from tests.conftest import NOON
from tests.triage.helpers import make_alert


def weight_of(site: Site | None, *args, **kw) -> float:  # type: ignore[no-untyped-def]
    return contribution(AlertFacts.from_alert(make_alert(*args, **kw)), site).weight


def test_noisy_or_combination() -> None:
    assert combine([]) == 0.0
    assert combine([0.5]) == pytest.approx(0.5)
    assert combine([0.5, 0.3, 0.4]) == pytest.approx(1 - 0.5 * 0.7 * 0.6)
    assert combine([0.1] * 10) == pytest.approx(1 - 0.9**10)  # many weak: not certainty
    assert combine([0.5, 0.5]) > combine([0.5])  # never decreases


def test_room_level_artwork_tier_and_hours_scale_the_base(small_site: Site) -> None:
    night_hall = weight_of(small_site, "door_forced", "hall", 0)
    night_vault = weight_of(small_site, "door_forced", "vault", 0)
    day_vault = weight_of(small_site, "door_forced", "vault", 0, base=NOON)
    assert night_hall == pytest.approx(0.5 * 0.8 * 1.25)
    assert night_vault == pytest.approx(min(0.95, 0.5 * 1.3 * 1.25))
    assert day_vault == pytest.approx(0.5 * 1.3)
    shaken = contribution(
        AlertFacts.from_alert(make_alert("sensor_threshold", "gallery", 0, device="vib-aw-1")),
        small_site,
    )
    assert shaken.artwork == "aw-1" and shaken.category == "artwork"
    assert shaken.weight == pytest.approx(0.4 * 1.0 * 1.3 * 1.25)
    assert "x1.3 artwork value tier 4" in shaken.why and shaken.why.endswith("= 0.65")


def test_climate_is_not_scaled_by_the_hour(small_site: Site) -> None:
    kw = {"device": "rh-vault", "severity": Severity.low}
    night = weight_of(small_site, "sensor_threshold", "vault", 0, **kw)
    day = weight_of(small_site, "sensor_threshold", "vault", 0, base=NOON, **kw)
    assert night == day == pytest.approx(0.15 * 1.3)


def test_unknown_rules_weigh_by_severity_and_take_the_sensor_category(small_site: Site) -> None:
    learned = AlertFacts.from_alert(
        make_alert("vibration_baseline", "gallery", 0, device="vib-aw-1", severity=Severity.medium)
    )
    item = contribution(learned, small_site)
    assert item.category == "artwork"  # from the sensor it came from
    assert item.weight == pytest.approx(0.2 * 1.0 * 1.3 * 1.25)
    assert "(severity medium)" in item.why
    other = weight_of(None, "brand_new_rule", None, 0, severity=Severity.critical)
    assert other == pytest.approx(0.5)  # no site: no room / tier / hours factors


def test_bands_and_severity() -> None:
    assert [risk_band(s) for s in (0.1, 0.4, 0.69, 0.7, None)] == [
        "low",
        "medium",
        "medium",
        "high",
        None,
    ]
    assert severity_for(0.9) == Severity.critical and severity_for(0.72) == Severity.high
