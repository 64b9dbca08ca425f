"""Alert evidence: what the frame ring costs per camera, and how long one snapshot takes.

Data: the PETS plaza clip (``video/vtest.avi``, 768x576) beside the repository in
``../shared/data`` (``--data`` for another copy). The default person detector and tracker
analyse ``--frames`` frames at 5 fps once; then, on those analysed frames:

* **ring push**: the per-frame cost in the camera thread, without clips (a reference is
  kept: no copy) and with clips on (scaled to 640 wide and JPEG-encoded), and the memory the
  ring holds after a full window (``buffer_seconds`` 2 s; clip window 3 + 3 + 3 s);
* **snapshot**: one alert's evidence as the recorder makes it, for every frame with people:
  BlazeFace face search in the people's head crops + fail-safe head blur, overlays and caption,
  JPEG encode (quality 90); with and without blurring;
* **clip**: rendering and encoding a 6-second clip (30 frames; VP8 WebM, or MJPG AVI where
  this OpenCV cannot write VP8).

Times are wall clock per call after a warm-up, one onnxruntime thread. Figures measured while
other work loads the machine are noisy.

    .venv/bin/python bench/evidence.py
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import cv2

from artguard.events import Alert, Severity
from artguard.evidence.clip import encode_clip
from artguard.evidence.render import caption_lines, relevant_shapes, render
from artguard.evidence.ring import FrameRing
from artguard.site import load_site
from artguard.vision.detectors import create_detector
from artguard.vision.faces import BlazeFaceDetector
from artguard.vision.pipeline import CameraPipeline, FrameResult
from artguard.vision.privacy import Redactor
from artguard.vision.sources import open_source

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def ms(values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return f"median {1000 * statistics.median(values):6.2f} ms, p95 {1000 * p95:6.2f} ms"


def analyse(video: Path, frames: int) -> list[FrameResult]:
    site = load_site(ROOT / "tests" / "fixtures" / "plaza-site.yaml")
    pipeline = CameraPipeline(site.camera("cam-1"), create_detector(threads=1))
    source = open_source(str(video), fps=5, start_time=START)
    results = []
    for frame in source.frames():
        results.append(pipeline.process(frame))
        if len(results) >= frames:
            break
    source.close()
    return results


def bench_ring(results: list[FrameResult], clip_seconds: float) -> tuple[list[float], int]:
    ring = FrameRing(buffer_seconds=2.0, clip_seconds=clip_seconds)
    times = []
    for result in results:
        assert result.frame is not None
        t0 = time.perf_counter()
        ring.push(result.frame.timestamp, result.frame.image, result.tracks, None)
        times.append(time.perf_counter() - t0)
    return times, ring.memory_bytes()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    video = args.data / "video" / "vtest.avi"
    if not video.is_file():
        print(f"{video} not found", file=sys.stderr)
        return 2
    results = analyse(video, args.frames)
    site = load_site(ROOT / "tests" / "fixtures" / "plaza-site.yaml")
    camera = site.camera("cam-1")
    with_people = [r for r in results if len(r.tracks)]
    print(f"vtest.avi: {len(results)} frames analysed at 5 fps, {len(with_people)} with people")

    for label, clip_seconds in (("no clips", 0.0), ("clips on", 9.0)):
        times, memory = bench_ring(results, clip_seconds)
        print(f"ring push, {label:8}: {ms(times[5:])}; holds {memory / 1e6:5.1f} MB per camera")

    redactor = Redactor(BlazeFaceDetector(threads=1))
    alerts = []
    for result in with_people:
        assert result.tracks.tracker_id is not None and result.frame is not None
        alerts.append(
            Alert(
                device_id="cam-1",
                site_time=result.frame.timestamp,
                rule="restricted_zone",
                severity=Severity.high,
                title="Person in restricted zone",
                reasons=["track in restricted zone 'Behind the rope' for 1.0 s"],
                evidence={
                    "camera_id": "cam-1",
                    "zone_id": "z-rope",
                    "track_id": int(result.tracks.tracker_id[0]),
                },
                dedup_key="restricted_zone:z-rope",
                first_event_time=result.frame.timestamp,
            )
        )
    for label, chosen in (("blurred", redactor), ("unblurred", None)):
        times = []
        for result, alert in zip(with_people, alerts, strict=True):
            assert result.frame is not None
            t0 = time.perf_counter()
            shown = render(
                result.frame.image,
                result.tracks,
                alert,
                relevant_shapes(site, camera, alert),
                caption_lines(site, camera, alert),
                redactor=chosen,
            )
            _ok, jpeg = cv2.imencode(".jpg", shown.image, [cv2.IMWRITE_JPEG_QUALITY, 90])
            times.append(time.perf_counter() - t0)
        print(f"snapshot {label:9}: {ms(times[2:])}; JPEG {len(jpeg) / 1000:.0f} kB")

    ring = FrameRing(buffer_seconds=2.0, clip_seconds=9.0)
    for result in results[:30]:
        assert result.frame is not None
        ring.push(result.frame.timestamp, result.frame.image, result.tracks, None)
    clip_frames = ring.clip_frames(START, START.replace(year=2100))
    t0 = time.perf_counter()
    images = [
        render(
            f.image(),
            f.tracks,
            alerts[0],
            relevant_shapes(site, camera, alerts[0]),
            caption_lines(site, camera, alerts[0]),
            redactor=redactor,
            scale=f.scale,
        ).image
        for f in clip_frames
    ]
    t1 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        clip = encode_clip(images, 5.0, Path(tmp) / "clip")
        size = clip.path.stat().st_size
    t2 = time.perf_counter()
    print(
        f"clip: {clip.frames} frames {images[0].shape[1]}x{images[0].shape[0]}: render+blur "
        f"{t1 - t0:.2f} s, {clip.media_type} ({clip.path.suffix}) encode+verify "
        f"{t2 - t1:.2f} s, {size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
