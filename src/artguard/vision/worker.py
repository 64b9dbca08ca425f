"""Camera workers: one thread per camera reads, analyses and reports; a watchdog keeps them up.

Why threads and not processes: the heavy work of a frame happens in native code that releases
the GIL: FFmpeg decoding inside ``cv2.VideoCapture``, OpenCV's resize and motion maths, and
ONNX Runtime's inference. Python itself only glues the steps together (about a millisecond
a frame), so threads run the cameras in parallel on all cores, while sharing one loaded model
and handing events to the ingestion service in the same process, without copying frames
between processes. The price: a crash inside native code (a corrupt stream killing FFmpeg)
takes the whole service down, so run it under a supervisor that restarts it (systemd
``Restart=always``, Docker ``restart: unless-stopped``). Python-level failures are contained:
a worker that raises is restarted by the watchdog.

A worker's life: open the source, report ``CameraHealth(status="online")`` at the first frame,
analyse frames at the camera's ``fps``, send events; when the source fails or ends, report
``offline`` once (with the reason) and retry with exponential backoff (1 s, 2 s, 4 s ... up to
a minute; reset after a connection that delivered frames).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from artguard.events import CameraHealth, EventBase, utcnow
from artguard.site.entities import Camera
from artguard.vision.pipeline import CameraPipeline, FrameResult
from artguard.vision.sources import FrameSource, SourceError, is_live, open_source

log = logging.getLogger(__name__)

EventSink = Callable[[list[EventBase]], None]
"""Delivers a camera's events (blocking until they are stored); raises when it cannot."""
SourceFactory = Callable[[Camera], FrameSource]
PipelineFactory = Callable[[Camera], CameraPipeline]
SinkFactory = Callable[[Camera], EventSink]
FrameTap = Callable[[Camera, FrameResult], None]
"""Sees every analysed frame and its result (e.g. the evidence frame ring); must be quick."""


@dataclass
class Backoff:
    """Exponential delays between attempts: ``initial``, x ``factor`` each time, capped."""

    initial: float = 1.0
    factor: float = 2.0
    maximum: float = 60.0
    _next: float | None = field(default=None, repr=False)

    def next(self) -> float:
        delay = self.initial if self._next is None else self._next
        self._next = min(delay * self.factor, self.maximum)
        return delay

    def reset(self) -> None:
        self._next = None


def camera_source(camera: Camera) -> FrameSource:
    """The source of a site camera. A file stands in for a live camera: it is played at its
    own speed with wall-clock times, over and over."""
    live = is_live(camera.source)
    return open_source(camera.source, fps=camera.fps, realtime=not live, loop=not live)


@dataclass
class WorkerStatus:
    """What a worker is doing, for health reporting."""

    camera_id: str
    online: bool = False
    frames: int = 0
    events: int = 0
    connects: int = 0
    sink_errors: int = 0
    tap_errors: int = 0
    last_error: str | None = None
    heartbeat: float = field(default_factory=time.monotonic)
    """Monotonic time of the worker's last sign of life (a frame, an attempt)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "camera_id": self.camera_id,
            "online": self.online,
            "frames": self.frames,
            "events": self.events,
            "connects": self.connects,
            "sink_errors": self.sink_errors,
            "tap_errors": self.tap_errors,
            "last_error": self.last_error,
            "seconds_since_heartbeat": round(time.monotonic() - self.heartbeat, 1),
        }


class CameraWorker:
    """Runs one camera in its own thread until :meth:`stop`."""

    def __init__(
        self,
        camera: Camera,
        *,
        source_factory: SourceFactory,
        pipeline: CameraPipeline,
        sink: EventSink,
        backoff: Backoff | None = None,
        tap: FrameTap | None = None,
    ) -> None:
        self.camera = camera
        self._tap = tap
        self.pipeline = pipeline
        self.status = WorkerStatus(camera.id)
        self._source_factory = source_factory
        self._sink = sink
        self._backoff = backoff or Backoff()
        self._stop = threading.Event()
        self._reported: str | None = None  # the last health status sent
        self._thread = threading.Thread(target=self._main, name=f"camera-{camera.id}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the worker to stop; it finishes the frame it is on."""
        self._stop.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def _main(self) -> None:
        try:
            self.run()
        except Exception as exc:
            log.exception("camera %s: worker failed", self.camera.id)
            self.status.last_error = f"worker failed: {exc!r}"
            self._health("offline", f"analysis failed: {type(exc).__name__}: {exc}"[:500])

    def run(self) -> None:
        """Connect, analyse, reconnect, until stopped (in the calling thread)."""
        while not self._stop.is_set():
            self.status.heartbeat = time.monotonic()
            reason = self._run_source()
            if self._stop.is_set():
                break
            self.status.online = False
            self.status.last_error = reason
            self._health("offline", reason)
            delay = self._backoff.next()
            log.warning("camera %s: %s; retrying in %.0f s", self.camera.id, reason, delay)
            self._stop.wait(delay)

    def _run_source(self) -> str:
        """Analyse frames from one connection; the reason it ended."""
        source = self._source_factory(self.camera)
        try:
            for frame in source.frames():
                if self._stop.is_set():
                    return "stopped"
                if not self.status.online:
                    self.status.online = True
                    self.status.connects += 1
                    self._backoff.reset()
                    self._health("online", f"receiving from {source.name}")
                result = self.pipeline.process(frame)
                self._tapped(result)
                self._deliver(result.events)
                self.status.frames += 1
                self.status.heartbeat = time.monotonic()
            return f"{source.name} ended"
        except SourceError as exc:
            return str(exc)
        finally:
            source.close()

    def _tapped(self, result: FrameResult) -> None:
        if self._tap is None:
            return
        try:
            self._tap(self.camera, result)
        except Exception:  # evidence is a side line: never stop the analysis for it
            self.status.tap_errors += 1
            log.exception("camera %s: frame tap failed", self.camera.id)

    def _health(self, status: Literal["online", "offline"], detail: str) -> None:
        if status == self._reported:
            return
        self._reported = status
        event = CameraHealth(
            device_id=self.camera.id, site_time=utcnow(), status=status, detail=detail
        )
        self._deliver([event])

    def _deliver(self, events: list[EventBase]) -> None:
        if not events:
            return
        try:
            self._sink(events)
            self.status.events += len(events)
        except Exception as exc:  # storage down: the frame is gone anyway, keep watching
            self.status.sink_errors += 1
            log.error(
                "camera %s: could not deliver %d event(s): %s", self.camera.id, len(events), exc
            )


class CameraManager:
    """Starts a worker per camera, restarts any that dies, and stops them all."""

    def __init__(
        self,
        cameras: Sequence[Camera],
        *,
        pipeline_factory: PipelineFactory,
        sink_factory: SinkFactory,
        source_factory: SourceFactory = camera_source,
        backoff: Callable[[], Backoff] = Backoff,
        watchdog_interval: float = 5.0,
        stall_seconds: float = 60.0,
        tap: FrameTap | None = None,
    ) -> None:
        self.cameras = list(cameras)
        self._tap = tap
        self.restarts: dict[str, int] = {c.id: 0 for c in self.cameras}
        self.workers: dict[str, CameraWorker] = {}
        self._pipeline_factory = pipeline_factory
        self._sink_factory = sink_factory
        self._source_factory = source_factory
        self._backoff = backoff
        self._restart_backoff = {c.id: Backoff(initial=watchdog_interval) for c in self.cameras}
        self._restart_at: dict[str, float] = {}
        self._watchdog_interval = watchdog_interval
        self._stall_seconds = stall_seconds
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        for camera in self.cameras:
            self._spawn(camera)
        self._watchdog = threading.Thread(target=self._watch, name="camera-watchdog", daemon=True)
        self._watchdog.start()
        log.info("camera workers started: %s", ", ".join(c.id for c in self.cameras) or "none")

    def stop(self, timeout: float = 15.0) -> None:
        """Stop every worker and wait for them (up to ``timeout`` seconds in all)."""
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join(timeout)
        with self._lock:
            workers = list(self.workers.values())
        for worker in workers:
            worker.stop()
        deadline = time.monotonic() + timeout
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))
            if worker.is_alive():
                log.warning("camera %s: worker did not stop in time", worker.camera.id)

    def status(self) -> list[dict[str, Any]]:
        with self._lock:
            workers = list(self.workers.values())
        return [
            {**w.status.as_dict(), "alive": w.is_alive(), "restarts": self.restarts[w.camera.id]}
            for w in workers
        ]

    def check(self) -> None:
        """One watchdog round: restart dead workers (with backoff), warn about stalled ones."""
        now = time.monotonic()
        for camera in self.cameras:
            with self._lock:
                worker = self.workers.get(camera.id)
            if worker is None or self._stop.is_set():
                continue
            if worker.is_alive():
                if worker.status.frames:
                    self._restart_backoff[camera.id].reset()
                if now - worker.status.heartbeat > self._stall_seconds:
                    log.warning(
                        "camera %s: no progress for %.0f s",
                        camera.id,
                        now - worker.status.heartbeat,
                    )
                continue
            due = self._restart_at.setdefault(
                camera.id, now + self._restart_backoff[camera.id].next()
            )
            if now >= due:
                del self._restart_at[camera.id]
                self.restarts[camera.id] += 1
                log.error("camera %s: worker died; restarting", camera.id)
                self._spawn(camera)

    def _spawn(self, camera: Camera) -> None:
        worker = CameraWorker(
            camera,
            source_factory=self._source_factory,
            pipeline=self._pipeline_factory(camera),
            sink=self._sink_factory(camera),
            backoff=self._backoff(),
            tap=self._tap,
        )
        with self._lock:
            self.workers[camera.id] = worker
        worker.start()

    def _watch(self) -> None:
        while not self._stop.wait(self._watchdog_interval):
            try:
                self.check()
            except Exception:  # the watchdog itself must not die
                log.exception("camera watchdog round failed")
