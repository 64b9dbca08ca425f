"""``artguard analyze``: run a camera's pipeline on a recording and print its events.

For integrators and tests: the same pipeline as a live camera worker (motion gate, detector,
tracker, floor mapping), fed from a file or a folder of frames, events printed as JSON lines
instead of being stored. The frame checks run too (camera sabotage; artwork presence when
the camera has artwork barriers), so ``camera_health`` and ``artwork_view`` events appear as
they would live; their reference views go to ``--data-dir``, by default a temporary folder
removed afterwards (a recording must not replace the live cameras' references).
``--tracks-out`` writes the tracks in MOTChallenge text format so any
standard MOT scorer can evaluate them.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from artguard.cli.service import site_from
from artguard.events import event_to_json
from artguard.site.entities import Artwork, Camera
from artguard.vision.detectors.base import Detector, PoseEstimator
from artguard.vision.motion import MotionDetector, MotionGate
from artguard.vision.pipeline import CameraPipeline, FrameCheck, FrameResult
from artguard.vision.sources import Frame, SourceError, is_live, open_source
from artguard.vision.tracker import ByteTracker


def make_detector(detector_type: str | None) -> Detector:
    """The detector by type name (the default one when None); a seam for tests."""
    from artguard.vision.service import load_detector

    return load_detector(detector_type)


def make_pose() -> PoseEstimator:
    from artguard.vision.pose import MoveNetMultiPose

    return MoveNetMultiPose()


def frame_checks(camera: Camera, artworks: list[Artwork], data_dir: Path) -> list[FrameCheck]:
    """The live camera's frame checks: sabotage, and artwork presence when the camera has
    artwork barriers."""
    from artguard.vision.checks.artwork import ArtworkPresenceCheck
    from artguard.vision.checks.sabotage import LIVE_THRESHOLDS, CameraSabotageCheck

    checks: list[FrameCheck] = [CameraSabotageCheck.for_camera(camera, data_dir, LIVE_THRESHOLDS)]
    presence = ArtworkPresenceCheck(camera, artworks, data_dir)
    if presence.artwork_ids:
        checks.append(presence)
    return checks


@contextmanager
def checks_dir(data_dir: Path | None) -> Iterator[Path]:
    """``data_dir`` as given, or a temporary folder removed afterwards."""
    if data_dir is not None:
        data_dir.mkdir(parents=True, exist_ok=True)
        yield data_dir
        return
    with tempfile.TemporaryDirectory(prefix="artguard-analyze-") as tmp:
        yield Path(tmp)


def analyze(
    source: Annotated[
        str, typer.Argument(help="A video file, a folder of frames, or an rtsp:// / http:// URL.")
    ],
    camera: Annotated[str, typer.Option("--camera", "-c", help="Id of the camera in the site.")],
    site: Annotated[Path, typer.Option("--site", "-s", help="The site YAML file.")],
    fps: Annotated[
        float | None, typer.Option(help="Frames per second to analyse [camera's fps, 5].")
    ] = None,
    source_fps: Annotated[
        float | None,
        typer.Option(help="Rate a folder's frames were taken at [every frame analysed]."),
    ] = None,
    start: Annotated[
        str | None, typer.Option(help="Time of the first frame, ISO 8601 with zone [now].")
    ] = None,
    tracks_out: Annotated[
        Path | None,
        typer.Option(help="Write tracks here in MOTChallenge format (frame,id,x,y,w,h,conf,...)."),
    ] = None,
    detector: Annotated[
        str | None, typer.Option(help="Detector type [the default detector].")
    ] = None,
    no_motion_gate: Annotated[
        bool, typer.Option("--no-motion-gate", help="Run the detector on every frame in full.")
    ] = False,
    pose: Annotated[bool, typer.Option("--pose", help="Estimate body keypoints too.")] = False,
    max_frames: Annotated[
        int | None, typer.Option(help="Stop after this many analysed frames.", min=1)
    ] = None,
    json_summary: Annotated[
        bool, typer.Option("--json", help="Print the summary (stderr) as one JSON object.")
    ] = False,
    no_checks: Annotated[
        bool,
        typer.Option("--no-checks", help="Skip the frame checks (sabotage, artwork presence)."),
    ] = False,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Where the frame checks keep their reference views "
            "[a temporary folder, removed afterwards].",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Analyse a recording as camera CAMERA would and print one JSON event per line.

    A summary (frames, detector runs, motion-gate savings, tracks, speed) goes to stderr.
    """
    if not is_live(source) and not Path(source).exists():
        typer.echo(f"error: {source} does not exist", err=True)
        raise typer.Exit(2)
    start_time = _start_time(start)
    loaded = site_from(site)
    cam = _camera(loaded.cameras, camera, site)
    folders = ExitStack()  # closed (temporary folder removed) when the analysis ends
    checks: list[FrameCheck] = []
    if not no_checks:
        checks = frame_checks(cam, loaded.artworks, folders.enter_context(checks_dir(data_dir)))
    rate = fps or cam.fps
    pipeline = CameraPipeline(
        cam,
        make_detector(detector),
        pose=make_pose() if pose else None,
        tracker=ByteTracker(frame_interval=1.0 / rate),
        gate=MotionGate.disabled() if no_motion_gate else MotionGate(MotionDetector()),
        checks=checks,
    )
    frames = open_source(source, fps=rate, source_fps=source_fps, start_time=start_time)
    mot = tracks_out.open("w", encoding="utf-8") if tracks_out else None
    started = time.perf_counter()
    analysed = last_index = events = 0
    kinds: Counter[str] = Counter()
    try:
        for frame in frames.frames():
            result = pipeline.process(frame)
            for event in result.events:
                sys.stdout.write(event_to_json(event) + "\n")
                events += 1
                kinds[event.kind] += 1
            if mot is not None:
                write_mot(mot, frame, result, cam)
            analysed += 1
            last_index = frame.index
            if max_frames is not None and analysed >= max_frames:
                break
    except SourceError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
    finally:
        frames.close()
        if mot is not None:
            mot.close()
        folders.close()
        sys.stdout.flush()
    elapsed = time.perf_counter() - started
    summary = _summary(pipeline, analysed, last_index + 1 if analysed else 0, events, elapsed)
    summary["event_kinds"] = dict(sorted(kinds.items()))
    typer.echo(json.dumps(summary) if json_summary else _text(summary), err=True)


def write_mot(out: IO[str], frame: Frame, result: FrameResult, camera: Camera) -> None:
    """One MOTChallenge line per track: ``frame,id,x,y,w,h,conf,-1,-1,-1``.

    Frames are numbered from 1 by their position in the source (so they line up with ground
    truth even when only every n-th frame was analysed); boxes are in the source's pixels.
    """
    tracks = result.tracks
    if not len(tracks) or tracks.tracker_id is None:
        return
    width, height = camera.resolution
    h, w = frame.image.shape[:2]
    sx, sy = w / width, h / height
    for (x1, y1, x2, y2), track_id, conf in zip(
        tracks.xyxy, tracks.tracker_id, tracks.confidence, strict=True
    ):
        out.write(
            f"{frame.index + 1},{int(track_id)},{x1 * sx:.2f},{y1 * sy:.2f},"
            f"{(x2 - x1) * sx:.2f},{(y2 - y1) * sy:.2f},{float(conf):.4f},-1,-1,-1\n"
        )


def _start_time(text: str | None) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None or value.tzinfo is None:
        typer.echo(
            f"error: --start {text!r}: expected ISO 8601 with a zone, e.g. 2026-11-23T02:00:00Z",
            err=True,
        )
        raise typer.Exit(2)
    return value


def _camera(cameras: list[Camera], camera_id: str, site: Path) -> Camera:
    for cam in cameras:
        if cam.id == camera_id:
            return cam
    known = ", ".join(c.id for c in cameras) or "none"
    typer.echo(f"error: no camera {camera_id!r} in {site} (cameras: {known})", err=True)
    raise typer.Exit(1)


def _summary(
    pipeline: CameraPipeline, analysed: int, read: int, events: int, elapsed: float
) -> dict[str, Any]:
    gate = pipeline.gate.counters
    return {
        "camera": pipeline.camera.id,
        "detector": pipeline.detector.name,
        "frames_read": read,
        "frames_analysed": analysed,
        "events": events,
        "tracks": pipeline.tracker.ids_issued,
        "checks": [type(check).__name__ for check in pipeline.checks],
        "motion_gate": pipeline.gate.motion is not None,
        "gate": gate.as_dict(),
        "seconds": round(elapsed, 3),
        "fps": round(analysed / elapsed, 2) if elapsed > 0 else None,
        "stage_seconds": pipeline.times.as_dict(),
    }


def _text(s: dict[str, Any]) -> str:
    gate = s["gate"]
    lines = [
        f"camera {s['camera']} ({s['detector']}): {s['frames_analysed']} frames analysed "
        f"of {s['frames_read']} read, {s['events']} events, {s['tracks']} tracks",
        "events by kind: "
        + (", ".join(f"{k} {n}" for k, n in s.get("event_kinds", {}).items()) or "none"),
        "frame checks: " + (", ".join(s["checks"]) or "off"),
        f"detector: {gate['detector_runs']} runs on {gate['frames_detected']} frames "
        f"({gate['full_frame_runs']} full-frame)",
    ]
    if s["motion_gate"]:
        lines.append(
            f"motion gate: motion in {gate['frames_with_motion']} frames; detector skipped on "
            f"{gate['frames_skipped_fraction']:.1%} of frames, "
            f"{gate['pixels_saved_fraction']:.1%} of pixels not processed"
        )
    else:
        lines.append("motion gate: off")
    fps = f"{s['fps']:.1f} frames/s" if s["fps"] else "n/a"
    lines.append(f"time: {s['seconds']:.2f} s, {fps}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("analyze")(analyze)
