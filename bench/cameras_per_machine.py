"""How many cameras one machine watches at 5 fps: the real multi-camera set-up, N cameras at once.

Runs the product's own camera stack: :class:`~artguard.vision.worker.CameraManager` starting one
:class:`~artguard.vision.worker.CameraWorker` thread per camera, each with its own
:class:`~artguard.vision.pipeline.CameraPipeline` (motion gate, tracker, floor mapping, the
sabotage frame check) and one :class:`~artguard.vision.service.SharedDetector` for all. Each
camera plays a video file in real time (a file source decodes every frame of it, at its native
10 fps, as a live camera's stream is decoded) and analyses 5 frames a second. Events go to a
counting sink (storage is measured by ``bench/frame_to_alert.py``).

Scenes (data: ``vtest.avi``, PETS 2009, 768x576 at 10 fps, people crossing a plaza):

* ``gallery``: a mostly still room: a ``--period`` second loop (default 30 s) in which the
  people-free plaza (the per-pixel temporal median of the clip, with sensor noise) holds for
  ``--still`` of the time (default 90 %), then a burst of the real clip. Each camera starts at
  a different point of the loop, so bursts do not all coincide. Written once to a temporary
  MPEG-4 file, which the cameras decode like any recording.
* ``busy``: the clip itself (someone moving in every frame), looped.

For each scene and gate setting N grows (``--start``, ``--step``) until a camera falls behind:
a camera *keeps up* when it analyses >= 4.75 frames/s over the measured window and its lag
(wall-clock time at analysis minus the frame's capture time) stays bounded: p95 under 1 s and
no more than 0.5 s growth over the window. Reported per N: the slowest camera's fps, lag p95
and growth, process CPU (cores busy), share of frames where the detector was skipped.

The decode cost is measured on its own too (``decode``): ms per frame of the gallery file at
768x576, and the same scene scaled to 1280x720 and 1920x1080.

    .venv/bin/python bench/cameras_per_machine.py [--scenes gallery,busy] [--gates on,off]
        [--seconds 30] [--warmup 6] [--still 0.9] [--start 4] [--step 4] [--max 48]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from artguard.events import EventBase, utcnow
from artguard.site.entities import Camera
from artguard.vision.checks.sabotage import LIVE_THRESHOLDS, CameraSabotageCheck
from artguard.vision.motion import MotionDetector, MotionGate
from artguard.vision.pipeline import CameraPipeline, FrameResult
from artguard.vision.service import SharedDetector, load_detectors
from artguard.vision.sources import Frame, VideoSource
from artguard.vision.worker import CameraManager

ROOT = Path(__file__).resolve().parent.parent
VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"
FPS = 5.0
MIN_FPS = 4.75
MAX_LAG_P95 = 1.0
MAX_LAG_GROWTH = 0.5


def read_clip(video: Path) -> tuple[list[np.ndarray], float]:
    capture = cv2.VideoCapture(str(video))
    native = capture.get(cv2.CAP_PROP_FPS) or 10.0
    frames = []
    while True:
        ok, image = capture.read()
        if not ok:
            break
        frames.append(image)
    capture.release()
    return frames, native


def write_gallery(
    frames: list[np.ndarray], native: float, still: float, period: float, out: Path
) -> Path:
    """One loop of the gallery scene: ``still`` of ``period`` seconds empty, then a burst."""
    background = np.median(np.stack(frames[:: max(1, len(frames) // 40)]), axis=0)
    rng = np.random.default_rng(0)
    total = round(period * native)
    burst = max(1, round((1 - still) * total))
    start = len(frames) // 3  # the middle of the clip: several people on the plaza
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), native, (w, h))
    for i in range(total):
        if i < total - burst:
            noisy = background + rng.normal(0, 2.0, background.shape)
            writer.write(np.clip(noisy, 0, 255).astype(np.uint8))
        else:
            writer.write(frames[start + i - (total - burst)])
    writer.release()
    return out


class OffsetSource(VideoSource):
    """A looping real-time file source that starts ``skip`` frames into the file."""

    def __init__(self, uri: str, skip: int) -> None:
        super().__init__(uri, fps=FPS, realtime=True, loop=True)
        self.skip = skip

    def _open(self) -> cv2.VideoCapture:
        capture = super()._open()
        for _ in range(self.skip):  # grab, not seek: exact on any codec
            capture.grab()
        return capture


class LagPipeline(CameraPipeline):
    """The real pipeline, recording each frame's lag (analysis start - capture time)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.lags: list[tuple[float, float]] = []  # (monotonic time, lag seconds)

    def process(self, frame: Frame) -> FrameResult:
        self.lags.append((time.monotonic(), (utcnow() - frame.timestamp).total_seconds()))
        return super().process(frame)


@dataclass
class Trial:
    scene: str
    gate: bool
    cameras: int
    fps: list[float] = field(default_factory=list)
    lag_p95: list[float] = field(default_factory=list)
    lag_growth: list[float] = field(default_factory=list)
    cores: float = 0.0
    skipped: float = 0.0
    stage_ms: dict[str, float] = field(default_factory=dict)
    detector: tuple[float, float] = (0.0, 0.0)
    """Detector runs per second (all cameras) and ms per run."""

    @property
    def keeps_up(self) -> bool:
        return (
            min(self.fps) >= MIN_FPS
            and max(self.lag_p95) <= MAX_LAG_P95
            and max(self.lag_growth) <= MAX_LAG_GROWTH
        )

    def line(self) -> str:
        stages = ", ".join(f"{k} {v:.1f}" for k, v in self.stage_ms.items())
        return (
            f"{self.scene:8s} gate={'on ' if self.gate else 'off'} N={self.cameras:3d}  "
            f"fps min {min(self.fps):5.2f} mean {statistics.fmean(self.fps):5.2f}  "
            f"lag p95 max {max(self.lag_p95):6.2f} s  growth max {max(self.lag_growth):6.2f} s  "
            f"CPU {self.cores:4.2f} cores  detector skipped {self.skipped:5.1%}  "
            f"{'keeps up' if self.keeps_up else 'FALLS BEHIND'}\n"
            f"{'':18s}detector {self.detector[0]:.1f} runs/s at {self.detector[1]:.0f} ms "
            f"(busy {self.detector[0] * self.detector[1] / 10:.0f} % of the time); "
            f"ms per frame: {stages}"
        )


def camera(i: int, path: Path) -> Camera:
    return Camera(
        id=f"cam-{i}", name=f"Camera {i}", source=str(path), rooms=["r"], resolution=(768, 576),
        fps=FPS,
    )  # fmt: skip


def run_trial(
    scene: str, path: Path, loop_frames: int, gate: bool, n: int, detector: SharedDetector,
    seconds: float, warmup: float, checks_dir: Path,
) -> Trial:  # fmt: skip
    cameras = [camera(i, path) for i in range(n)]
    pipelines: dict[str, LagPipeline] = {}

    def pipeline(camera: Camera) -> CameraPipeline:
        made = LagPipeline(
            camera,
            detector,
            gate=MotionGate(MotionDetector()) if gate else MotionGate.disabled(),
            checks=[CameraSabotageCheck.for_camera(camera, checks_dir, LIVE_THRESHOLDS)],
        )
        pipelines[camera.id] = made
        return made

    def sink(_camera: Camera) -> Callable[[list[EventBase]], None]:
        return lambda events: None

    def source(camera: Camera) -> OffsetSource:
        i = int(camera.id.split("-")[1])
        return OffsetSource(camera.source, skip=(i * loop_frames) // max(n, 1))

    manager = CameraManager(
        cameras, pipeline_factory=pipeline, sink_factory=sink, source_factory=source
    )
    manager.start()
    try:
        time.sleep(warmup)
        frames0 = {c.id: manager.workers[c.id].status.frames for c in cameras}
        gate0 = {c.id: pipelines[c.id].gate.counters.frames_detected for c in cameras}
        seen0 = {c.id: pipelines[c.id].gate.counters.frames for c in cameras}
        cpu0, t0 = os.times(), time.monotonic()
        use0 = (detector.use.calls, detector.use.running)
        time.sleep(seconds)
        cpu1, t1 = os.times(), time.monotonic()
        use1 = (detector.use.calls, detector.use.running)
        frames1 = {c.id: manager.workers[c.id].status.frames for c in cameras}
    finally:
        manager.stop()
    trial = Trial(scene, gate, n)
    elapsed = t1 - t0
    runs = use1[0] - use0[0]
    trial.detector = (runs / (t1 - t0), 1000 * (use1[1] - use0[1]) / max(runs, 1))
    trial.cores = (cpu1.user + cpu1.system - cpu0.user - cpu0.system) / elapsed
    detected = seen = 0
    for c in cameras:
        p = pipelines[c.id]
        trial.fps.append((frames1[c.id] - frames0[c.id]) / elapsed)
        window = [lag for at, lag in p.lags if t0 <= at <= t1]
        if not window:
            window = [float("inf")]
        trial.lag_p95.append(float(np.percentile(window, 95)))
        k = max(1, len(window) // 5)
        trial.lag_growth.append(
            statistics.fmean(window[-k:]) - statistics.fmean(window[:k]) if len(window) > 1 else 0.0
        )
        detected += p.gate.counters.frames_detected - gate0[c.id]
        seen += p.gate.counters.frames - seen0[c.id]
    trial.skipped = 1 - detected / seen if seen else 0.0
    frames = sum(pipelines[c.id].times.frames for c in cameras)
    for stage in ("motion", "detect", "track", "checks", "total"):
        spent = sum(getattr(pipelines[c.id].times, stage) for c in cameras)
        trial.stage_ms[stage] = 1000 * spent / max(frames, 1)
    return trial


def decode_cost(path: Path, frames: int = 150) -> dict[str, float]:
    """ms per decoded frame of the gallery scene at three sizes (MPEG-4 Part 2)."""
    clip, native = read_clip(path)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for w, h in [(768, 576), (1280, 720), (1920, 1080)]:
            target = Path(tmp) / f"{w}x{h}.mp4"
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), native, (w, h))
            for image in clip[:frames]:
                writer.write(cv2.resize(image, (w, h)) if (w, h) != (768, 576) else image)
            writer.release()
            capture = cv2.VideoCapture(str(target))
            started = time.perf_counter()
            decoded = 0
            while capture.grab():
                capture.retrieve()
                decoded += 1
            out[f"{w}x{h}"] = 1000 * (time.perf_counter() - started) / max(decoded, 1)
            capture.release()
    return out


def search(keeps_up: Callable[[int], bool], start: int, step: int, most: int) -> int:
    """The largest N that keeps up: up by ``step`` from ``start`` while it does, then the
    counts in between; down by one from ``start`` when even that falls behind."""
    if not keeps_up(start):
        return next((n for n in range(start - 1, 0, -1) if keeps_up(n)), 0)
    best = start
    while best + step <= most and keeps_up(best + step):
        best += step
    return next((n for n in range(min(best + step, most + 1) - 1, best, -1) if keeps_up(n)), best)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", type=Path, default=VTEST)
    parser.add_argument("--detector", default=None)
    parser.add_argument("--scenes", default="gallery,busy")
    parser.add_argument("--gates", default="on,off")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=6.0)
    parser.add_argument("--still", type=float, default=0.9)
    parser.add_argument("--period", type=float, default=30.0)
    parser.add_argument("--start", type=int, default=4)
    parser.add_argument("--step", type=int, default=4)
    parser.add_argument("--max", type=int, default=48)
    parser.add_argument("--counts", default=None, help="Comma-separated N to try (no search).")
    args = parser.parse_args()
    if not args.video.is_file():
        raise SystemExit(f"video not found: {args.video} (see /work/shared/data/README.md)")
    if not 0.0 <= args.still < 1.0:
        raise SystemExit(f"--still must be in [0, 1): {args.still}")

    detector = SharedDetector(load_detectors(2, args.detector))  # many cameras: a copy per core
    clip, native = read_clip(args.video)
    print(
        f"detector {detector.name} x{detector.copies}; {os.cpu_count()} cores; "
        f"load {os.getloadavg()[0]:.2f}"
    )
    with tempfile.TemporaryDirectory(prefix="artguard-bench-") as tmp:
        gallery = write_gallery(clip, native, args.still, args.period, Path(tmp) / "gallery.mp4")
        ms = decode_cost(gallery)
        print(
            "decode ms/frame (MPEG-4 Part 2, gallery scene): "
            + ", ".join(f"{size} {v:.2f}" for size, v in ms.items())
        )
        scenes = {
            "gallery": (gallery, round(args.period * native)),
            "busy": (args.video, len(clip)),
        }
        best: dict[tuple[str, bool], int] = {}
        for scene in args.scenes.split(","):
            for gate in [g == "on" for g in args.gates.split(",")]:

                def trial(n: int, scene: str = scene, gate: bool = gate) -> bool:
                    result = run_trial(
                        scene, scenes[scene][0], scenes[scene][1], gate, n, detector,
                        args.seconds, args.warmup, Path(tmp) / "refs" / f"{scene}-{gate}-{n}",
                    )  # fmt: skip
                    print(result.line(), flush=True)
                    return result.keeps_up

                if args.counts:
                    kept = [n for n in (int(c) for c in args.counts.split(",")) if trial(n)]
                    best[(scene, gate)] = max(kept, default=0)
                else:
                    best[(scene, gate)] = search(trial, args.start, args.step, args.max)
        print(f"\nlargest N that keeps up at {FPS:g} fps (machine load {os.getloadavg()[0]:.2f}):")
        for (scene, gate), n in best.items():
            still = f", {args.still:.0%} still" if scene == "gallery" else ""
            print(f"  {scene}{still}, motion gate {'on' if gate else 'off'}: {n}")


if __name__ == "__main__":
    main()
