"""A compact colour signature of a tracked person: what they wear, never who they are.

The signature is two HSV colour histograms, one of the upper body (torso) and one of the lower
body (legs), 16 bins each: 12 hue bins for coloured pixels and 4 brightness bins for grey,
black and white ones (whose hue means nothing). The head, the top of the box, is left out, so
no face enters it; it identifies clothing colours well enough to join two track fragments of
the same visitor across cameras, and nothing more. Each half sums to 0.5 (the whole to 1).

:class:`AppearanceSampler` keeps a smoothed signature per track and says when to send it: at
the track's first sample, then at most every ``send_every`` seconds, so detection events stay
small.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import cv2
import numpy as np
import numpy.typing as npt

from artguard.vision.detections import Detections

HUE_BINS = 12
GREY_BINS = 4
PART_BINS = HUE_BINS + GREY_BINS
SIGNATURE_LENGTH = 2 * PART_BINS
UPPER = (0.18, 0.55)
"""Fractions of the box height: the torso, below the head (no face in the signature)."""
LOWER = (0.55, 0.92)
"""The legs, above the feet (floor shows between them there)."""
CENTRE = (0.2, 0.8)
"""Fractions of the box width: the middle of the body, less background beside it."""
MIN_SATURATION = 50
MIN_VALUE = 40
MIN_CROP_PIXELS = 48
"""Boxes smaller than this (per part) are too small for a meaningful signature."""

Signature = npt.NDArray[np.float32]


def _part_histogram(hsv: npt.NDArray[np.uint8]) -> Signature | None:
    pixels = hsv.reshape(-1, 3)
    if len(pixels) < MIN_CROP_PIXELS:
        return None
    hue, sat, val = pixels[:, 0], pixels[:, 1], pixels[:, 2]
    coloured = (sat >= MIN_SATURATION) & (val >= MIN_VALUE)
    histogram = np.zeros(PART_BINS, np.float32)
    # OpenCV hue runs 0..179; 12 bins of 15 degrees.
    hue_bins = np.minimum(hue[coloured].astype(np.int32) * HUE_BINS // 180, HUE_BINS - 1)
    histogram[:HUE_BINS] = np.bincount(hue_bins, minlength=HUE_BINS)
    grey = val[~coloured].astype(np.int32)
    histogram[HUE_BINS:] = np.bincount(
        np.minimum(grey * GREY_BINS // 256, GREY_BINS - 1), minlength=GREY_BINS
    )
    return histogram / histogram.sum() * 0.5


def signature(image: npt.NDArray[np.uint8], box: Sequence[float]) -> Signature | None:
    """The colour signature of the person in ``box`` (x1, y1, x2, y2 pixels) of a BGR image.

    None when the box is too small or mostly outside the image.
    """
    height, width = image.shape[:2]
    x1, y1, x2, y2 = (float(v) for v in box)
    bw, bh = x2 - x1, y2 - y1
    if bw < 4 or bh < 8:
        return None
    left = int(np.clip(x1 + CENTRE[0] * bw, 0, width))
    right = int(np.clip(x1 + CENTRE[1] * bw, 0, width))
    parts = []
    for top_f, bottom_f in (UPPER, LOWER):
        top = int(np.clip(y1 + top_f * bh, 0, height))
        bottom = int(np.clip(y1 + bottom_f * bh, 0, height))
        crop = image[top:bottom, left:right]
        if crop.size == 0:
            return None
        part = _part_histogram(cv2.cvtColor(crop, cv2.COLOR_BGR2HSV))
        if part is None:
            return None
        parts.append(part)
    return np.concatenate(parts)


def distance(a: Sequence[float], b: Sequence[float]) -> float:
    """0 for identical signatures, 1 for ones with no colour in common.

    The Hellinger distance of each half (torso, legs), averaged; robust to the small shifts in
    proportions that lighting and pose cause, sensitive to a different colour of clothing.
    """
    p = np.asarray(a, np.float64)
    q = np.asarray(b, np.float64)
    if p.shape != (SIGNATURE_LENGTH,) or q.shape != (SIGNATURE_LENGTH,):
        raise ValueError(
            f"appearance signatures must have {SIGNATURE_LENGTH} values (got {p.size} and {q.size})"
        )
    total = 0.0
    for part in (slice(0, PART_BINS), slice(PART_BINS, SIGNATURE_LENGTH)):
        pp, qq = p[part], q[part]
        sp, sq = pp.sum(), qq.sum()
        if sp <= 0 or sq <= 0:
            return 1.0
        overlap = float(np.sqrt((pp / sp) * (qq / sq)).sum())
        total += np.sqrt(max(0.0, 1.0 - min(overlap, 1.0)))
    return total / 2


def object_column(values: Sequence[object]) -> npt.NDArray[np.object_]:
    """A 1-d object array of ``values`` (lists stay lists), for ``Detections.data``."""
    column = np.empty(len(values), dtype=object)
    for i, value in enumerate(values):
        column[i] = value
    return column


@dataclass
class _TrackSignature:
    value: Signature
    samples: int
    last_sample: datetime
    last_sent: datetime | None = None


class AppearanceSampler:
    """Smoothed signatures per track of one camera, and which are due to be sent."""

    def __init__(
        self,
        *,
        send_every: float = 2.0,
        sample_every: float = 0.4,
        smoothing: float = 0.3,
        forget_after: float = 30.0,
    ) -> None:
        self.send_every = timedelta(seconds=send_every)
        self.sample_every = timedelta(seconds=sample_every)
        self.smoothing = smoothing
        """Weight of a new sample in the running signature (exponential smoothing)."""
        self.forget_after = timedelta(seconds=forget_after)
        self._tracks: dict[int, _TrackSignature] = {}

    def update(
        self, image: npt.NDArray[np.uint8], tracks: Detections, at: datetime
    ) -> list[list[float] | None]:
        """Per track (row of ``tracks``): its signature when due to be sent, else None."""
        out: list[list[float] | None] = [None] * len(tracks)
        if tracks.tracker_id is None:
            return out
        for i, track_id in enumerate(int(t) for t in tracks.tracker_id):
            state = self._tracks.get(track_id)
            if state is None or at - state.last_sample >= self.sample_every:
                sample = signature(image, tracks.xyxy[i])
                if sample is not None:
                    state = self._sample(track_id, state, sample, at)
            if state is None:
                continue
            if state.last_sent is None or at - state.last_sent >= self.send_every:
                state.last_sent = at
                out[i] = [round(float(v), 4) for v in state.value]
        self._forget(at)
        return out

    def _sample(
        self, track_id: int, state: _TrackSignature | None, sample: Signature, at: datetime
    ) -> _TrackSignature:
        if state is None:
            state = _TrackSignature(sample, 1, at)
            self._tracks[track_id] = state
            return state
        state.value = (1 - self.smoothing) * state.value + self.smoothing * sample
        state.samples += 1
        state.last_sample = at
        return state

    def _forget(self, at: datetime) -> None:
        stale = [t for t, s in self._tracks.items() if at - s.last_sample > self.forget_after]
        for track_id in stale:
            del self._tracks[track_id]
