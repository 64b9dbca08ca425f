"""Everyone the detector saw is blurred in evidence, not only the confirmed tracks."""

from __future__ import annotations

from datetime import UTC, datetime

import cv2
import numpy as np

from artguard.evidence.people import privacy_people
from artguard.evidence.render import caption_lines, render
from artguard.vision.detections import Detections
from tests.evidence.test_render import alert, people, redactor, site  # noqa: F401
from tests.vision.test_faces import load
from tests.vision.test_privacy import sharpness

T = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)


def found(*boxes: tuple[float, float, float, float], scores: list[float]) -> Detections:
    return Detections(
        xyxy=np.asarray(boxes, np.float32).reshape(-1, 4),
        confidence=np.asarray(scores),
        class_id=np.zeros(len(boxes)),
    )


def test_untracked_detections_join_the_blur_set() -> None:
    tracks = people((10, 10, 50, 150), ids=[3])
    raw = found((12, 11, 51, 149), (300, 40, 340, 200), (500, 40, 540, 200), scores=[0.9, 0.6, 0.1])
    blur = privacy_people(tracks, raw)
    # the track, plus the untracked person; not the track's own box again, not a weak box
    assert blur.xyxy.tolist() == [[10, 10, 50, 150], [300, 40, 340, 200]]
    assert privacy_people(tracks, None) is tracks
    assert len(privacy_people(Detections.empty(), raw)) == 2


def test_a_face_of_someone_not_yet_tracked_is_blurred(site, redactor) -> None:  # noqa: F811
    photo = load("tests/test_images/obama.jpg")
    person = cv2.resize(photo[80:, 250:716], None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    frame = np.full((576, 768, 3), 90, np.uint8)
    h, w = person.shape[:2]
    frame[150 : 150 + h, 320 : 320 + w] = person
    face = (347, 167, 411, 231)
    nobody_tracked = Detections.empty()
    seen = privacy_people(nobody_tracked, found((320, 150, 320 + w, 150 + h), scores=[0.8]))
    a = alert(zone_id="z-rope")
    camera = site.camera("cam-1")
    caption = caption_lines(site, camera, a)
    shown = render(frame, nobody_tracked, a, [], caption, redactor=redactor, people=seen)
    scene = shown.image[shown.image.shape[0] - 576 :]
    assert sharpness(scene, face) < sharpness(frame, face) / 10
    assert shown.people == 0  # nobody drawn: only confirmed tracks get boxes
