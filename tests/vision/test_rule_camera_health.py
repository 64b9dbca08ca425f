"""Camera sabotage and artwork missing/moved rules on hand-made camera events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.events import ArtworkView, CameraHealth, Severity
from artguard.site import Site, load_site
from artguard.vision.rules.artwork_view import ArtworkMissingRule
from artguard.vision.rules.camera_health import CameraHealthRule
from tests.site.helpers import DEMO_SITE

T0 = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def site() -> Site:
    return load_site(DEMO_SITE)


def health(
    camera: str, status: str, seconds: float = 0.0, detail: str | None = None
) -> CameraHealth:
    return CameraHealth(
        device_id=camera,
        site_time=T0 + timedelta(seconds=seconds),
        status=status,  # type: ignore[arg-type]
        detail=detail,
    )


def test_a_covered_camera_is_one_alert_until_it_recovers(site: Site) -> None:
    rule = CameraHealthRule(site)
    alerts = rule.on_event(health("cam-g1", "covered", 0, "mean brightness 9, contrast 1.2"))
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "camera_sabotage" and alert.room_id == "gallery-1"
    assert alert.severity == Severity.high
    assert alert.evidence["status"] == "covered"
    assert alert.evidence["max_value_tier"] == 4
    assert (
        alert.evidence["artworks"] == "aw-turner-norham,aw-turner-snowstorm,aw-constable-flatford"
    )
    assert alert.dedup_key == "camera_sabotage:cam-g1:covered"
    assert "the lens is covered" in alert.reasons[0]
    assert alert.reasons[1] == "measured: mean brightness 9, contrast 1.2"
    assert "guards 3 artwork(s)" in alert.reasons[2]
    assert rule.on_event(health("cam-g1", "covered", 5)) == []
    assert [a.evidence["status"] for a in rule.on_event(health("cam-g1", "moved", 9))] == ["moved"]
    assert rule.on_event(health("cam-g1", "online", 20)) == []
    assert len(rule.on_event(health("cam-g1", "covered", 30))) == 1


def test_severity_follows_what_the_camera_covers(site: Site) -> None:
    rule = CameraHealthRule(site)
    assert rule.on_event(health("cam-vault", "offline"))[0].severity == Severity.critical
    assert rule.on_event(health("cam-corridor", "frozen"))[0].severity == Severity.high
    data = site.model_dump(by_alias=True)
    for room in data["rooms"]:
        if room["id"] in {"entrance-hall", "sculpture-court", "staff-corridor"}:
            room["security_level"] = 1
    lowered = CameraHealthRule(Site.model_validate(data))
    # a level-1 corridor with no artworks: medium; level-1 rooms guarding the Rodin: high
    assert lowered.on_event(health("cam-corridor", "blinded"))[0].severity == Severity.medium
    assert lowered.on_event(health("cam-hall", "blinded"))[0].severity == Severity.high


def test_unknown_cameras_are_ignored(site: Site) -> None:
    assert CameraHealthRule(site).on_event(health("cam-nowhere", "offline")) == []


def view(status: str, seconds: float = 0.0, **kw: object) -> ArtworkView:
    return ArtworkView(
        device_id="cam-g2",
        site_time=T0 + timedelta(seconds=seconds),
        artwork_id=kw.pop("artwork_id", "aw-millais-ophelia"),  # type: ignore[arg-type]
        status=status,  # type: ignore[arg-type]
        **kw,  # type: ignore[arg-type]
    )


def test_a_missing_artwork_alerts_with_before_and_after_crops(site: Site) -> None:
    rule = ArtworkMissingRule(site)
    assert rule.on_event(view("present", similarity=0.71, shift_px=0.4)) == []
    missing = view(
        "missing",
        8,
        similarity=0.02,
        before_image="snapshots/artworks/a_before.jpg",
        after_image="snapshots/artworks/a_after.jpg",
    )
    alerts = rule.on_event(missing)
    assert len(alerts) == 1
    alert = alerts[0]
    assert alert.rule == "artwork_missing" and alert.artwork_id == "aw-millais-ophelia"
    assert alert.severity == Severity.critical and alert.room_id == "gallery-2"
    assert alert.evidence["before_image"] == "snapshots/artworks/a_before.jpg"
    assert alert.evidence["after_image"] == "snapshots/artworks/a_after.jpg"
    assert alert.evidence["similarity"] == 0.02
    assert "similarity to its reference view 0.02" in alert.reasons[0]
    assert rule.on_event(view("occluded", 9, similarity=0.0)) == []
    assert rule.on_event(view("missing", 10, similarity=0.0)) == []  # still missing
    assert rule.on_event(view("present", 60, similarity=0.7)) == []
    assert len(rule.on_event(view("missing", 70, similarity=0.0))) == 1


def test_a_moved_artwork_is_lower_severity_and_says_how_far(site: Site) -> None:
    rule = ArtworkMissingRule(site)
    alerts = rule.on_event(view("moved", similarity=0.6, shift_px=41.3))
    assert [(a.severity, a.evidence["shift_px"]) for a in alerts] == [(Severity.high, 41.3)]
    assert "shifted 41 px" in alerts[0].reasons[0]
    sargent = rule.on_event(view("missing", artwork_id="aw-sargent-carnation", similarity=0.0))
    assert sargent[0].severity == Severity.critical  # tier 3 missing: a possible theft


def test_unknown_artworks_are_ignored(site: Site) -> None:
    assert ArtworkMissingRule(site).on_event(view("missing", artwork_id="aw-x", similarity=0)) == []
