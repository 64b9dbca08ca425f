"""Encoding evidence clips: Motion-JPEG in an AVI container, with OpenCV's VideoWriter.

Why MJPG: the opencv-python-headless wheel's FFmpeg writes it everywhere without a licensed
or hardware encoder (its ``avc1``/H.264 writer fails to open on a plain server), every frame
is a JPEG of its own, so a clip cut short is still readable up to the cut, and the clip reads
back with the same OpenCV. Browsers do not play MJPG AVI inline: the API serves it as a
download, which VLC, mpv and ffplay play. At 640x480 and 5 fps a 6-second clip is 1-2 MB.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import cv2

from artguard.evidence.store import publish_file
from artguard.vision.detectors.base import Image

FOURCC = "MJPG"
SUFFIX = ".avi"


class ClipError(RuntimeError):
    """The clip could not be written or does not read back."""


def encode_clip(frames: Sequence[Image], fps: float, path: Path) -> int:
    """Write ``frames`` (BGR, all the same size) as an MJPG AVI at ``path`` and check that it
    reads back with the same number of frames; returns that number."""
    if not frames:
        raise ClipError("no frames to encode")
    if fps <= 0:
        raise ClipError(f"fps must be positive, got {fps}")
    height, width = frames[0].shape[:2]
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", suffix=SUFFIX) as tmp:
        tmp_path = Path(tmp.name)
    writer = cv2.VideoWriter(str(tmp_path), cv2.VideoWriter_fourcc(*FOURCC), fps, (width, height))
    try:
        if not writer.isOpened():
            raise ClipError(f"OpenCV cannot open a {FOURCC} writer for {path.name}")
        for n, frame in enumerate(frames):
            if frame.shape[:2] != (height, width):
                raise ClipError(
                    f"frame {n} is {frame.shape[1]}x{frame.shape[0]}, the clip is {width}x{height}"
                )
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
    publish_file(tmp_path, path)
    return count


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
