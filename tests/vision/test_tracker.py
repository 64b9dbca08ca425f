"""ByteTracker on synthetic tracks: stable ids through crossings and occlusions, lost tracks
dropped, one-frame false positives never reported."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from artguard.vision.detections import Detections
from artguard.vision.tracker import ByteTracker

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
FPS = 5.0


def dets(*boxes: tuple[float, float, float, float, float], cls: int = 0) -> Detections:
    """Detections from (x1, y1, x2, y2, score) tuples."""
    if not boxes:
        return Detections.empty()
    array = np.array(boxes, np.float32)
    return Detections(xyxy=array[:, :4], confidence=array[:, 4], class_id=np.full(len(array), cls))


def person(x: float, y: float = 100.0, score: float = 0.9) -> tuple[float, ...]:
    return (x, y, x + 40.0, y + 120.0, score)


def at(frame: int) -> datetime:
    return T0 + timedelta(seconds=frame / FPS)


def ids_by_x(out: Detections) -> dict[int, float]:
    assert out.tracker_id is not None
    return {int(i): float(x) for i, x in zip(out.tracker_id, out.xyxy[:, 0], strict=True)}


def test_two_people_crossing_keep_their_ids_through_the_occlusion() -> None:
    tracker = ByteTracker()
    left_id = right_id = None
    for f in range(50):
        a = 20 + 12 * f  # walks right
        b = 620 - 12 * f  # walks left, behind the other one
        boxes = [person(a)]
        if abs(a - b) > 30:
            boxes.append(person(b, score=0.85))
        elif abs(a - b) > 10:
            boxes.append(person(b, score=0.3))  # half hidden: only a weak detection
        # fully hidden (|a - b| <= 10): not detected at all
        out = tracker.update(dets(*boxes), at(f))
        seen = ids_by_x(out)
        if f == 5:
            left_id = min(seen, key=seen.get)  # type: ignore[arg-type]
            right_id = max(seen, key=seen.get)  # type: ignore[arg-type]
        if f > 5 and left_id in seen:
            assert abs(seen[left_id] - a) < 1.0, f"id {left_id} jumped to the other person at {f}"
        if f > 5 and right_id in seen:
            assert abs(seen[right_id] - b) < 1.0, f"id {right_id} jumped to the other person at {f}"
    final = ids_by_x(out)
    assert set(final) == {left_id, right_id}
    assert tracker.ids_issued == 2


def test_low_score_boxes_keep_a_track_but_never_start_one() -> None:
    tracker = ByteTracker()
    for f in range(3):
        tracker.update(dets(person(100 + 5 * f)), at(f))
    for f in range(3, 10):  # occluded: weak detections only
        out = tracker.update(dets(person(100 + 5 * f, score=0.25)), at(f))
        assert list(out.tracker_id) == [1], f"track not kept on a low-score box at frame {f}"
    weak_only = ByteTracker()
    for f in range(10):
        assert len(weak_only.update(dets(person(300, score=0.4)), at(f))) == 0
    assert weak_only.ids_issued == 0


def test_low_score_boxes_alone_do_not_keep_a_track_for_ever() -> None:
    """A person-shaped shadow left where someone stood must not hold the track (and the
    detector) for ever: weak boxes bridge at most ``lost_seconds`` since the last strong one."""
    tracker = ByteTracker(lost_seconds=2.0)
    for f in range(5):
        tracker.update(dets(person(200)), at(f))
    reported = [len(tracker.update(dets(person(200, score=0.2)), at(f))) for f in range(5, 30)]
    assert reported[:10] == [1] * 10  # 2 s of bridging at 5 fps
    assert reported[10:] == [0] * 15
    assert len(tracker.active_boxes()) == 0


def test_a_lost_track_is_found_again_within_the_buffer_and_dropped_after_it() -> None:
    tracker = ByteTracker(lost_seconds=2.0)
    for f in range(5):
        tracker.update(dets(person(200)), at(f))
    for f in range(5, 12):  # 1.4 s behind a pillar
        assert len(tracker.update(dets(), at(f))) == 0
    out = tracker.update(dets(person(200)), at(12))
    assert list(out.tracker_id) == [1]

    for f in range(13, 30):  # 3.4 s away: longer than the buffer
        tracker.update(dets(), at(f))
    tracker.update(dets(person(200)), at(30))
    out = tracker.update(dets(person(200)), at(31))
    assert list(out.tracker_id) == [2]


def test_one_frame_false_positives_are_never_reported() -> None:
    tracker = ByteTracker(min_hits=2)
    rng = np.random.default_rng(3)
    reported: set[int] = set()
    for f in range(40):
        boxes = [person(100 + 4 * f)]
        x, y = rng.uniform(300, 900), rng.uniform(0, 500)  # clutter somewhere new every frame
        boxes.append((x, y, x + 30, y + 60, 0.8))
        out = tracker.update(dets(*boxes), at(f))
        reported |= set(ids_by_x(out))
    assert reported == {1}


def test_min_hits_delays_confirmation_and_ids_are_dense() -> None:
    tracker = ByteTracker(min_hits=3)
    outs = [tracker.update(dets(person(100), person(400)), at(f)) for f in range(4)]
    assert [len(o) for o in outs] == [0, 0, 2, 2]
    assert sorted(outs[-1].tracker_id) == [1, 2]


def test_a_fast_walker_is_confirmed_at_a_low_frame_rate() -> None:
    """At 5 fps a brisk walker moves two thirds of their width between frames; a new track has
    no velocity yet, so its first match relies on the buffered IoU."""
    tracker = ByteTracker()
    outs = [tracker.update(dets(person(100 + 27 * f)), at(f)) for f in range(4)]
    assert [len(o) for o in outs] == [0, 1, 1, 1]
    strict = ByteTracker(tentative_buffer=0.0)
    assert all(len(strict.update(dets(person(100 + 27 * f)), at(f))) == 0 for f in range(4))


def test_skipped_frames_use_real_time_between_frames() -> None:
    """A fast walker seen at irregular times (motion gate, slow frames) keeps one id."""
    tracker = ByteTracker()
    times = [0.0, 0.2, 0.4, 0.6, 1.4, 1.6, 1.8, 2.6, 2.8]
    speed = 75.0  # px/s: moves 60 px, more than a box width, during the 0.8 s gaps
    ids = set()
    for t in times:
        out = tracker.update(dets(person(50 + speed * t)), T0 + timedelta(seconds=t))
        ids |= set(ids_by_x(out))
    assert ids == {1}


def test_classes_do_not_swap_and_extra_data_follows_the_rows() -> None:
    tracker = ByteTracker()
    for f in range(3):
        people = dets(person(100), person(300))
        people.data["floor_xy"] = np.array([[1.0, 2.0], [3.0, 4.0]])
        bag = dets(person(100), cls=24)  # a backpack exactly where the person is
        merged = Detections(
            xyxy=np.concatenate([people.xyxy, bag.xyxy]),
            confidence=np.concatenate([people.confidence, bag.confidence]),
            class_id=np.concatenate([people.class_id, bag.class_id]),
            data={"floor_xy": np.array([[1.0, 2.0], [3.0, 4.0], [9.0, 9.0]])},
        )
        out = tracker.update(merged, at(f))
    assert len(out) == 3
    by_class = {int(c): int(i) for c, i in zip(out.class_id, out.tracker_id, strict=True) if c}
    assert by_class == {24: 3}
    people_rows = out.class_id == 0
    assert out.data["floor_xy"][people_rows].tolist() == [[1.0, 2.0], [3.0, 4.0]]


def test_no_time_given_steps_by_the_frame_interval() -> None:
    tracker = ByteTracker(frame_interval=0.1, lost_seconds=0.5)
    for _ in range(3):
        tracker.update(dets(person(100)))
    for _ in range(6):  # 0.6 s > 0.5 s
        tracker.update(dets())
    tracker.update(dets(person(100)))
    out = tracker.update(dets(person(100)))
    assert list(out.tracker_id) == [2]
    assert len(tracker.active_boxes()) == 1
