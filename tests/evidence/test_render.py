"""Drawing an alert on its frame: shapes, people, caption, and faces blurred before drawing."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np
import pytest

from artguard.events import Alert, Severity
from artguard.evidence.render import (
    HIGHLIGHT,
    PERSON,
    caption_lines,
    plain,
    relevant_shapes,
    render,
    wrap,
)
from artguard.site import Site, parse_site
from artguard.vision.detections import Detections
from artguard.vision.faces import BlazeFaceDetector
from artguard.vision.privacy import Redactor
from tests.conftest import FIXTURES
from tests.vision.test_faces import load
from tests.vision.test_privacy import sharpness

T = datetime(2026, 11, 23, 14, 0, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def site() -> Site:
    return parse_site((FIXTURES / "plaza-site.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def redactor() -> Redactor:
    return Redactor(BlazeFaceDetector(threads=1))


def alert(rule: str = "restricted_zone", **evidence: object) -> Alert:
    return Alert(
        device_id="cam-1",
        site_time=T,
        rule=rule,
        severity=Severity.high,
        title="Person in restricted zone",
        reasons=["track 7 has stood in restricted zone \u2018Behind the rope\u2019 for 1.2 s"],
        evidence={"camera_id": "cam-1", **evidence},
        dedup_key=f"{rule}:x",
        first_event_time=T,
    )


def people(*boxes: tuple[float, float, float, float], ids: list[int]) -> Detections:
    return Detections(
        xyxy=np.asarray(boxes, np.float32).reshape(-1, 4),
        confidence=np.ones(len(boxes)),
        class_id=np.zeros(len(boxes)),
        tracker_id=np.asarray(ids),
    )


def test_shapes_follow_the_rule_and_its_evidence(site: Site) -> None:
    camera = site.camera("cam-1")
    zone = relevant_shapes(site, camera, alert(zone_id="z-rope"))
    assert [s.label for s in zone] == ["zone: Behind the rope"]
    loiter = relevant_shapes(site, camera, alert("loitering"))  # no zone id: all loiter zones
    assert [s.label for s in loiter] == ["zone: By the bench"]
    line = relevant_shapes(site, camera, alert("line_crossing", line_id="l-middle"))
    assert [(s.kind, s.closed) for s in line] == [("line", False)]
    assert relevant_shapes(site, camera, alert("after_hours_presence")) == []


def test_overlays_are_drawn_where_the_zone_and_the_people_are(site: Site) -> None:
    camera = site.camera("cam-1")
    frame = np.full((576, 768, 3), 128, np.uint8)
    tracks = people((100, 50, 160, 200), (500, 350, 580, 560), ids=[3, 7])
    a = alert(zone_id="z-rope", track_id=7)
    shown = render(
        frame,
        tracks,
        a,
        relevant_shapes(site, camera, a),
        caption_lines(site, camera, a),
        redactor=None,
    )
    out = shown.image
    band = out.shape[0] - frame.shape[0]
    assert band > 20 and out.shape[1] == 768  # the caption sits above the picture
    assert shown.people == 2 and shown.faces_blurred == shown.heads_blurred == 0
    scene = out[band:]
    np.testing.assert_array_equal(frame, np.full_like(frame, 128))  # input untouched
    # The zone (bottom half) is tinted; the top half outside any box is untouched.
    assert (scene[420:440, 250:300] != 128).any(axis=2).all()
    assert (scene[250:280, 300:400] == 128).all()
    # The alert's person in thick red, the other in amber.
    assert tuple(scene[450, 500]) == HIGHLIGHT and tuple(scene[450, 502]) == HIGHLIGHT
    assert tuple(scene[120, 100]) == PERSON
    # The caption band carries text (white pixels) on its dark background.
    assert (out[:band] > 200).all(axis=2).sum() > 200


def test_caption_names_rule_severity_local_time_camera_and_reason(site: Site) -> None:
    lines = caption_lines(site, site.camera("cam-1"), alert())
    assert lines[0].startswith("restricted_zone | HIGH | 2026-11-23 14:00:05 GMT | cam-1")
    assert "Behind the rope" in lines[1]
    assert plain(lines[1]).isascii() and "'Behind the rope'" in plain(lines[1])
    assert len(wrap("word " * 200, 300, 0.5)) > 5


def test_a_face_in_the_frame_is_blurred_before_the_boxes_are_drawn(
    site: Site, redactor: Redactor
) -> None:
    """A real face photo as a person in a CCTV frame: its detail is gone in the snapshot."""
    photo = load("tests/test_images/obama.jpg")  # face at (349, 142, 617, 409)
    person = cv2.resize(photo[80:, 250:716], None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    frame = np.full((576, 768, 3), 90, np.uint8)
    h, w = person.shape[:2]
    frame[150 : 150 + h, 320 : 320 + w] = person
    face = (347, 167, 411, 231)
    tracks = people((320, 150, 320 + w, 150 + h), ids=[7])
    camera = site.camera("cam-1")
    a = alert(zone_id="z-rope", track_id=7)
    shown = render(frame, tracks, a, [], caption_lines(site, camera, a), redactor=redactor)
    scene = shown.image[shown.image.shape[0] - 576 :]
    before, after = sharpness(frame, face), sharpness(scene, face)
    assert shown.faces_blurred + shown.heads_blurred >= 1
    assert after < before / 10, f"Laplacian variance {before:.0f} -> {after:.0f}"
    # Unblurred when the site turned blurring off (the redactor is not used).
    plain_shot = render(frame, tracks, a, [], ["x"], redactor=None).image
    inner = (355, 175, 400, 220)  # inside the face, clear of the box outline
    assert sharpness(plain_shot[plain_shot.shape[0] - 576 :], inner) == pytest.approx(
        sharpness(frame, inner)
    )
