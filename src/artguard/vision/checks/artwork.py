"""Artwork missing or moved: each artwork's region compared with its reference view.

For every artwork with a barrier on this camera, the region is the barrier polygon's bounding
box. Its reference crop is loaded from ``<data dir>/references/artworks/<camera>/<artwork>.png``
or, the first time, taken from the first frame in which nothing detected overlaps it, and
saved there, so a restart after a theft does not adopt the empty wall as the reference.

A region is checked at most every ``interval_seconds``, and only when no detected box (a
person, a bag) overlaps its search window: someone standing in front of a painting hides it
without removing it. A new state (missing, moved, present again) is reported only after
``hold_checks`` checks in a row agree.

The before and after crops of a missing or moved artwork are written as JPEG under
``<data dir>/snapshots/artworks/`` (purged with the other snapshots). **No face appears in
them**: crops, the reference included, are only ever taken while no person's box overlaps
the region, so they show the wall and the artwork, never a visitor.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2

from artguard.events import ArtworkView, EventBase
from artguard.site import Artwork, Camera
from artguard.site.geometry import bounds
from artguard.vision.checks.artwork_match import ArtworkReference, MatchResult, Method
from artguard.vision.checks.base import Box, FrameLike, boxes_of, frame_event_id, overlaps
from artguard.vision.checks.picture import PictureLimits, PictureStats
from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ArtworkThresholds:
    min_similarity: float = 0.08
    """Missing below this share of reference features found in place (or correlation)."""
    min_correlation: float = 0.5
    """Missing below this correlation score, for feature-poor works."""
    moved_fraction: float = 0.05
    """Moved when the centre shifts by more than this fraction of the region's diagonal..."""
    moved_min_px: float = 8.0
    """... and by at least this many pixels."""
    search_margin: float = 0.25
    """The search window extends the region by this fraction of its size on each side."""
    interval_seconds: float = 2.0
    hold_checks: int = 3


@dataclass
class _Watched:
    artwork: Artwork
    region: tuple[int, int, int, int]
    window: tuple[int, int, int, int]
    reference: ArtworkReference | None = None
    reported: str = "present"
    candidate: str | None = None
    agree: int = 0
    last_check: datetime | None = None


class ArtworkPresenceCheck:
    """Checks every artwork with a barrier on one camera; emits ArtworkView on changes."""

    def __init__(
        self,
        camera: Camera,
        artworks: Sequence[Artwork],
        data_dir: Path,
        *,
        thresholds: ArtworkThresholds | None = None,
        method: Method = "sift",
    ) -> None:
        self.camera = camera
        self.limits = thresholds or ArtworkThresholds()
        self._data_dir = data_dir
        self._method = method
        self._picture = PictureLimits()
        self._watched: list[_Watched] = []
        self._size_warned = False
        width, height = camera.resolution
        for art in artworks:
            barrier = next((b for b in art.barriers if b.camera == camera.id), None)
            if barrier is None:
                continue
            region = _clip(bounds(barrier.polygon), width, height)
            window = _clip(_grow(region, self.limits.search_margin), width, height)
            watched = _Watched(art, region, window)
            self._load_reference(watched)
            self._watched.append(watched)

    @property
    def artwork_ids(self) -> list[str]:
        return [w.artwork.id for w in self._watched]

    def check(self, frame: FrameLike, detections: Detections) -> list[EventBase]:
        image = frame.image
        if (image.shape[1], image.shape[0]) != tuple(self.camera.resolution):
            if not self._size_warned:
                self._size_warned = True
                log.warning(
                    "camera %s: frames are %dx%d, the site says %dx%d; artworks not checked",
                    self.camera.id,
                    image.shape[1],
                    image.shape[0],
                    *self.camera.resolution,
                )
            return []
        if not self._picture.usable(PictureStats.of(image)):
            return []  # a covered or blinded camera is the sabotage check's to report
        boxes = boxes_of(detections)
        events: list[EventBase] = []
        for watched in self._watched:
            event = self._check_one(watched, frame, image, boxes)
            if event is not None:
                events.append(event)
        return events

    def _check_one(
        self, w: _Watched, frame: FrameLike, image: Image, boxes: list[Box]
    ) -> ArtworkView | None:
        now = frame.timestamp
        interval = timedelta(seconds=self.limits.interval_seconds)
        if w.last_check is not None and now - w.last_check < interval:
            return None
        if any(overlaps(box, w.window) for box in boxes):
            return None  # occluded: someone in front hides the artwork without removing it
        w.last_check = now
        if w.reference is None:
            self._take_reference(w, image)
            return None
        result = w.reference.match(_crop(image, w.window))
        return self._hold(w, frame, self._judge(w, result), result, image)

    def _judge(self, w: _Watched, result: MatchResult) -> str:
        limits = self.limits
        floor = limits.min_correlation if result.method == "correlation" else limits.min_similarity
        if result.shift_px is None or result.similarity < floor:
            return "missing"
        x1, y1, x2, y2 = w.region
        moved_px = max(
            limits.moved_min_px, limits.moved_fraction * ((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5
        )
        return "moved" if result.shift_px > moved_px else "present"

    def _hold(
        self, w: _Watched, frame: FrameLike, status: str, result: MatchResult, image: Image
    ) -> ArtworkView | None:
        now = frame.timestamp
        if status == w.reported:
            w.candidate, w.agree = None, 0
            return None
        w.agree = w.agree + 1 if status == w.candidate else 1
        w.candidate = status
        if w.agree < self.limits.hold_checks:
            return None
        w.reported, w.candidate, w.agree = status, None, 0
        before = after = None
        if status != "present":
            before, after = self._snapshots(w, now, image)
        return ArtworkView(
            id=frame_event_id("artwork_view", self.camera.id, frame, w.artwork.id),
            device_id=self.camera.id,
            site_time=now,
            artwork_id=w.artwork.id,
            status=status,  # type: ignore[arg-type]
            similarity=max(0.0, min(1.0, result.similarity)),
            shift_px=result.shift_px,
            before_image=before,
            after_image=after,
        )

    # -- reference and snapshots ------------------------------------------------------------

    def _reference_path(self, w: _Watched) -> Path:
        return self._data_dir / "references" / "artworks" / self.camera.id / f"{w.artwork.id}.png"

    def _load_reference(self, w: _Watched) -> None:
        path = self._reference_path(w)
        if not path.is_file():
            return
        crop = cv2.imread(str(path), cv2.IMREAD_COLOR)
        x1, y1, x2, y2 = w.region
        if crop is None or crop.shape[:2] != (y2 - y1, x2 - x1):
            log.warning("%s does not fit the artwork's region any more; taking a new one", path)
            return
        w.reference = self._reference(w, crop)

    def _take_reference(self, w: _Watched, image: Image) -> None:
        crop = _crop(image, w.region).copy()
        path = self._reference_path(w)
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), crop)
        w.reference = self._reference(w, crop)
        log.info("camera %s: reference view of %s taken", self.camera.id, w.artwork.id)

    def _reference(self, w: _Watched, crop: Image) -> ArtworkReference:
        offset = (w.region[0] - w.window[0], w.region[1] - w.window[1])
        return ArtworkReference(crop, offset, self._method)

    def _snapshots(self, w: _Watched, now: datetime, image: Image) -> tuple[str, str]:
        """Write the before (reference) and after crops; their paths relative to the data dir."""
        assert w.reference is not None
        folder = Path("snapshots") / "artworks"
        (self._data_dir / folder).mkdir(parents=True, exist_ok=True)
        stem = f"{self.camera.id}_{w.artwork.id}_{now.astimezone(UTC).strftime('%Y%m%dT%H%M%SZ')}"
        before, after = folder / f"{stem}_before.jpg", folder / f"{stem}_after.jpg"
        cv2.imwrite(str(self._data_dir / before), w.reference.crop, [cv2.IMWRITE_JPEG_QUALITY, 90])
        cv2.imwrite(
            str(self._data_dir / after), _crop(image, w.window), [cv2.IMWRITE_JPEG_QUALITY, 90]
        )
        return before.as_posix(), after.as_posix()


def _crop(image: Image, box: tuple[int, int, int, int]) -> Image:
    x1, y1, x2, y2 = box
    return image[y1:y2, x1:x2]


def _clip(
    box: tuple[float, float, float, float], width: int, height: int
) -> tuple[int, int, int, int]:
    x1, y1, x2, y2 = box
    return (
        max(0, int(x1)),
        max(0, int(y1)),
        min(width, round(x2)),
        min(height, round(y2)),
    )


def _grow(box: tuple[int, int, int, int], margin: float) -> tuple[float, float, float, float]:
    x1, y1, x2, y2 = box
    dx, dy = (x2 - x1) * margin, (y2 - y1) * margin
    return (x1 - dx, y1 - dy, x2 + dx, y2 + dy)
