"""What pose estimation costs a camera with an artwork barrier, gated and ungated.

Data: ``vtest.avi`` (PETS 2009, 768x576, 10 fps, people crossing a plaza), analysed at 5 fps
with the real pipeline (motion gate, CenterNet, ByteTrack). A barrier is drawn around a spot
in the middle of the plaza (``--barrier``, default a 120 x 150 px box), as if a sculpture stood
there. Three runs over the same frames:

* ``none``: no pose model (what a camera without barriers runs);
* ``every frame``: MoveNet on the detector's regions whenever anyone was detected (what
  ``artguard analyze --pose`` does);
* ``gated``: MoveNet only on square crops around people whose box meets the barrier's grown
  bounding box (``PoseGate``, what live cameras with barriers run).

Reported: ms per analysed frame of the pose stage and in all, pose runs, and for the people
near the barrier (box meeting the barrier's box) the share that got keypoints and the share
with a wrist seen (score >= 0.3): the gate must not lose the keypoints the barrier rule needs.

    .venv/bin/python bench/pose_gating.py [--video PATH] [--frames 300]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime
from pathlib import Path

from artguard.site.entities import Artwork, Barrier, Camera
from artguard.vision.detections import Detections
from artguard.vision.detectors.base import Image
from artguard.vision.pipeline import CameraPipeline
from artguard.vision.pose import KP, MoveNetMultiPose
from artguard.vision.pose_gate import PoseGate
from artguard.vision.service import load_detector
from artguard.vision.sources import VideoSource

ROOT = Path(__file__).resolve().parent.parent
VTEST = ROOT.parent / "shared" / "data" / "video" / "vtest.avi"
T0 = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
WRISTS = [KP["left_wrist"], KP["right_wrist"]]


def share(part: int, whole: int) -> str:
    return f"{part / whole:6.1%}" if whole else "   n/a"


class CountingPose:
    """The pose model, counting its calls."""

    def __init__(self, pose: MoveNetMultiPose) -> None:
        self.pose = pose
        self.name = pose.name
        self.calls = 0

    def estimate(self, image: Image) -> Detections:
        self.calls += 1
        return self.pose.estimate(image)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--video", type=Path, default=VTEST)
    parser.add_argument("--frames", type=int, default=300)
    parser.add_argument("--barrier", default="320,260,440,410", help="x1,y1,x2,y2 pixels")
    args = parser.parse_args()
    if not args.video.is_file():
        raise SystemExit(f"video not found: {args.video} (see /work/shared/data/README.md)")
    x1, y1, x2, y2 = (float(v) for v in args.barrier.split(","))
    polygon = [(x1, y1), (x2, y1), (x2, y2), (x1, y2)]
    camera = Camera(
        id="cam-1", name="Plaza", source=str(args.video), rooms=["r"], resolution=(768, 576)
    )
    artwork = Artwork(
        id="aw-1", title="Sculpture", artist="Unknown", value_tier=3, room="r", position=(0, 0),
        barriers=[Barrier(camera="cam-1", polygon=polygon)],
    )  # fmt: skip
    detector, model = load_detector(), MoveNetMultiPose()
    frames = []
    for frame in VideoSource(str(args.video), fps=5, start_time=T0).frames():
        frames.append(frame)
        if len(frames) >= args.frames:
            break
    print(f"{len(frames)} frames of {args.video.name} at 5 fps; barrier {args.barrier}")
    runs = {
        "none": CameraPipeline(camera, detector),
        "every frame": CameraPipeline(camera, detector, pose=CountingPose(model)),
        "gated": CameraPipeline(
            camera,
            detector,
            pose=CountingPose(model),
            pose_gate=PoseGate.for_camera(camera, [artwork]),
        ),
    }
    for name, pipeline in runs.items():
        near = with_keypoints = with_wrist = 0
        started = time.perf_counter()
        for frame in frames:
            tracks = pipeline.process(frame).tracks
            for i, (a, b, c, d) in enumerate(tracks.xyxy):
                if a <= x2 and x1 <= c and b <= y2 and y1 <= d:
                    near += 1
                    kp = tracks.keypoints
                    if kp is not None and kp[i, :, 2].max() > 0:
                        with_keypoints += 1
                        with_wrist += bool((kp[i, WRISTS, 2] >= 0.3).any())
        elapsed = time.perf_counter() - started
        times = pipeline.times
        pose_runs = pipeline.pose.calls if isinstance(pipeline.pose, CountingPose) else 0
        print(
            f"{name:12s} {1000 * elapsed / len(frames):6.1f} ms/frame  pose "
            f"{1000 * times.pose / len(frames):5.1f} ms/frame  pose runs {pose_runs:4d} "
            f"({1000 * times.pose / max(pose_runs, 1):5.1f} ms each)  "
            f"near the barrier: {near} person-frames, keypoints {share(with_keypoints, near)}, "
            f"a wrist seen {share(with_wrist, near)}"
        )


if __name__ == "__main__":
    main()
