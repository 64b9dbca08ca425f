"""Each named pattern is recognised from its signals, with reasons; precedence holds."""

from __future__ import annotations

import pytest

from artguard.events import Alert, Severity
from artguard.site import Site
from artguard.triage.assess import assess
from artguard.triage.signals import AlertFacts
from tests.conftest import NIGHT, NOON
from tests.triage.helpers import camera_alert, make_alert


def facts(*alerts: Alert) -> list[AlertFacts]:
    return [AlertFacts.from_alert(a) for a in alerts]


CASES = {
    "theft_in_progress": lambda: [
        make_alert("door_forced", "hall", 0, device="dc-front"),
        make_alert("sensor_threshold", "gallery", 30, device="vib-aw-1"),
    ],
    "after_hours_intrusion": lambda: [
        make_alert("door_forced", "hall", 0, device="dc-front"),
        make_alert("sensor_threshold", "gallery", 30, device="pir-gallery"),
    ],
    "sensor_or_camera_sabotage": lambda: [camera_alert("cam-1", "gallery", "covered", 0)],
    "touching_artwork": lambda: [
        make_alert("virtual_barrier", "gallery", 0, base=NOON, device="cam-1", artwork="aw-1")
    ],
    "insider_misuse": lambda: [
        make_alert("access_anomaly", "vault", 0, base=NOON, device="r-vault"),
        make_alert("restricted_zone", "vault", 20, base=NOON, device="cam-9"),
    ],
    "tailgating": lambda: [make_alert("tailgating", "vault", 0, base=NOON, device="r-vault")],
    "environmental_risk": lambda: [
        make_alert("sensor_threshold", "vault", 0, device="rh-vault", severity=Severity.low),
        make_alert("sensor_threshold", "vault", 9, device="t-vault", severity=Severity.low),
    ],
}


@pytest.mark.parametrize("pattern", sorted(CASES))
def test_each_named_pattern(pattern: str, small_site: Site) -> None:
    result = assess(facts(*CASES[pattern]()), small_site)
    assert result.pattern == pattern
    assert result.pattern_label and result.pattern_reasons


def test_theft_reasons_name_the_artwork_and_the_entry(small_site: Site) -> None:
    result = assess(facts(*CASES["theft_in_progress"]()), small_site)
    assert result.pattern_reasons == [
        "artwork signal: vibration (aw-1)",
        "with door forced open (hall)",
    ]
    assert "after_hours_intrusion" in result.other_patterns


def test_motion_is_an_intrusion_only_after_hours(small_site: Site) -> None:
    night = assess(
        facts(make_alert("sensor_threshold", "gallery", 0, device="pir-gallery")), small_site
    )
    day = assess(
        facts(make_alert("sensor_threshold", "gallery", 0, device="pir-gallery", base=NOON)),
        small_site,
    )
    assert night.pattern == "after_hours_intrusion"
    assert day.pattern == "sensor_threshold"  # no named pattern: the strongest rule
    assert day.pattern_label is None and day.score < night.score


def test_an_artwork_missing_alone_is_a_theft(small_site: Site) -> None:
    gone = make_alert("artwork_missing", "gallery", 0, base=NOON, device="cam-1", artwork="aw-1")
    result = assess(facts(gone), small_site)
    assert result.pattern == "theft_in_progress" and result.risk == "high"


def test_climate_with_a_security_signal_is_not_environmental(small_site: Site) -> None:
    mixed = [
        make_alert("sensor_threshold", "vault", 0, device="rh-vault", severity=Severity.low),
        make_alert("sensor_tamper", "vault", 5, device="t-vault"),
    ]
    assert assess(facts(*mixed), small_site).pattern == "sensor_or_camera_sabotage"


def test_assess_refuses_an_empty_incident(small_site: Site) -> None:
    with pytest.raises(ValueError, match="at least one alert"):
        assess([], small_site)


def test_night_constant_is_after_hours(small_site: Site) -> None:
    assert not any(small_site.is_open_to_public(r.id, NIGHT) for r in small_site.rooms)
