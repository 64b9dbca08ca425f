"""Multi-object tracking with stable ids: our own implementation of ByteTrack.

ByteTrack (Zhang et al., ECCV 2022, "ByteTrack: Multi-Object Tracking by Associating Every
Detection Box") tracks by detection with a Kalman filter per track and one idea that matters:
low-confidence boxes are not thrown away. A person half hidden behind another visitor or a
plinth is often still detected, with a low score; matching those boxes, but only to tracks
that already exist, keeps the track (and its id) through the occlusion without letting
low-score clutter start new tracks. Each :meth:`ByteTracker.update`:

1. predicts every track to the frame's time (constant-velocity Kalman filter on box centre,
   aspect ratio and height; time in seconds, so a skipped frame is just a longer step);
2. matches the *high-score* boxes to the confirmed tracks seen in the previous frame by IoU
   with the Hungarian algorithm, then what is left to the lost tracks (a lost track that
   matches is found again, with its old id). The paper pools current and lost tracks in one
   matching; matching the lost ones second keeps a lost track, whose predicted box drifts,
   from taking the box of a person tracked right now (on TUD-Campus ground-truth boxes this
   removes an id switch);
3. matches the *low-score* boxes to the current tracks still unmatched (not the lost ones),
   as long as the track had a high-score box within ``lost_seconds``: weak boxes bridge an
   occlusion, they must not keep a track alive for ever on a person-shaped shadow (which
   would also keep the motion gate running the detector on an empty room);
4. marks the confirmed tracks still unmatched as lost; they are dropped after
   ``lost_seconds`` without a match;
5. matches the remaining high-score boxes to tentative tracks; a tentative track matched on
   ``min_hits`` consecutive frames is confirmed and gets the next id; one that misses a frame
   is dropped (most false detections last a frame). A tentative track has no velocity yet,
   and at 5 analysed frames a second a walker moves half their width between frames, so this
   stage compares boxes widened by ``tentative_buffer`` of their size on each side (the
   "buffered IoU" of Yang et al., WACV 2023);
6. starts a tentative track for each remaining box above ``new_track_thresh``.

Only confirmed tracks are reported, so ids are dense and a one-frame false positive never
shows up as a person.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from scipy.optimize import linear_sum_assignment

from artguard.vision.detections import Detections, FloatArray, box_iou

TENTATIVE, TRACKED, LOST = "tentative", "tracked", "lost"


class BoxKalman:
    """Constant-velocity Kalman filter on (cx, cy, aspect, height) and their velocities.

    Noise scales with the box height, so a near (large) person may move more pixels than a far
    one. Process noise is per second, which lets the time between frames vary.
    """

    def __init__(
        self,
        position_noise: float = 0.3,
        velocity_noise: float = 1.0,
        measurement_noise: float = 0.05,
    ) -> None:
        self.position_noise = position_noise
        """Std of the box position drift, in box heights per sqrt(second)."""
        self.velocity_noise = velocity_noise
        """Std of the velocity change, in box heights per second per sqrt(second)."""
        self.measurement_noise = measurement_noise
        """Std of a detector's box position, in box heights."""
        self._h = np.eye(4, 8)

    def initiate(self, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = to_cxcyah(box)
        mean = np.concatenate([z, np.zeros(4)])
        h = z[3]
        std = [
            2 * self.measurement_noise * h,
            2 * self.measurement_noise * h,
            1e-2,
            2 * self.measurement_noise * h,
            2 * self.velocity_noise * h,
            2 * self.velocity_noise * h,
            1e-5,
            2 * self.velocity_noise * h,
        ]
        return mean, np.diag(np.square(std))

    def predict(
        self, mean: np.ndarray, cov: np.ndarray, dt: float
    ) -> tuple[np.ndarray, np.ndarray]:
        if dt <= 0:
            return mean, cov
        f = np.eye(8)
        f[:4, 4:] = np.eye(4) * dt
        h = mean[3]
        pos, vel = self.position_noise * h, self.velocity_noise * h
        q = np.diag(np.square([pos, pos, 1e-2, pos, vel, vel, 1e-5, vel])) * dt
        return f @ mean, f @ cov @ f.T + q

    def update(
        self, mean: np.ndarray, cov: np.ndarray, box: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        z = to_cxcyah(box)
        std = self.measurement_noise * mean[3]
        r = np.diag(np.square([std, std, 1e-1, std]))
        s = self._h @ cov @ self._h.T + r
        gain = np.linalg.solve(s, self._h @ cov).T
        mean = mean + gain @ (z - self._h @ mean)
        cov = cov - gain @ s @ gain.T
        return mean, cov


def _widened(boxes: FloatArray, fraction: float) -> FloatArray:
    """Boxes grown by ``fraction`` of their width and height on every side."""
    if fraction == 0:
        return boxes
    size = boxes[:, 2:] - boxes[:, :2]
    pad = np.concatenate([size, size], axis=1) * fraction
    return boxes + pad * np.array([-1, -1, 1, 1], np.float32)


def to_cxcyah(box: np.ndarray) -> np.ndarray:
    x1, y1, x2, y2 = (float(v) for v in box)
    h = max(y2 - y1, 1e-3)
    return np.array([(x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / h, h])


def to_xyxy(state: np.ndarray) -> np.ndarray:
    cx, cy, a, h = state[:4]
    h = max(h, 1e-3)
    w = a * h
    return np.array([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2])


@dataclass(eq=False)
class _Track:
    mean: np.ndarray
    cov: np.ndarray
    class_id: int
    time: float
    """Seconds: when the state was last predicted to or updated."""
    last_seen: float
    last_high: float
    """Seconds: when a high-score box last matched."""
    state: str = TENTATIVE
    hits: int = 1
    track_id: int | None = None
    matched_row: int | None = field(default=None, repr=False)

    @property
    def box(self) -> np.ndarray:
        return to_xyxy(self.mean)


class ByteTracker:
    """Fills ``tracker_id`` of each frame's detections with ids stable across frames.

    Feed it every analysed frame of one camera, in time order, with the frame's time. The
    thresholds are on detection confidence; ``*_iou`` the smallest overlap that counts as the
    same object in each matching stage. The paper's 0.5 / 0.6 (high / new track) suit YOLOX's
    scores; the bundled CenterNet and NanoDet score clearly visible people from about 0.35
    (their tuned operating point), so the defaults sit there. Give the tracker the detector's
    boxes down to ``low_thresh`` (``create_detector(..., score_threshold=0.1)``), or the second
    stage has nothing to work with.
    """

    def __init__(
        self,
        *,
        high_thresh: float = 0.35,
        low_thresh: float = 0.1,
        new_track_thresh: float = 0.45,
        match_iou: float = 0.2,
        low_match_iou: float = 0.5,
        tentative_match_iou: float = 0.3,
        tentative_buffer: float = 0.3,
        lost_seconds: float = 3.0,
        min_hits: int = 2,
        frame_interval: float = 0.2,
        kalman: BoxKalman | None = None,
    ) -> None:
        self.high_thresh = high_thresh
        self.low_thresh = low_thresh
        self.new_track_thresh = new_track_thresh
        self.match_iou = match_iou
        self.low_match_iou = low_match_iou
        self.tentative_match_iou = tentative_match_iou
        self.tentative_buffer = tentative_buffer
        self.lost_seconds = lost_seconds
        self.min_hits = max(1, min_hits)
        self.frame_interval = frame_interval
        """Seconds between frames assumed when ``update`` is given no time."""
        self.kalman = kalman or BoxKalman()
        self._tracks: list[_Track] = []
        self._next_id = 1
        self._clock = 0.0
        self._origin: datetime | None = None

    @property
    def ids_issued(self) -> int:
        """How many tracks have been confirmed so far."""
        return self._next_id - 1

    def reset(self) -> None:
        self._tracks.clear()
        self._next_id = 1
        self._clock = 0.0
        self._origin = None

    def active_boxes(self) -> FloatArray:
        """Boxes of the tracks seen in the last frame (tentative and confirmed), (n, 4)."""
        boxes = [t.box for t in self._tracks if t.state != LOST]
        return np.array(boxes, np.float32).reshape(-1, 4)

    def update(
        self, detections: Detections, timestamp: datetime | float | None = None
    ) -> Detections:
        """The detections that belong to confirmed tracks, with ``tracker_id`` filled."""
        now = self._seconds(timestamp)
        for track in self._tracks:
            if track.state == LOST:
                track.mean[7] = 0.0  # do not let a lost box keep growing or shrinking
            track.mean, track.cov = self.kalman.predict(track.mean, track.cov, now - track.time)
            track.time = now
            track.matched_row = None

        score = detections.confidence
        rows = np.arange(len(detections))
        high = rows[score >= self.high_thresh]
        low = rows[(score >= self.low_thresh) & (score < self.high_thresh)]

        current = [t for t in self._tracks if t.state == TRACKED]
        lost = [t for t in self._tracks if t.state == LOST]
        current, left_high = self._associate(current, detections, high, self.match_iou, now)
        _, left_high = self._associate(lost, detections, left_high, self.match_iou, now)
        bridging = [t for t in current if now - t.last_high <= self.lost_seconds]
        self._associate(bridging, detections, low, self.low_match_iou, now)
        for track in current:
            if track.matched_row is None:
                track.state = LOST

        tentative = [t for t in self._tracks if t.state == TENTATIVE]
        missed, left_high = self._associate(
            tentative,
            detections,
            left_high,
            self.tentative_match_iou,
            now,
            buffer=self.tentative_buffer,
        )
        for track in missed:
            self._tracks.remove(track)
        for row in left_high:
            if score[row] >= self.new_track_thresh:
                self._start(detections, int(row), now)

        self._tracks = [
            t for t in self._tracks if t.state != LOST or now - t.last_seen <= self.lost_seconds
        ]
        return self._output(detections)

    def _seconds(self, timestamp: datetime | float | None) -> float:
        if timestamp is None:
            self._clock += self.frame_interval
        elif isinstance(timestamp, datetime):
            if self._origin is None:
                self._origin = timestamp
            self._clock = (timestamp - self._origin).total_seconds()
        else:
            self._clock = float(timestamp)
        return self._clock

    def _associate(
        self,
        tracks: list[_Track],
        detections: Detections,
        rows: np.ndarray,
        min_iou: float,
        now: float,
        buffer: float = 0.0,
    ) -> tuple[list[_Track], np.ndarray]:
        """Hungarian matching on IoU; updates matched tracks; returns the unmatched of both."""
        if not tracks or len(rows) == 0:
            return list(tracks), rows
        boxes = np.array([t.box for t in tracks], np.float32)
        iou = box_iou(_widened(boxes, buffer), _widened(detections.xyxy[rows], buffer))
        classes = np.array([t.class_id for t in tracks])
        iou[classes[:, None] != detections.class_id[rows][None, :]] = 0.0
        cost = 1.0 - iou
        cost[iou < min_iou] = 1e6  # forbidden pairs, so they never displace an allowed one
        track_idx, det_idx = linear_sum_assignment(cost)
        used_tracks: set[int] = set()
        used_rows: set[int] = set()
        for ti, di in zip(track_idx, det_idx, strict=True):
            if iou[ti, di] < min_iou:
                continue
            self._hit(tracks[ti], detections, int(rows[di]), now)
            used_tracks.add(int(ti))
            used_rows.add(int(di))
        unmatched_tracks = [t for i, t in enumerate(tracks) if i not in used_tracks]
        unmatched_rows = np.array([r for i, r in enumerate(rows) if i not in used_rows], np.int64)
        return unmatched_tracks, unmatched_rows

    def _hit(self, track: _Track, detections: Detections, row: int, now: float) -> None:
        track.mean, track.cov = self.kalman.update(track.mean, track.cov, detections.xyxy[row])
        track.last_seen = now
        if detections.confidence[row] >= self.high_thresh:
            track.last_high = now
        track.matched_row = row
        if track.state == TENTATIVE:
            track.hits += 1
            if track.hits >= self.min_hits:
                self._confirm(track)
        else:
            track.state = TRACKED

    def _start(self, detections: Detections, row: int, now: float) -> None:
        mean, cov = self.kalman.initiate(detections.xyxy[row])
        track = _Track(mean, cov, int(detections.class_id[row]), now, now, now, matched_row=row)
        self._tracks.append(track)
        if self.min_hits <= 1:
            self._confirm(track)

    def _confirm(self, track: _Track) -> None:
        track.state = TRACKED
        track.track_id = self._next_id
        self._next_id += 1

    def _output(self, detections: Detections) -> Detections:
        pairs = sorted(
            (t.matched_row, t.track_id)
            for t in self._tracks
            if t.state == TRACKED and t.matched_row is not None and t.track_id is not None
        )
        rows = np.array([r for r, _ in pairs], np.int64)
        result = detections[rows]
        result.tracker_id = np.array([i for _, i in pairs], np.int64)
        return result
