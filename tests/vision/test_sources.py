"""Frame sources: fps sampling and true timestamps on a generated video, a folder of frames and
a live HTTP MJPEG stream served on the loopback interface."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from artguard.events import utcnow
from artguard.vision.sources import (
    FpsSampler,
    ImageFolderSource,
    SourceError,
    VideoSource,
    open_source,
)

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SIZE = (64, 48)


def numbered(i: int) -> np.ndarray:
    """A frame whose grey level tells its number (8 levels apart survives JPEG)."""
    return np.full((SIZE[1], SIZE[0], 3), 8 * i, np.uint8)


def number_of(image: np.ndarray) -> int:
    return round(float(image.mean()) / 8)


def write_video(path: Path, frames: int, fps: float = 10.0) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, SIZE)
    assert writer.isOpened()
    for i in range(frames):
        writer.write(numbered(i))
    writer.release()
    return path


@pytest.fixture
def video(tmp_path: Path) -> Path:
    return write_video(tmp_path / "clip.avi", 30)


def test_file_is_thinned_to_the_analysis_fps_with_file_position_timestamps(video: Path) -> None:
    frames = list(VideoSource(str(video), fps=5, start_time=T0).frames())
    assert [f.index for f in frames] == list(range(0, 30, 2))
    assert [number_of(f.image) for f in frames] == list(range(0, 30, 2))
    assert [f.timestamp for f in frames] == [
        T0 + timedelta(seconds=i / 10) for i in range(0, 30, 2)
    ]
    assert all(f.timestamp.tzinfo is not None for f in frames)


def test_uneven_ratio_keeps_the_average_rate(video: Path) -> None:
    frames = list(VideoSource(f"file://{video}", fps=3, start_time=T0).frames())
    assert len(frames) == 9  # 3 s of video at 3 fps
    gaps = {b.index - a.index for a, b in itertools.pairwise(frames)}
    assert gaps <= {3, 4}
    all_frames = list(VideoSource(str(video), fps=None, start_time=T0).frames())
    assert [f.index for f in all_frames] == list(range(30))


def test_looping_file_keeps_counting_and_realtime_paces_it(tmp_path: Path) -> None:
    short = write_video(tmp_path / "short.avi", 4)  # 0.4 s at 10 fps
    source = VideoSource(str(short), fps=None, start_time=T0, loop=True, realtime=True)
    started = time.monotonic()
    frames = []
    for frame in source.frames():
        frames.append(frame)
        if len(frames) == 10:
            break
    elapsed = time.monotonic() - started
    assert [number_of(f.image) for f in frames] == [0, 1, 2, 3, 0, 1, 2, 3, 0, 1]
    assert [f.index for f in frames] == list(range(10))
    assert frames[-1].timestamp - frames[0].timestamp == timedelta(seconds=0.9)
    assert elapsed >= 0.85  # played at its own speed, not as fast as it decodes


def test_realtime_file_skips_frames_a_slow_consumer_is_already_late_for(tmp_path: Path) -> None:
    """Like a live camera's buffer: a consumer falling behind gets fresh frames, not a backlog."""
    clip = write_video(tmp_path / "clip.avi", 30)  # 3 s at 10 fps, analysed at 5 fps
    source = VideoSource(str(clip), fps=5, loop=False, realtime=True)
    started = time.monotonic()
    lateness, indexes = [], []
    for frame in source.frames():
        offset = frame.index / 10
        lateness.append(time.monotonic() - started - offset)
        indexes.append(frame.index)
        time.sleep(0.45)  # analysis takes longer than the 0.2 s between analysed frames
    assert source.late_skipped >= 4
    assert len(indexes) <= 8 and indexes[-1] >= 24, indexes
    assert max(lateness) < 0.2 + 0.1, "never handed a frame more than one interval late"


def test_missing_and_broken_files_raise_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="does not exist"):
        list(VideoSource(str(tmp_path / "nope.avi")).frames())
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"RIFF not really a video")
    with pytest.raises(SourceError):
        list(VideoSource(str(broken)).frames())


def write_folder(folder: Path, count: int) -> Path:
    folder.mkdir()
    for i in range(count):  # frame1.png .. frame12.png: name order != number order
        cv2.imwrite(str(folder / f"frame{i + 1}.png"), numbered(i))
    (folder / "notes.txt").write_text("not a frame")
    return folder


def test_folder_of_frames_in_number_order_with_timestamps(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "img1", 12)
    source = open_source(str(folder), fps=5, source_fps=10, start_time=T0)
    assert isinstance(source, ImageFolderSource)
    frames = list(source.frames())
    assert [f.index for f in frames] == [0, 2, 4, 6, 8, 10]
    assert [number_of(f.image) for f in frames] == [0, 2, 4, 6, 8, 10]
    assert frames[-1].timestamp == T0 + timedelta(seconds=1.0)
    every = list(open_source(str(folder), fps=5, start_time=T0).frames())
    assert len(every) == 12 and every[1].timestamp == T0 + timedelta(seconds=0.2)


def test_empty_folder_and_unreadable_frame_raise(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(SourceError, match="no images"):
        list(ImageFolderSource(tmp_path / "empty", source_fps=10).frames())
    bad = write_folder(tmp_path / "bad", 2)
    (bad / "frame3.png").write_bytes(b"not a png")
    with pytest.raises(SourceError, match=r"frame3\.png"):
        list(ImageFolderSource(bad, source_fps=10).frames())


def test_sampler_on_a_jittery_clock() -> None:
    sampler = FpsSampler(5)
    rng = np.random.default_rng(1)
    times = np.cumsum(rng.uniform(0.03, 0.05, 500))  # ~25 fps with jitter, 20 s
    kept = [t for t in times if sampler.due(float(t))]
    assert 98 <= len(kept) <= 101
    assert min(np.diff(kept)) >= 0.1
    bursty = FpsSampler(5)  # a stall, then buffered frames read in a burst
    kept = [t for t in (0.0, 0.2, 0.4, 1.35, 1.36, 1.37, 1.38, 1.6, 1.8) if bursty.due(t)]
    assert kept == [0.0, 0.2, 0.4, 1.35, 1.6, 1.8]
    with pytest.raises(ValueError):
        FpsSampler(0)


class MjpegServer:
    """A camera-like HTTP MJPEG stream on 127.0.0.1: ``frames`` numbered frames at ``fps`` per
    connection, then the connection drops. ``refuse`` makes it answer 503 instead."""

    def __init__(self, frames: int = 30, fps: float = 10.0) -> None:
        self.frames = frames
        self.fps = fps
        self.refuse = False
        self.connections = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.connections += 1
                if server.refuse:
                    self.send_error(503)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
                self.end_headers()
                try:
                    for i in range(server.frames):
                        _ok, jpeg = cv2.imencode(".jpg", numbered(i))
                        body = jpeg.tobytes()
                        self.wfile.write(
                            b"--frame\r\nContent-Type: image/jpeg\r\n"
                            + f"Content-Length: {len(body)}\r\n\r\n".encode()
                            + body
                            + b"\r\n"
                        )
                        self.wfile.flush()
                        time.sleep(1 / server.fps)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/stream.mjpg"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> MjpegServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def mjpeg() -> Iterator[MjpegServer]:
    with MjpegServer() as server:
        yield server


def test_live_stream_is_sampled_on_the_wall_clock_and_reports_the_drop(
    mjpeg: MjpegServer,
) -> None:
    source = VideoSource(mjpeg.url, fps=5, timeout=3)
    assert source.live
    before = utcnow()
    frames = []
    with pytest.raises(SourceError, match="stopped delivering"):
        for frame in source.frames():
            frames.append(frame)
    after = utcnow()
    assert 12 <= len(frames) <= 17  # 3 s of a 10 fps stream at 5 fps
    times = [f.timestamp for f in frames]
    assert before <= times[0] and times[-1] <= after
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.09 and 0.15 <= sum(gaps) / len(gaps) <= 0.3
    numbers = [number_of(f.image) for f in frames]
    assert numbers == sorted(numbers) and numbers[-1] >= 25


def test_unreachable_stream_raises_quickly() -> None:
    with MjpegServer() as server:
        url = server.url
    started = time.monotonic()
    with pytest.raises(SourceError, match="cannot open"):
        list(VideoSource(url, timeout=2).frames())
    assert time.monotonic() - started < 5


def test_password_is_not_shown_in_the_source_name() -> None:
    source = VideoSource("rtsp://admin:secret@10.0.0.5:554/stream1")
    assert "secret" not in source.name and "admin:***@10.0.0.5:554" in source.name
