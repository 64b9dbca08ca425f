"""Camera pipeline throughput, with and without the motion gate.

Data: ``vtest.avi`` (PETS 2009 via Debian's ``opencv-doc``: 795 frames, 768x576, 10 fps,
people crossing a plaza all the time), from ``../shared/data/video`` or ``--video``.

The whole per-frame path is timed as a camera worker runs it: decode (OpenCV/FFmpeg), sampling
to the analysis rate, motion gate, detector, tracker, floor mapping, event building. The gated
and ungated pipelines process the same frames in turn (decoding counted for both), so a busy
machine slows both alike. Two scenes:

* ``plaza``: the clip as it is. Someone moves in nearly every frame, so this is the worst
  case for the gate (it can only crop).
* ``gallery``: a quiet room that gets visitors now and then: 60 s of the empty plaza (the
  per-pixel median of the clip, with sensor noise), the clip (79.5 s), 60 s empty again.
  Museum cameras spend most of the day like the empty part, and the night entirely.

    .venv/bin/python bench/camera_throughput.py [--video PATH] [--detector TYPE] [--fps 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import numpy as np

from artguard.site.entities import Camera
from artguard.vision.motion import MotionDetector, MotionGate
from artguard.vision.pipeline import CameraPipeline
from artguard.vision.service import load_detector
from artguard.vision.sources import FpsSampler, Frame, VideoSource

ROOT = Path(__file__).resolve().parent.parent
VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"
T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
QUIET_SECONDS = 60.0


def empty_scene(video: Path) -> np.ndarray:
    """The plaza without people: the median of 40 frames spread over the clip."""
    capture = cv2.VideoCapture(str(video))
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    frames = []
    for index in np.linspace(0, count - 1, 40).astype(int):
        capture.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, image = capture.read()
        if ok:
            frames.append(image)
    capture.release()
    return np.median(np.stack(frames), axis=0).astype(np.uint8)


def gallery_frames(video: Path, fps: float) -> Iterator[Frame]:
    """Quiet, visitors (the clip), quiet; sampled to ``fps`` like a live source.

    The quiet frames cycle through a few noisy copies of the empty scene made beforehand, so
    making them costs nothing in the timing; the clip's frames are decoded as a camera's are.
    """
    background = empty_scene(video)
    rng = np.random.default_rng(0)
    noisy = [
        np.clip(background + rng.normal(0, 2.0, background.shape), 0, 255).astype(np.uint8)
        for _ in range(8)
    ]
    capture = cv2.VideoCapture(str(video))
    native = capture.get(cv2.CAP_PROP_FPS) or 10.0
    clip_frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    quiet = int(QUIET_SECONDS * native)
    sampler = FpsSampler(fps)
    try:
        for index in range(quiet + clip_frames + quiet):
            in_clip = quiet <= index < quiet + clip_frames
            if in_clip and not capture.grab():
                break
            offset = index / native
            if not sampler.due(offset):
                continue
            image = capture.retrieve()[1] if in_clip else noisy[index % len(noisy)]
            yield Frame(index, T0 + timedelta(seconds=offset), image)
    finally:
        capture.release()


def camera(width: int, height: int, fps: float) -> Camera:
    return Camera(
        id="cam-bench",
        name="Benchmark camera",
        source="bench",
        rooms=["bench"],
        resolution=(width, height),
        fps=fps,
    )


def run(frames: Iterator[Frame], cam: Camera, detector_type: str | None) -> dict[bool, dict]:
    """Both configurations on the same frames, interleaved frame by frame (alternating which
    goes first), so that load from other processes weighs on both alike."""
    detector = load_detector(detector_type)
    pipelines = {
        False: CameraPipeline(cam, detector, gate=MotionGate.disabled()),
        True: CameraPipeline(cam, detector, gate=MotionGate(MotionDetector())),
    }
    spent = dict.fromkeys(pipelines, 0.0)
    decode = 0.0
    analysed = 0
    frames = iter(frames)
    while True:
        started = time.perf_counter()
        frame = next(frames, None)
        decode += time.perf_counter() - started
        if frame is None:
            break
        order = (False, True) if analysed % 2 else (True, False)
        for gated in order:
            started = time.perf_counter()
            pipelines[gated].process(frame)
            spent[gated] += time.perf_counter() - started
        analysed += 1
    results = {}
    for gated, pipeline in pipelines.items():
        counters = pipeline.gate.counters
        seconds = spent[gated] + decode
        results[gated] = {
            "frames": analysed,
            "seconds": seconds,
            "fps": analysed / seconds,
            "detector_runs": counters.detector_runs,
            "frames_detected": counters.frames_detected,
            "frames_with_motion": counters.frames_with_motion,
            "skipped": counters.frames_skipped_fraction,
            "pixels_saved": counters.pixels_saved_fraction,
            "detect_ms": 1000 * pipeline.times.detect / max(1, counters.detector_runs),
            "motion_ms": 1000 * pipeline.times.motion / max(1, analysed),
            "tracks": pipeline.tracker.ids_issued,
            "detector": detector.name,
        }
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", type=Path, default=VTEST)
    parser.add_argument("--detector", default=None, help="detector type [package default]")
    parser.add_argument("--fps", type=float, default=5.0, help="analysis rate [5]")
    parser.add_argument("--scene", choices=["plaza", "gallery", "both"], default="both")
    args = parser.parse_args()
    if not args.video.is_file():
        raise SystemExit(f"{args.video} not found (pass --video)")
    capture = cv2.VideoCapture(str(args.video))
    width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
    height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    capture.release()
    cam = camera(width, height, args.fps)
    scenes = ["plaza", "gallery"] if args.scene == "both" else [args.scene]
    print(f"video {args.video.name} {width}x{height}, analysed at {args.fps:g} fps")
    for scene in scenes:
        if scene == "plaza":
            frames = VideoSource(str(args.video), fps=args.fps, start_time=T0).frames()
        else:
            frames = gallery_frames(args.video, args.fps)
        results = run(frames, cam, args.detector)
        for gated, r in results.items():
            print(
                f"{scene:8} gate {'on ' if gated else 'off'}: {r['frames']} frames in "
                f"{r['seconds']:.1f} s = {r['fps']:.1f} frames/s ({r['detector']}); detector "
                f"{r['detector_runs']} runs on {r['frames_detected']} frames, "
                f"{r['detect_ms']:.0f} ms/run; motion in {r['frames_with_motion']} frames, "
                f"{r['motion_ms']:.2f} ms/frame; skipped {r['skipped']:.1%} of frames, "
                f"{r['pixels_saved']:.1%} of pixels; {r['tracks']} tracks"
            )
        off, on = results[False], results[True]
        saved = off["seconds"] - on["seconds"]
        print(
            f"{scene:8} the gate saved {off['detector_runs'] - on['detector_runs']} detector "
            f"runs and {saved:.1f} s ({saved / off['seconds']:.0%} of the time); "
            f"{on['fps'] / off['fps']:.2f}x the frames per second"
        )


if __name__ == "__main__":
    main()
