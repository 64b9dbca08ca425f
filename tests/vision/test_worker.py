"""Camera workers: reconnect with backoff, online/offline health, the watchdog, and events
reaching the store through the ingestion service."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import pytest

from artguard.config import Settings
from artguard.events import CameraHealth, EventBase
from artguard.runtime import Runtime
from artguard.site import Site, load_site
from artguard.site.entities import Camera
from artguard.store.events import load_events
from artguard.vision import service
from artguard.vision.motion import MotionGate
from artguard.vision.pipeline import CameraPipeline
from artguard.vision.service import start_cameras, stop_cameras
from artguard.vision.sources import Frame, FrameSource, SourceError, VideoSource
from artguard.vision.worker import Backoff, CameraManager, CameraWorker
from tests.conftest import SMALL_SITE
from tests.vision.test_pipeline import BlobDetector, walker_frame
from tests.vision.test_sources import MjpegServer

T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def camera(source: str = "rtsp://127.0.0.1/cam1") -> Camera:
    return Camera(
        id="cam-1", name="Gallery camera", source=source, rooms=["gallery"], resolution=(640, 360)
    )


class ScriptedSource:
    """One connection: fails to open, or delivers ``frames`` walker frames then breaks (or,
    with ``frames=None``, delivers until the worker stops)."""

    def __init__(self, frames: int | None, fail_open: bool = False) -> None:
        self.name = "scripted"
        self.live = True
        self.frames_to_send = frames
        self.fail_open = fail_open
        self.closed = False

    def frames(self) -> Iterator[Frame]:
        if self.fail_open:
            raise SourceError("cannot open scripted (connection refused)")
        i = 0
        while self.frames_to_send is None or i < self.frames_to_send:
            yield Frame(i, T0 + timedelta(seconds=i * 0.2), walker_frame(i % 40))
            i += 1
            time.sleep(0.005)
        raise SourceError("scripted stopped delivering frames")

    def close(self) -> None:
        self.closed = True


class RecordingBackoff(Backoff):
    def __init__(self) -> None:
        super().__init__(initial=0.01, factor=2.0, maximum=0.05)
        self.delays: list[float] = []

    def next(self) -> float:
        delay = super().next()
        self.delays.append(delay)
        return delay


class Sink:
    def __init__(self) -> None:
        self.events: list[EventBase] = []
        self.lock = threading.Lock()

    def __call__(self, events: list[EventBase]) -> None:
        with self.lock:
            self.events.extend(events)

    def health(self) -> list[str]:
        with self.lock:
            return [e.status for e in self.events if isinstance(e, CameraHealth)]

    def kinds(self) -> list[str]:
        with self.lock:
            return [e.kind for e in self.events]


def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


def pipeline(cam: Camera) -> CameraPipeline:
    return CameraPipeline(cam, BlobDetector(), gate=MotionGate.disabled())


def test_worker_reconnects_with_backoff_and_reports_offline_and_online_once_each() -> None:
    script = [
        ScriptedSource(None, fail_open=True),
        ScriptedSource(None, fail_open=True),
        ScriptedSource(None, fail_open=True),
        ScriptedSource(8),  # connects, delivers, then the stream drops
        ScriptedSource(None, fail_open=True),
        ScriptedSource(None),  # back for good
    ]
    opened: list[ScriptedSource] = []

    def source_factory(_cam: Camera) -> FrameSource:
        opened.append(script[len(opened)])
        return opened[-1]

    sink, backoff = Sink(), RecordingBackoff()
    cam = camera()
    worker = CameraWorker(
        cam, source_factory=source_factory, pipeline=pipeline(cam), sink=sink, backoff=backoff
    )
    worker.start()
    wait_until(lambda: len(opened) == 6 and worker.status.frames >= 20)
    worker.stop()
    worker.join(5)
    assert not worker.is_alive()
    assert sink.health() == ["offline", "online", "offline", "online"]
    # 1, 2, 4 x initial while down; reset by the connection that delivered frames
    assert backoff.delays == [0.01, 0.02, 0.04, 0.01, 0.02]
    assert all(s.closed for s in opened if not s.fail_open)
    offline = next(e for e in sink.events if isinstance(e, CameraHealth))
    assert offline.device_id == "cam-1" and "connection refused" in (offline.detail or "")
    assert "detection" in sink.kinds()
    assert worker.status.connects == 2 and worker.status.online


def test_worker_reconnects_to_a_real_http_stream_that_comes_back() -> None:
    with MjpegServer(frames=20, fps=20) as server:
        server.refuse = True
        cam = camera(server.url)
        sink = Sink()
        worker = CameraWorker(
            cam,
            source_factory=lambda c: VideoSource(c.source, fps=10, timeout=2),
            pipeline=pipeline(cam),
            sink=sink,
            backoff=Backoff(initial=0.05, maximum=0.2),
        )
        worker.start()
        wait_until(lambda: server.connections >= 2)
        server.refuse = False
        wait_until(lambda: sink.health()[-1:] == ["online"] and worker.status.frames >= 3)
        wait_until(lambda: sink.health().count("offline") >= 2)  # the 1 s stream ended
        worker.stop()
        worker.join(5)
    assert sink.health()[:3] == ["offline", "online", "offline"]
    offline = [e for e in sink.events if isinstance(e, CameraHealth)]
    assert "stopped delivering" in (offline[2].detail or "")


class FailingOnce:
    """A pipeline factory whose first pipeline crashes on its 3rd frame (a bug, not a source
    problem); later ones work."""

    def __init__(self) -> None:
        self.built = 0

    def __call__(self, cam: Camera) -> CameraPipeline:
        self.built += 1
        built = pipeline(cam)
        if self.built == 1:
            original = built.process
            calls = {"n": 0}

            def process(frame: Frame):  # type: ignore[no-untyped-def]
                calls["n"] += 1
                if calls["n"] == 3:
                    raise RuntimeError("boom")
                return original(frame)

            built.process = process  # type: ignore[method-assign]
        return built


def test_watchdog_restarts_a_worker_that_died() -> None:
    sink = Sink()
    factory = FailingOnce()
    manager = CameraManager(
        [camera()],
        pipeline_factory=factory,
        sink_factory=lambda _c: sink,
        source_factory=lambda _c: ScriptedSource(None),
        watchdog_interval=0.05,
    )
    manager.start()
    try:
        wait_until(lambda: manager.restarts["cam-1"] == 1 and sink.health()[-1:] == ["online"])
        wait_until(lambda: manager.workers["cam-1"].status.frames >= 5)
    finally:
        manager.stop(timeout=5)
    assert sink.health()[:3] == ["online", "offline", "online"]
    crash = [e for e in sink.events if isinstance(e, CameraHealth)][1]
    assert "RuntimeError: boom" in (crash.detail or "")
    assert factory.built == 2
    (status,) = manager.status()
    assert status["restarts"] == 1 and not status["alive"]


def file_camera_site(tmp_path: Path) -> Site:
    video = tmp_path / "gallery.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 360))
    for i in range(20):
        writer.write(walker_frame(i))
    writer.release()
    text = SMALL_SITE.read_text(encoding="utf-8")
    text = text.replace("source: rtsp://127.0.0.1/cam1", f"source: {video}")
    text = text.replace("resolution: [1280, 720]", "resolution: [640, 360]")
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    return load_site(path)


async def stored(runtime: Runtime, kinds: list[str]) -> list[EventBase]:
    await runtime.bus.drain()
    with runtime.engine.connect() as conn:
        return [event for _, event in load_events(conn, kinds=kinds)]


async def test_events_from_a_file_camera_are_stored_through_ingestion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    site = file_camera_site(tmp_path)
    runtime = Runtime(Settings(data_dir=tmp_path / "var"), site, live_clock=False)
    async with runtime:
        manager = start_cameras(runtime, detector=BlobDetector())
        try:
            for _ in range(100):
                await asyncio.sleep(0.05)
                if runtime.ingest.counters.accepted >= 6:
                    break
        finally:
            await stop_cameras(manager)
        events = await stored(runtime, ["detection", "camera_health"])
    health = [e for e in events if isinstance(e, CameraHealth)]
    assert [h.status for h in health][:1] == ["online"]
    tracked = [o for e in events if e.kind == "detection" for o in e.objects]  # type: ignore[attr-defined]
    assert tracked and {o.track_id for o in tracked} == {1}
    assert all(e.received_time is not None for e in events)


async def test_unreachable_camera_is_stored_offline(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    manager = start_cameras(runtime, detector=BlobDetector())  # cam-1: rtsp://127.0.0.1/cam1
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if runtime.ingest.counters.accepted:
                break
    finally:
        await stop_cameras(manager)
    (health,) = await stored(runtime, ["camera_health"])
    assert isinstance(health, CameraHealth)
    assert health.status == "offline" and "cannot open rtsp://127.0.0.1/cam1" in (
        health.detail or ""
    )


async def test_cameras_off_starts_nothing_and_loads_no_model(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARTGUARD_CAMERAS", "off")

    def no_model(*_args: object) -> None:
        raise AssertionError("the model must not be loaded when cameras are off")

    monkeypatch.setattr(service, "load_detector", no_model)
    manager = start_cameras(runtime)
    assert manager.workers == {}
    await stop_cameras(manager)
    assert service.cameras_enabled({"ARTGUARD_CAMERAS": "on"})
    assert not service.cameras_enabled({"ARTGUARD_CAMERAS": "False"})


async def test_run_cameras_background_task_starts_and_stops_the_workers(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What ``artguard run`` does: the cameras live as long as the app's background task."""
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    monkeypatch.setattr(service, "load_detector", lambda *_args: BlobDetector())
    task = asyncio.create_task(service.run_cameras(runtime))
    for _ in range(100):
        await asyncio.sleep(0.05)
        if runtime.ingest.counters.accepted:
            break
    assert any(t.name == "camera-cam-1" for t in threading.enumerate())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not any(t.name.startswith("camera-") for t in threading.enumerate())
    (health,) = await stored(runtime, ["camera_health"])
    assert health.status == "offline"  # type: ignore[attr-defined]
