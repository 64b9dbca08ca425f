"""Person detectors on real photos: found where the ground truth is, in the image's own pixels."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

from artguard.vision.detections import COCO_PERSON, Detections, box_iou
from artguard.vision.detectors import (
    DEFAULT_DETECTOR,
    DETECTOR_TYPES,
    Detector,
    create_detector,
)
from artguard.vision.detectors.onnx_session import OnnxDetector, nms, resize_into

DATA = Path(__file__).parents[3] / "shared" / "data"
PENNFUDAN = DATA / "pennfudan"
needs_data = pytest.mark.skipif(
    not PENNFUDAN.is_dir(), reason=f"Penn-Fudan reference data not found at {PENNFUDAN}"
)
IMAGES = ("FudanPed00001", "FudanPed00010", "PennPed00011", "PennPed00030")
"""Fixed picks: Fudan and Penn photos, portrait and landscape, one to four people each."""


def ground_truth(stem: str) -> np.ndarray:
    text = (PENNFUDAN / "Annotation" / f"{stem}.txt").read_text()
    corners = re.findall(r"\((\d+), (\d+)\) - \((\d+), (\d+)\)", text)
    boxes = np.asarray(corners, np.float32).reshape(-1, 4)
    boxes[:, :2] -= 1  # 1-based inclusive -> 0-based
    return boxes


def photo(stem: str) -> np.ndarray:
    return cv2.imread(str(PENNFUDAN / "PNGImages" / f"{stem}.png"))


@pytest.fixture(scope="module", params=sorted(DETECTOR_TYPES))
def detector(request: pytest.FixtureRequest) -> Detector:
    return create_detector(request.param)


@needs_data
def test_labelled_people_are_found(detector: Detector) -> None:
    """At its default threshold every back end finds someone in each photo and 7 of the 8
    people (NanoDet misses a partly hidden man in PennPed00011: its Penn-Fudan recall is 0.76)."""
    best = []
    for stem in IMAGES:
        found = detector.detect(photo(stem))
        assert set(found.class_id.tolist()) <= {COCO_PERSON}
        overlaps = box_iou(ground_truth(stem), found.xyxy).max(axis=1, initial=0.0)
        assert overlaps.max() > 0.5, f"{detector.name} found nobody in {stem}"
        best.extend(overlaps.tolist())
    assert np.mean(np.asarray(best) > 0.5) >= 7 / 8, f"{detector.name}: best IoUs {best}"


@needs_data
def test_default_detector_finds_every_labelled_person() -> None:
    detector = create_detector()
    for stem in IMAGES:
        overlaps = box_iou(ground_truth(stem), detector.detect(photo(stem)).xyxy)
        assert (overlaps.max(axis=1, initial=0.0) > 0.5).all(), f"{stem}: {overlaps}"


@pytest.mark.parametrize("value", [0, 128, 255])
def test_uniform_image_has_no_detections(detector: Detector, value: int) -> None:
    assert len(detector.detect(np.full((480, 640, 3), value, np.uint8))) == 0


@needs_data
@pytest.mark.parametrize("layout", ["wide", "tall"])
def test_boxes_are_in_original_pixels_of_non_square_images(detector: Detector, layout: str) -> None:
    """The same people on a wide or tall padded canvas: the boxes move with them."""
    stem = "FudanPed00001"
    image, truth = photo(stem), ground_truth(stem)
    h, w = image.shape[:2]
    dx, dy = (100, 0) if layout == "wide" else (0, 150)
    canvas = np.zeros(
        (h + (2 * h if layout == "tall" else 0), w * (3 if layout == "wide" else 1), 3), np.uint8
    )
    canvas[dy : dy + h, dx : dx + w] = image
    found = detector.detect(canvas)
    assert (box_iou(truth + np.float32([dx, dy, dx, dy]), found.xyxy).max(axis=1) > 0.5).all()


@needs_data
def test_boxes_scale_with_the_image(detector: Detector) -> None:
    stem = "FudanPed00001"
    image, truth = photo(stem), ground_truth(stem)
    h, w = image.shape[:2]
    small = detector.detect(cv2.resize(image, (w // 2, h // 2), interpolation=cv2.INTER_AREA))
    assert (box_iou(truth / 2, small.xyxy).max(axis=1) > 0.5).all()


@needs_data
def test_all_classes_on_request(detector: Detector) -> None:
    """A cyclist photo: with every class kept the bicycle (COCO 1) shows up as well."""
    kind = detector.name.split("@")[0]
    everything = create_detector(kind, classes=None, score_threshold=0.3)
    found = everything.detect(photo("FudanPed00029"))
    assert {0, 1} <= set(found.class_id.tolist())


def test_registry_errors_name_what_is_known() -> None:
    with pytest.raises(ValueError, match=r"known: .*centernet"):
        create_detector("yolo")
    with pytest.raises(ValueError, match="score_threshold"):
        create_detector("nanodet", treshold=0.5)
    with pytest.raises(ValueError, match="fixed 416x416"):
        create_detector("nanodet", input_size=320)
    with pytest.raises(ValueError, match="nms_iou"):
        create_detector("centernet", nms_iou=0.0)
    assert DEFAULT_DETECTOR in DETECTOR_TYPES


def test_options_override_back_end_defaults() -> None:
    tuned = create_detector("centernet")
    assert isinstance(tuned, OnnxDetector)
    custom = create_detector("centernet", score_threshold=0.9, classes=[0, 2], threads=1)
    assert isinstance(custom, OnnxDetector)
    assert custom.options.score_threshold == 0.9
    assert custom.options.classes == (0, 2)
    assert custom.options.nms_iou == tuned.options.nms_iou
    assert tuned.options.classes == (COCO_PERSON,)


def test_nms_keeps_best_of_overlapping_boxes() -> None:
    boxes = np.asarray(
        [[0, 0, 10, 10], [1, 1, 11, 11], [20, 20, 30, 30], [0, 0, 10, 9.5]], np.float32
    )
    scores = np.asarray([0.6, 0.9, 0.5, 0.4], np.float32)
    assert nms(boxes, scores, 0.5).tolist() == [1, 2]
    assert nms(boxes, scores, 0.99).tolist() == [1, 0, 2, 3]


def test_letterbox_maps_back_to_image_pixels() -> None:
    image = np.zeros((300, 600, 3), np.uint8)
    canvas, resize = resize_into(image, 416, 416, keep_ratio=True)
    assert canvas.shape == (416, 416, 3)
    assert (resize.pad_x, resize.pad_y) == (0.0, 104.0)
    back = resize.boxes_to_image(np.asarray([[0, 104, 416, 312]], np.float32))
    np.testing.assert_allclose(back, [[0, 0, 600, 300]], atol=1e-4)
    _, stretch = resize_into(image, 416, 416, keep_ratio=False)
    back = stretch.boxes_to_image(np.asarray([[0, 0, 416, 416]], np.float32))
    np.testing.assert_allclose(back, [[0, 0, 600, 300]], atol=1e-4)


def test_empty_detections_shape(detector: Detector) -> None:
    found = detector.detect(np.zeros((10, 10, 3), np.uint8))
    assert isinstance(found, Detections) and found.xyxy.shape == (0, 4)
