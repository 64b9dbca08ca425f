"""Face detection for privacy blurring: how many faces BlazeFace finds, and how fast.

Data, beside the repository in ``../shared/data`` (``--data`` for another copy):

* ``faces/face_recognition_examples``: 18 distinct photos with 21 faces, labelled in
  ``tests/vision/test_faces.py``. A face is found when a detection overlaps it with IoU >= 0.5.
  Measured three ways: the whole photo; through the head crops of the people the default person
  detector (CenterNet) finds; and at CCTV scale, each one-face photo shrunk so that its face is
  48 to 12 pixels wide and pasted into a grey 1280x720 frame, the whole frame against the head
  crop of the pasted photo as the person box (CenterNet finds few people in a pasted portrait).
* ``artworks/``: photos and paintings without faces; the highest face score on them shows how
  far the threshold is from the background.
* ``pennfudan/``: 170 street photos with 423 labelled people, walking towards, across and away
  from the camera; no face labels. For each labelled person: whether a face was found in their
  head zone, or the fail-safe head blur applies. Faces found in zones of the same size moved to
  where nobody is count as false detections.

Times are per call after a warm-up: wall clock and the process's CPU time (one onnxruntime
thread unless ``--threads``); the face step only, person detection excluded.

    .venv/bin/python bench/faces.py
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

from artguard.vision.detections import Detections, FloatArray, box_iou
from artguard.vision.detectors import create_detector
from artguard.vision.faces import BlazeFaceDetector
from artguard.vision.privacy import RedactionPolicy, uncovered_persons

ROOT = Path(__file__).resolve().parent.parent
FACELESS = (
    "golden_gate.jpg",
    "hoovertowernight.jpg",
    "shipwreck.jpg",
    "starry_night.jpg",
    "starry_night_google.jpg",
    "starry_night_crop.png",
    "tubingen.jpg",
)
FACE_WIDTHS = (48, 32, 24, 16, 12)
IOU = 0.5


def labelled_faces() -> dict[str, list[tuple[int, int, int, int]]]:
    """The face boxes of the face photos; they live with the tests that check them."""
    sys.path.insert(0, str(ROOT))
    from tests.vision.test_faces import FACES

    return FACES


class Timer:
    """Wall and CPU milliseconds per call of what it wraps."""

    def __init__(self) -> None:
        self.wall: list[float] = []
        self.cpu: list[float] = []

    def __call__(self, run: Callable[[], Detections]) -> Detections:
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        self.wall.append((time.perf_counter() - wall) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)
        return result

    def __str__(self) -> str:
        return f"{np.mean(self.wall):.0f} ms/image ({np.mean(self.cpu):.0f} ms CPU)"


def found(labelled: FloatArray, faces: Detections) -> int:
    """Labelled faces matched one-to-one by a detection with IoU >= 0.5."""
    if not len(labelled) or not len(faces):
        return 0
    iou = box_iou(labelled, faces.xyxy)
    hits = 0
    for i in np.argsort(-iou.max(axis=1)):
        j = int(np.argmax(iou[i]))
        if iou[i, j] >= IOU:
            hits += 1
            iou[:, j] = 0.0
    return hits


def photos(data: Path, faces: BlazeFaceDetector, persons_of: Callable) -> None:
    folder = data / "faces" / "face_recognition_examples"
    labels = labelled_faces()
    total = sum(len(v) for v in labels.values())
    whole, crops, extra = Timer(), Timer(), 0
    hits_whole = hits_crops = 0
    for name, boxes in labels.items():
        image = cv2.imread(str(folder / name))
        labelled = np.asarray(boxes, np.float32)
        result = whole(lambda image=image: faces.detect(image))
        hits_whole += found(labelled, result)
        extra += len(result) - found(labelled, result)
        persons = persons_of(image)
        hits_crops += found(labelled, crops(lambda i=image, p=persons: faces.detect(i, p)))
    print(f"face photos ({len(labels)} photos, {total} faces), threshold {faces.score_threshold}")
    print(f"  whole photo:  {hits_whole}/{total} found, {extra} other detections, {whole}")
    print(f"  person crops: {hits_crops}/{total} found, {crops}")


def cctv_scale(data: Path, faces: BlazeFaceDetector) -> None:
    folder = data / "faces" / "face_recognition_examples"
    single = {k: v[0] for k, v in labelled_faces().items() if len(v) == 1}
    print(f"CCTV scale: {len(single)} one-face photos shrunk into a 1280x720 frame")
    for width in FACE_WIDTHS:
        hits_whole = hits_crops = 0
        for name, box in single.items():
            image = cv2.imread(str(folder / name))
            scale = width / (box[2] - box[0])
            small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            small = small[:700, :1260]
            frame = np.full((720, 1280, 3), 110, np.uint8)
            frame[10 : 10 + small.shape[0], 10 : 10 + small.shape[1]] = small
            face = np.asarray([box], np.float32) * scale + 10
            h, w = small.shape[:2]  # the person box: the photo (head and upper body)
            persons = Detections(np.asarray([[10, 10, 10 + w, 10 + h]]), np.ones(1), np.zeros(1))
            hits_whole += found(face, faces.detect(frame))
            hits_crops += found(face, faces.detect(frame, persons))
        print(
            f"  face {width:2d} px: whole frame {hits_whole}/{len(single)}, "
            f"person crops {hits_crops}/{len(single)}"
        )


def faceless(data: Path, threshold: float, threads: int) -> None:
    folder = data / "artworks" / "neural_style_inputs" / "examples" / "inputs"
    every = BlazeFaceDetector(score_threshold=0.01, threads=threads)
    scores = []
    for name in FACELESS:
        result = every.detect(cv2.imread(str(folder / name)))
        scores.append(float(result.confidence.max(initial=0.0)))
    print(
        f"face-less photos and paintings ({len(FACELESS)}): highest face score "
        f"{max(scores):.2f}, {sum(s >= threshold for s in scores)} at or above {threshold}"
    )


def pennfudan(data: Path, faces: BlazeFaceDetector) -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    from detection_pennfudan import load_pennfudan

    samples = load_pennfudan(data / "pennfudan")
    timer, policy = Timer(), RedactionPolicy()
    people = with_face = fallback = small = background_zones = false_faces = 0
    for sample in samples:
        image = cv2.imread(str(sample.image))
        persons = Detections(sample.boxes, np.ones(len(sample.boxes)), np.zeros(len(sample.boxes)))
        result = timer(lambda i=image, p=persons: faces.detect(i, p))
        uncovered = uncovered_persons(persons, result, image.shape, policy)
        tall = (persons.xyxy[:, 3] - persons.xyxy[:, 1]) >= policy.min_person_px
        people += len(persons)
        small += int((~tall).sum())
        fallback += int(uncovered.sum())
        with_face += int((tall & ~uncovered).sum())
        empty = _zones_where_nobody_is(persons, image.shape)
        background_zones += len(empty)
        false_faces += len(faces.detect(image, empty))
    print(f"Penn-Fudan ({len(samples)} photos, {people} people, labelled boxes as persons)")
    print(f"  face found in the head zone: {with_face}, head blurred by the fail-safe: {fallback}")
    print(f"  too small to matter (< {policy.min_person_px:.0f} px): {small}; {timer}")
    print(f"  false faces in {background_zones} person-sized zones where nobody is: {false_faces}")


def _zones_where_nobody_is(persons: Detections, shape: tuple[int, ...]) -> Detections:
    """Each person's box moved sideways, in steps of its width, to the first place where it
    overlaps no labelled person (and still fits the image)."""
    moved = []
    for x1, y1, x2, y2 in persons.xyxy:
        width = x2 - x1
        for step in (1, -1, 2, -2, 3, -3):
            box = np.asarray([[x1 + step * width, y1, x2 + step * width, y2]], np.float32)
            inside = box[0, 0] >= 0 and box[0, 2] <= shape[1]
            if inside and box_iou(box, persons.xyxy).max() == 0:
                moved.append(box[0])
                break
    boxes = np.asarray(moved, np.float32).reshape(-1, 4)
    return Detections(boxes, np.ones(len(boxes)), np.zeros(len(boxes)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    if not (args.data / "faces").is_dir():
        print(f"no face photos under {args.data}; pass --data", file=sys.stderr)
        return 2
    faces = BlazeFaceDetector(threads=args.threads)
    people = create_detector(threads=args.threads)
    faces.detect(np.zeros((256, 256, 3), np.uint8))  # warm-up
    photos(args.data, faces, people.detect)
    cctv_scale(args.data, faces)
    faceless(args.data, faces.score_threshold, args.threads)
    pennfudan(args.data, faces)
    return 0


if __name__ == "__main__":
    sys.exit(main())
