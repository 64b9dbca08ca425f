"""Where frames come from: video files, RTSP/HTTP streams and folders of images.

Every source yields :class:`Frame` values (position in the source, aware timestamp, BGR image)
already thinned to the analysis rate: a camera may deliver 25 frames a second but artguard
analyses 5 (the camera's ``fps`` in the site file), so the others are skipped *before* they
are converted to images. Timestamps are the truth about when the frame was taken:

* a video file: the start time plus the frame's position in the file (frame number / the
  file's own frame rate), so analysing a recording gives the times it was recorded at;
* a live stream (rtsp://, http://): the wall clock when the frame was read;
* a folder of images (sorted by name, numbers in names compared as numbers): the start time
  plus the image's position / the rate the images were taken at.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

import cv2

from artguard.events import utcnow
from artguard.vision.detectors.base import Image

log = logging.getLogger(__name__)

LIVE_SCHEMES = frozenset({"rtsp", "rtsps", "http", "https"})
IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp"})
DEFAULT_FILE_FPS = 25.0
"""Assumed when a video file does not say its own frame rate."""


@dataclass(frozen=True, eq=False)
class Frame:
    """One frame to analyse."""

    index: int
    """Position in the source, from 0 (frame number in a file, frames read from a stream)."""
    timestamp: datetime
    """When the frame was taken (timezone-aware)."""
    image: Image


class SourceError(Exception):
    """The source cannot be opened or stopped delivering frames."""


class FrameSource(Protocol):
    """Yields frames at the analysis rate; ends at the end of a file or folder.

    ``frames`` raises :class:`SourceError` when the source cannot be opened or a stream breaks;
    the camera worker then reconnects.
    """

    name: str
    live: bool

    def frames(self) -> Iterator[Frame]: ...

    def close(self) -> None: ...


class FpsSampler:
    """Decides which frames to keep so that, on average, ``fps`` frames a second are kept
    (fewer when the source's own rate does not allow it), never two within half a period.

    Works on the frames' own times, so the same rule thins a file, where times come from
    frame positions, and a stream, where they come from the clock.
    """

    def __init__(self, fps: float | None) -> None:
        if fps is not None and fps <= 0:
            raise ValueError(f"fps must be positive (got {fps})")
        self.period = 0.0 if fps is None else 1.0 / fps
        self._next: float | None = None

    def due(self, seconds: float) -> bool:
        """Whether the frame taken at ``seconds`` (any fixed origin) should be analysed."""
        if self._next is not None and seconds < self._next - 1e-6:
            return False
        if self._next is None or seconds - self._next >= self.period / 2:
            # first frame, or well behind (a stall, a burst of buffered frames): restart the
            # grid here rather than catch up with frames only moments apart
            self._next = seconds + self.period
        else:
            self._next += self.period  # on the grid, so the average rate is exact
        return True


def is_live(uri: str) -> bool:
    """True for network streams, False for files."""
    return urlparse(uri).scheme.lower() in LIVE_SCHEMES


def file_path(uri: str) -> Path:
    """The local path of a ``file://`` URL or a plain path."""
    parsed = urlparse(uri)
    if parsed.scheme == "file":
        return Path(unquote(parsed.path))
    return Path(uri)


class VideoSource:
    """A video file or a network stream, read with OpenCV (FFmpeg inside).

    ``realtime`` paces a file at its own frame rate with wall-clock timestamps, so a recording
    can stand in for a live camera; ``loop`` then starts it again at the end. Like a live
    stream's buffered frames, a due frame that is already late by more than one analysis
    interval (the analysis fell behind) is skipped rather than analysed late
    (``late_skipped`` counts them), so a slow consumer sees fresh frames, not a growing backlog.
    """

    def __init__(
        self,
        uri: str,
        *,
        fps: float | None = 5.0,
        start_time: datetime | None = None,
        realtime: bool = False,
        loop: bool = False,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.uri = uri
        self.live = is_live(uri)
        self.name = _redacted(uri)
        self.fps = fps
        self.start_time = start_time
        self.realtime = realtime
        self.loop = loop
        self.timeout = timeout
        self._clock = clock
        self._capture: cv2.VideoCapture | None = None
        self.late_skipped = 0

    def frames(self) -> Iterator[Frame]:
        capture = self._open()
        try:
            if self.live:
                yield from self._stream_frames(capture)
            else:
                yield from self._file_frames(capture)
        finally:
            self.close()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def _open(self) -> cv2.VideoCapture:
        self.close()
        if self.live:
            if urlparse(self.uri).scheme.startswith("rtsp"):
                # UDP RTSP drops packets behind NAT and firewalls; TCP is what CCTV setups need.
                os.environ.setdefault("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
            ms = int(self.timeout * 1000)
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
            capture = cv2.VideoCapture(self.uri, cv2.CAP_FFMPEG, params)
        else:
            path = file_path(self.uri)
            if not path.is_file():
                raise SourceError(f"video file {path} does not exist")
            capture = cv2.VideoCapture(str(path))
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"cannot open {self.name}")
        self._capture = capture
        return capture

    def _stream_frames(self, capture: cv2.VideoCapture) -> Iterator[Frame]:
        # Frames buffered while the analysis was busy are read at decoding speed and, having
        # nearly the same wall-clock time, mostly fail the sampler: the buffer drains cheaply.
        sampler = FpsSampler(self.fps)
        origin = time.monotonic()
        index = 0
        while True:
            if not capture.grab():
                raise SourceError(f"{self.name} stopped delivering frames")
            if sampler.due(time.monotonic() - origin):
                timestamp = self._clock()
                ok, image = capture.retrieve()
                if not ok or image is None:
                    raise SourceError(f"{self.name}: cannot decode frame {index}")
                yield Frame(index, timestamp, image)
            index += 1

    def _file_frames(self, capture: cv2.VideoCapture) -> Iterator[Frame]:
        native = capture.get(cv2.CAP_PROP_FPS)
        if not native or native != native or native <= 0:  # 0 or NaN: the file does not say
            log.warning("%s has no frame rate; assuming %g fps", self.name, DEFAULT_FILE_FPS)
            native = DEFAULT_FILE_FPS
        start = self.start_time or self._clock()
        wall_origin = time.monotonic()
        sampler = FpsSampler(self.fps)
        late = 1.0 / (self.fps or native)  # one analysis interval
        index = 0  # frames since the start, across loops
        while True:
            if not capture.grab():
                if index == 0:
                    raise SourceError(f"{self.name} has no readable frames")
                if not self.loop:
                    return
                capture.set(cv2.CAP_PROP_POS_FRAMES, 0)
                if not capture.grab():
                    raise SourceError(f"{self.name} cannot be read again from the start")
            offset = index / native
            if sampler.due(offset):
                if self.realtime:
                    delay = wall_origin + offset - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    elif -delay > late:
                        self.late_skipped += 1
                        index += 1
                        continue
                ok, image = capture.retrieve()
                if not ok or image is None:
                    raise SourceError(f"{self.name}: cannot decode frame {index}")
                yield Frame(index, start + timedelta(seconds=offset), image)
            index += 1


class ImageFolderSource:
    """A folder of frames (e.g. a MOTChallenge ``img1/`` folder), in name order."""

    live = False

    def __init__(
        self,
        folder: Path,
        *,
        source_fps: float,
        fps: float | None = None,
        start_time: datetime | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if source_fps <= 0:
            raise ValueError(f"source_fps must be positive (got {source_fps})")
        self.folder = folder
        self.name = str(folder)
        self.source_fps = source_fps
        self.fps = fps
        self.start_time = start_time
        self._clock = clock

    def paths(self) -> list[Path]:
        if not self.folder.is_dir():
            raise SourceError(f"{self.folder} is not a folder")
        found = [p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES]
        return sorted(found, key=_natural_key)

    def frames(self) -> Iterator[Frame]:
        paths = self.paths()
        if not paths:
            raise SourceError(f"no images ({', '.join(sorted(IMAGE_SUFFIXES))}) in {self.folder}")
        start = self.start_time or self._clock()
        sampler = FpsSampler(self.fps)
        for index, path in enumerate(paths):
            offset = index / self.source_fps
            if not sampler.due(offset):
                continue
            image = cv2.imread(str(path), cv2.IMREAD_COLOR)
            if image is None:
                raise SourceError(f"cannot read image {path}")
            yield Frame(index, start + timedelta(seconds=offset), image)

    def close(self) -> None:
        """Nothing to release."""


def open_source(
    uri: str,
    *,
    fps: float | None = 5.0,
    source_fps: float | None = None,
    start_time: datetime | None = None,
    realtime: bool = False,
    loop: bool = False,
) -> FrameSource:
    """The right source for a camera URL, a video file or a folder of images.

    ``source_fps`` is the rate a folder's images were taken at (default: ``fps``, i.e. every
    image is analysed).
    """
    if not is_live(uri) and file_path(uri).is_dir():
        return ImageFolderSource(
            file_path(uri), source_fps=source_fps or fps or 1.0, fps=fps, start_time=start_time
        )
    return VideoSource(uri, fps=fps, start_time=start_time, realtime=realtime, loop=loop)


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _redacted(uri: str) -> str:
    """The URI without a password, for logs and health events."""
    parsed = urlparse(uri)
    if parsed.password:
        netloc = f"{parsed.username}:***@{parsed.hostname}"
        if parsed.port:
            netloc += f":{parsed.port}"
        return parsed._replace(netloc=netloc).geturl()
    return uri
