"""Encoding evidence clips: VP8 in WebM (MJPG in AVI as a fallback), with OpenCV's VideoWriter.

Why VP8 WebM: browsers play it inline in a ``<video>`` element, and the opencv-python-headless
wheel's FFmpeg writes it without a licensed or hardware encoder (its ``avc1``/H.264 writer fails
to open on a plain server). FFmpeg prints a harmless "tag 'VP80' is not supported" warning when
the writer opens; the clip is fine. At 640x522 and 5 fps a 6-second clip is about 0.8 MB (half
the MJPG size) and takes about 0.8 s to encode and check.

When a build cannot open a VP8 writer, the clip is written as Motion-JPEG in an AVI instead
(every frame a JPEG of its own, written everywhere) and a warning is logged: browsers do not play
that inline, so the API serves it as a download (VLC, mpv, ffplay play it). Clips recorded
before WebM are AVI too; :data:`MEDIA_TYPES` names both, so both keep being served.

Either way the clip is read back with the same OpenCV and its frame count checked before it is
published under its final name.
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2

from artguard.evidence.store import publish_file
from artguard.vision.detectors.base import Image

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipFormat:
    """A container and codec OpenCV can write a clip in."""

    fourcc: str
    suffix: str
    media_type: str
    even: bool = False
    """The codec stores only even widths and heights (4:2:0 chroma): an odd frame is padded
    with a copy of its last row or column, so nothing of it is lost."""


WEBM = ClipFormat("VP80", ".webm", "video/webm", even=True)
AVI = ClipFormat("MJPG", ".avi", "video/x-msvideo")
FORMATS = (WEBM, AVI)
"""In order of preference: the first whose writer opens is used."""

MEDIA_TYPES = {f.suffix: f.media_type for f in FORMATS}
"""Media type of a stored clip by its file suffix (older clips are AVI)."""


class ClipError(RuntimeError):
    """The clip could not be written or does not read back."""


@dataclass(frozen=True)
class EncodedClip:
    """A clip written and checked: where it is, how many frames, and its media type."""

    path: Path
    frames: int
    media_type: str


def encode_clip(frames: Sequence[Image], fps: float, path: Path) -> EncodedClip:
    """Write ``frames`` (BGR, all the same size) as a clip next to ``path``, VP8 WebM if this
    OpenCV can, else MJPG AVI (the suffix of ``path`` is replaced by the format's), and check
    that it reads back with the same number of frames. A WebM clip of odd-sized frames is one
    pixel wider or taller (see :attr:`ClipFormat.even`)."""
    if not frames:
        raise ClipError("no frames to encode")
    if fps <= 0:
        raise ClipError(f"fps must be positive, got {fps}")
    height, width = frames[0].shape[:2]
    for n, frame in enumerate(frames):
        if frame.shape[:2] != (height, width):
            raise ClipError(
                f"frame {n} is {frame.shape[1]}x{frame.shape[0]}, the clip is {width}x{height}"
            )
    path.parent.mkdir(parents=True, exist_ok=True)
    for n, clip_format in enumerate(FORMATS):
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=".tmp-", suffix=clip_format.suffix
        ) as tmp:
            tmp_path = Path(tmp.name)
        fourcc = cv2.VideoWriter_fourcc(*clip_format.fourcc)
        pad_x, pad_y = (width % 2, height % 2) if clip_format.even else (0, 0)
        writer = cv2.VideoWriter(str(tmp_path), fourcc, fps, (width + pad_x, height + pad_y))
        if writer.isOpened():
            break
        writer.release()
        tmp_path.unlink(missing_ok=True)
        if n + 1 < len(FORMATS):
            fallback = FORMATS[n + 1]
            log.warning(
                "OpenCV cannot open a %s writer for %s (this build has no such encoder): "
                "writing it as %s %s instead, which browsers download rather than play inline",
                clip_format.fourcc,
                path.name,
                fallback.fourcc,
                fallback.suffix,
            )
    else:
        raise ClipError(
            f"OpenCV cannot open a writer for {path.name} in any of "
            + ", ".join(f.fourcc for f in FORMATS)
        )
    try:
        for frame in frames:
            if pad_x or pad_y:
                frame = cv2.copyMakeBorder(frame, 0, pad_y, 0, pad_x, cv2.BORDER_REPLICATE)
            writer.write(frame)
    except BaseException:
        writer.release()
        tmp_path.unlink(missing_ok=True)
        raise
    writer.release()
    count = count_frames(tmp_path)
    if count != len(frames):
        tmp_path.unlink(missing_ok=True)
        raise ClipError(f"clip {path.name} reads back {count} of {len(frames)} frames")
    final = publish_file(tmp_path, path.with_suffix(clip_format.suffix))
    return EncodedClip(final, count, clip_format.media_type)


def count_frames(path: Path) -> int:
    """Frames that decode from a video file (0 when it does not open)."""
    capture = cv2.VideoCapture(str(path))
    try:
        count = 0
        while capture.isOpened():
            ok, _ = capture.read()
            if not ok:
                break
            count += 1
        return count
    finally:
        capture.release()
