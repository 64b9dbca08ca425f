"""The playbook record action: a clip of the frames a camera produces from now on."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from artguard.actions import recording
from artguard.actions.recording import ClipRecording
from artguard.bus import MemoryBus
from artguard.events import utcnow
from artguard.evidence import EvidenceRecorder, EvidenceStore
from artguard.evidence.clip import count_frames
from artguard.evidence.ring import FrameRings
from artguard.vision.detections import Detections
from tests.actions.helpers import site_with


async def test_record_clips_the_cameras_it_sees_and_says_why_not_for_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(recording, "POLL_S", 0.05)
    site = site_with("\nprivacy: {blur_faces: false}\n")
    store = EvidenceStore(tmp_path / "snapshots", tmp_path / "originals")
    rings = FrameRings(buffer_seconds=2.0, clip_seconds=3.0)
    recorder = EvidenceRecorder(site, MemoryBus(), rings, store)
    clips = ClipRecording(recorder)

    assert "cam-1: no frames in this process" in await clips.record(["cam-1"], 1, "test")
    rings.push("cam-1", utcnow(), np.zeros((72, 128, 3), np.uint8), Detections.empty())
    detail = await clips.record(["cam-1"], 1, "test")
    assert detail.startswith("cam-1: recording 1 s as rec-cam-1-")
    start = utcnow()
    for i in range(10):  # 10 frames over the next second, at 10 fps
        image = np.full((72, 128, 3), 20 * i, np.uint8)
        rings.push("cam-1", start + timedelta(seconds=0.1 * (i + 1)), image, Detections.empty())
        await asyncio.sleep(0.1)
    await asyncio.wait_for(asyncio.gather(*clips._tasks), 5)
    [path] = clips.finished
    assert Path(path).name.startswith("rec-cam-1-") and count_frames(Path(path)) >= 9

    off = ClipRecording(EvidenceRecorder(site, MemoryBus(), FrameRings(2.0, 0.0), store))
    off._recorder.rings.push("cam-1", utcnow(), np.zeros((8, 8, 3), np.uint8), Detections.empty())  # type: ignore[union-attr]
    assert "clips are off" in await off.record(["cam-1"], 5, "test")
    assert await ClipRecording(None).record([], 5, "t") == "no cameras cover the incident's rooms"
