"""Who must be blurred in a frame: everyone the detector saw, not only confirmed tracks.

A person is drawn in the evidence only once the tracker has confirmed them (so boxes carry
stable ids), but privacy cannot wait for that: someone who just walked in, or whom the tracker
lost for a frame, still shows a face. The detector's own boxes of the frame (down to
``MIN_SCORE``) that no track already covers are added to the blur set.
"""

from __future__ import annotations

import numpy as np

from artguard.vision.detections import Detections, box_iou

MIN_SCORE = 0.25
"""Weaker boxes than this are mostly not people; their heads are not worth a blur."""
SAME_PERSON_IOU = 0.5


def privacy_people(tracks: Detections, found: Detections | None) -> Detections:
    """The tracks plus every detected person of the frame that no track covers."""
    if found is None or not len(found):
        return tracks
    candidates = found[found.confidence >= MIN_SCORE]
    if len(tracks) and len(candidates):
        overlap = box_iou(candidates.xyxy, tracks.xyxy).max(axis=1)
        candidates = candidates[overlap < SAME_PERSON_IOU]
    if not len(candidates):
        return tracks
    if not len(tracks):
        return _plain(candidates)
    return Detections(
        xyxy=np.concatenate([tracks.xyxy, candidates.xyxy]),
        confidence=np.concatenate([tracks.confidence, candidates.confidence]),
        class_id=np.concatenate([tracks.class_id, candidates.class_id]),
        keypoints=_keypoints(tracks, candidates),
    )


def _plain(people: Detections) -> Detections:
    return Detections(people.xyxy, people.confidence, people.class_id, keypoints=people.keypoints)


def _keypoints(a: Detections, b: Detections) -> np.ndarray | None:
    if a.keypoints is None and b.keypoints is None:
        return None
    blank = np.zeros((0, 17, 3), np.float32)
    ka = a.keypoints if a.keypoints is not None else np.zeros((len(a), 17, 3), np.float32)
    kb = b.keypoints if b.keypoints is not None else np.zeros((len(b), 17, 3), np.float32)
    return np.concatenate([ka, kb, blank])
