"""Starting the site's cameras inside a running artguard.

Each camera's events enter through the ingestion service like any device's
(``runtime.ingest.submit(..., source="camera:<id>", trusted=True)``), so they are validated,
stored durably and published on the bus before anything else sees them.

* ``ARTGUARD_CAMERAS=off`` (or ``0``/``false``/``no``) starts no camera: for tests, the demo
  and machines without cameras.
* ``ARTGUARD_DETECTOR`` chooses the detector type (default: the detector package's default).
* ``ARTGUARD_POSE=off`` never loads the pose model. Otherwise one MoveNet is loaded, shared by
  every camera, when any camera has an artwork barrier; it runs only on those cameras and only
  around people near a barrier (:class:`~artguard.vision.pose_gate.PoseGate`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from artguard.events import EventBase
from artguard.site.entities import Artwork, Camera
from artguard.vision.checks.artwork import ArtworkPresenceCheck
from artguard.vision.checks.sabotage import LIVE_THRESHOLDS, CameraSabotageCheck
from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Detector, Image, PoseEstimator
from artguard.vision.pipeline import CameraPipeline, FrameCheck
from artguard.vision.pose_gate import PoseGate, SharedPose
from artguard.vision.shared_model import ModelUse, TakingTurnsPool
from artguard.vision.worker import CameraManager, EventSink

if TYPE_CHECKING:
    from artguard.runtime import Runtime

log = logging.getLogger(__name__)

SUBMIT_TIMEOUT = 30.0
"""Seconds a worker waits for its events to be stored before giving up on them."""

TRACKER_LOW_SCORE = 0.1
"""Detector score threshold for tracking (the tracker's ``low_thresh``)."""

ChecksFactory = Callable[[Camera], Sequence[FrameCheck]]


def cameras_enabled(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get("ARTGUARD_CAMERAS", "on")
    return value.strip().lower() not in {"off", "0", "false", "no"}


class SharedDetector:
    """The detector every camera thread uses: one loaded copy, or a pool of copies (one per
    core, each single-threaded: see :class:`TakingTurnsPool` for why), each used by one call
    at a time, callers served in arrival order. Sharing is safe whatever a detector's internal
    buffers. ``use`` says how long calls waited for their turn and ran.
    """

    def __init__(self, detector: Detector | Sequence[Detector]) -> None:
        models = list(detector) if isinstance(detector, Sequence) else [detector]
        self._pool = TakingTurnsPool(models)
        self.name = models[0].name
        self.copies = len(models)

    @property
    def use(self) -> ModelUse:
        return self._pool.use

    def detect(self, image: Image) -> Detections:
        return self._pool.run(_detect, image)


def _detect(detector: Detector, image: Image) -> Detections:
    return detector.detect(image)


def load_detectors(cameras: int, detector_type: str | None = None) -> list[Detector]:
    """The detector copies for ``cameras`` cameras: one using every core for a single camera
    (its frames come one at a time), else one single-threaded copy per core."""
    if cameras <= 1:
        return [load_detector(detector_type)]
    cores = os.cpu_count() or 1
    return [load_detector(detector_type, threads=1) for _ in range(cores)]


def pose_enabled(env: Mapping[str, str] | None = None) -> bool:
    value = (os.environ if env is None else env).get("ARTGUARD_POSE", "on")
    return value.strip().lower() not in {"off", "0", "false", "no"}


def load_pose() -> PoseEstimator:
    from artguard.vision.pose import MoveNetMultiPose

    return MoveNetMultiPose()


def pose_gates(cameras: Sequence[Camera], artworks: Sequence[Artwork]) -> dict[str, PoseGate]:
    """The pose gate of every camera that has at least one artwork barrier."""
    gates = {camera.id: PoseGate.for_camera(camera, artworks) for camera in cameras}
    return {camera_id: gate for camera_id, gate in gates.items() if gate is not None}


def load_detector(detector_type: str | None = None, threads: int | None = None) -> Detector:
    """The configured detector (``ARTGUARD_DETECTOR`` or the package default), keeping boxes
    down to the tracker's low threshold: ByteTrack uses the weak ones to hold on to people
    through occlusions (they never start a track on their own)."""
    from artguard.vision.detectors import DEFAULT_DETECTOR, create_detector

    chosen = detector_type or os.environ.get("ARTGUARD_DETECTOR", DEFAULT_DETECTOR)
    options = {} if threads is None else {"threads": threads}
    return create_detector(chosen, score_threshold=TRACKER_LOW_SCORE, **options)


def ingest_sink(runtime: Runtime, loop: asyncio.AbstractEventLoop, camera: Camera) -> EventSink:
    """A blocking sink for a worker thread that submits through the runtime's ingestion."""
    source = f"camera:{camera.id}"

    def sink(events: list[EventBase]) -> None:
        items = [event.model_dump(mode="json") for event in events]
        future = asyncio.run_coroutine_threadsafe(
            runtime.ingest.submit(items, token=None, source=source, trusted=True), loop
        )
        result = future.result(SUBMIT_TIMEOUT)
        for rejection in result.rejected:
            log.warning("%s: event rejected: %s: %s", source, rejection.field, rejection.message)

    return sink


def start_cameras(
    runtime: Runtime,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    detector: Detector | None = None,
    pose: PoseEstimator | None = None,
    checks: ChecksFactory | None = None,
) -> CameraManager:
    """Start a worker for every camera of the runtime's site (none when disabled).

    Call it from the event loop the runtime runs on, or pass that ``loop``. ``pose`` (else
    the default MoveNet, loaded only when a camera has a barrier) serves the cameras with
    barriers.
    """
    loop = loop or asyncio.get_running_loop()
    cameras = list(runtime.site.cameras) if cameras_enabled() else []
    if not cameras:
        reason = "ARTGUARD_CAMERAS=off" if runtime.site.cameras else "no cameras in the site"
        log.info("camera analysis not started (%s)", reason)
    shared = SharedDetector(detector or load_detectors(len(cameras))) if cameras else None
    gates = pose_gates(cameras, runtime.site.artworks) if pose_enabled() else {}
    shared_pose = SharedPose(pose or load_pose()) if gates else None
    if gates:
        log.info("pose estimation on cameras with barriers: %s", ", ".join(sorted(gates)))

    def pipeline(camera: Camera) -> CameraPipeline:
        assert shared is not None
        # A fresh gate per pipeline: a restarted worker starts with fresh counters.
        gate = PoseGate.for_camera(camera, runtime.site.artworks) if camera.id in gates else None
        return CameraPipeline(
            camera,
            shared,
            pose=shared_pose if gate is not None else None,
            pose_gate=gate,
            checks=checks(camera) if checks else (),
        )

    manager = CameraManager(
        cameras,
        pipeline_factory=pipeline,
        sink_factory=lambda camera: ingest_sink(runtime, loop, camera),
        tap=runtime.evidence.tap if runtime.evidence is not None else None,
    )
    manager.start()
    return manager


async def stop_cameras(manager: CameraManager | None) -> None:
    """Stop the workers without blocking the event loop (they may be mid-frame)."""
    if manager is not None:
        await asyncio.to_thread(manager.stop)


def default_checks(data_dir: Path, artworks: Sequence[Artwork]) -> ChecksFactory:
    """Per camera: sabotage (covered, blinded, frozen, defocused, moved) and artwork presence."""

    def factory(camera: Camera) -> Sequence[FrameCheck]:
        return [
            CameraSabotageCheck.for_camera(camera, data_dir, LIVE_THRESHOLDS),
            ArtworkPresenceCheck(camera, artworks, data_dir),
        ]

    return factory


async def run_cameras(runtime: Runtime, *, checks: ChecksFactory | None = None) -> None:
    """Background task for the API app: the cameras run while the app is up."""
    if checks is None:
        checks = default_checks(runtime.settings.data_dir, runtime.site.artworks)
    loop = asyncio.get_running_loop()
    # Loading the model takes a moment: start off the event loop, and never leave workers
    # behind if the app stops while they are starting.
    starting = asyncio.ensure_future(
        asyncio.to_thread(start_cameras, runtime, loop=loop, checks=checks)
    )
    manager: CameraManager | None = None
    try:
        manager = await asyncio.shield(starting)
        await asyncio.Event().wait()
    finally:
        if manager is None:
            with contextlib.suppress(Exception):
                manager = await starting
        await stop_cameras(manager)
