"""The recorder in a running artguard: camera frames -> alert -> snapshot, sidecar, API.

The live path: a file camera analysed by a real camera worker (``start_cameras``, the blob
detector standing in for the neural one) fills the frame ring; a person in a restricted zone
raises an alert on the bus; the recorder stores its snapshot.
"""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta
from pathlib import Path

import cv2
import numpy as np
import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.events import Alert, Severity
from artguard.evidence import EvidenceRecorder
from artguard.evidence.clip import count_frames
from artguard.runtime import Runtime
from artguard.site import Site, load_site
from artguard.triage import repository as repo
from artguard.vision.service import start_cameras, stop_cameras
from tests.conftest import NIGHT, SMALL_SITE, at, door, signed_in
from tests.vision.test_pipeline import BlobDetector, walker_frame

ZONE = """    zones:
      - id: z-all
        name: Whole view
        kind: restricted
        polygon: [[0, 0], [640, 0], [640, 360], [0, 360]]
"""


def camera_site(tmp_path: Path, extra: str = "") -> Site:
    """The small site with its camera reading a file of a walking 'person' inside a
    restricted zone."""
    video = tmp_path / "gallery.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (640, 360))
    for i in range(30):
        writer.write(walker_frame(i))
    writer.release()
    text = SMALL_SITE.read_text(encoding="utf-8")
    text = text.replace("source: rtsp://127.0.0.1/cam1", f"source: {video}")
    text = text.replace("resolution: [1280, 720]", "resolution: [640, 360]")
    text = text.replace("    fps: 5\n", "    fps: 5\n" + ZONE, 1)
    path = tmp_path / "site.yaml"
    path.write_text(text + extra, encoding="utf-8")
    return load_site(path)


async def wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.05)


async def run_camera_until_snapshot(runtime: Runtime) -> None:
    recorder = runtime.evidence
    assert recorder is not None
    manager = start_cameras(runtime, detector=BlobDetector())
    try:
        await wait_for(lambda: recorder.stats.snapshots >= 1)
    finally:
        await stop_cameras(manager)
    await runtime.bus.drain()
    await recorder.drain()


async def test_a_live_camera_alert_gets_a_blurred_annotated_snapshot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    site = camera_site(tmp_path)
    settings = Settings(data_dir=tmp_path / "var")
    runtime = Runtime(settings, site, live_clock=False)
    async with runtime:
        await run_camera_until_snapshot(runtime)
        with runtime.engine.connect() as conn:
            alerts = repo.list_alert_rows(conn, rule="restricted_zone", limit=10)
    assert alerts, "the person in the zone raised no alert"
    first = alerts[-1]
    found = runtime.evidence_store.find(first.id)
    sidecar = found.sidecar
    assert sidecar["alert_id"] == first.id and sidecar["rule"] == "restricted_zone"
    assert sidecar["camera_id"] == "cam-1" and sidecar["matched_by"] == "event_id"
    assert sidecar["frame_time"] == sidecar["alert_time"]
    assert sidecar["people"] == 1 and sidecar["faces_blurred"] is True
    assert sidecar["blurred_heads"] + sidecar["blurred_faces"] == 1  # the fail-safe head blur
    assert not sidecar["original_kept"] and found.original is None
    assert not (settings.originals_dir).exists()
    snapshot = cv2.imread(str(found.snapshot))
    assert snapshot.shape[1] == 640 and snapshot.shape[0] > 360
    assert runtime.evidence.stats.failed == 0  # type: ignore[union-attr]


async def test_originals_and_clips_only_when_the_site_enables_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    extra = (
        "privacy: {keep_originals: true}\n"
        "evidence: {clip: true, clip_seconds_before: 1, clip_seconds_after: 1}\n"
    )
    site = camera_site(tmp_path, extra)
    settings = Settings(data_dir=tmp_path / "var")
    runtime = Runtime(settings, site, live_clock=False)
    async with runtime:
        recorder = runtime.evidence
        assert recorder is not None
        manager = start_cameras(runtime, detector=BlobDetector())
        try:
            await wait_for(lambda: recorder.stats.clips >= 1)
        finally:
            await stop_cameras(manager)
        await recorder.drain()
        with runtime.engine.connect() as conn:
            alert_id = repo.list_alert_rows(conn, rule="restricted_zone", limit=10)[-1].id
    found = runtime.evidence_store.find(alert_id)
    assert found.original is not None and found.sidecar["original_kept"] is True
    assert found.original.is_relative_to(settings.originals_dir)
    original = cv2.imread(str(found.original))
    assert original.shape == (360, 640, 3)  # the frame as analysed: no caption band
    assert found.clip is not None and found.sidecar["clip_frames"] >= 6
    assert found.clip.suffix == ".webm" and found.sidecar["clip"] == found.clip.name
    capture = cv2.VideoCapture(str(found.clip))
    ok, first = capture.read()
    capture.release()
    assert ok and first.shape[1] == 640
    assert count_frames(found.clip) == found.sidecar["clip_frames"]


async def test_door_alerts_get_none_and_a_failing_renderer_never_stops_alerting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    site = camera_site(tmp_path)
    runtime = Runtime(Settings(data_dir=tmp_path / "var"), site, live_clock=False)

    def broken() -> object:
        raise RuntimeError("face model missing")

    async with runtime:
        recorder = runtime.evidence
        assert recorder is not None
        recorder._redactor = broken  # type: ignore[assignment]
        manager = start_cameras(runtime, detector=BlobDetector())
        try:
            await wait_for(lambda: recorder.stats.failed >= 1)
        finally:
            await stop_cameras(manager)
        await runtime.ingest.submit(
            [door("d-vault", "dc-vault", "open", at(NIGHT, 0))],
            token=None,
            source="t",
            trusted=True,
        )
        await runtime.bus.drain()
        await recorder.drain()
        with runtime.engine.connect() as conn:
            rules = {a.rule for a in repo.list_alert_rows(conn, limit=50)}
    assert {"restricted_zone", "door_forced"} <= rules  # both alerts were filed regardless
    assert recorder.stats.skipped["not_camera"] >= 1
    assert "face model missing" in (recorder.stats.last_error or "")
    assert recorder.stats.snapshots == 0


async def test_an_alert_whose_frame_is_gone_is_counted(tmp_path: Path) -> None:
    site = camera_site(tmp_path)
    runtime = Runtime(Settings(data_dir=tmp_path / "var"), site, live_clock=False)
    recorder = runtime.evidence
    assert recorder is not None
    frame = walker_frame(3, 640, 360)
    empty = np.zeros((0, 4), np.float32)
    from artguard.vision.detections import Detections

    recorder.rings.push("cam-1", NIGHT, frame, Detections(empty, np.zeros(0), np.zeros(0)))
    late = Alert(
        device_id="cam-1",
        site_time=NIGHT + timedelta(seconds=30),
        rule="restricted_zone",
        severity=Severity.high,
        title="t",
        reasons=["r"],
        evidence={"camera_id": "cam-1"},
        dedup_key="k",
        first_event_time=NIGHT,
    )
    await recorder.handle(late)
    other = late.model_copy(update={"device_id": "cam-9", "evidence": {"camera_id": "cam-9"}})
    await recorder.handle(other)
    storm = EvidenceRecorder(site, runtime.bus, recorder.rings, recorder.store, max_pending=0)
    await storm.handle(late.model_copy(update={"site_time": NIGHT}))
    assert recorder.stats.skipped == {"frame_gone": 1, "not_camera": 1}
    assert storm.stats.skipped == {"busy": 1}
    assert recorder.pending == 0 and storm.pending == 0


async def test_blurring_off_stores_the_faces_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    site = camera_site(tmp_path, "privacy: {blur_faces: false}\n")
    runtime = Runtime(Settings(data_dir=tmp_path / "var"), site, live_clock=False)
    async with runtime:
        await run_camera_until_snapshot(runtime)
        with runtime.engine.connect() as conn:
            alert_id = repo.list_alert_rows(conn, rule="restricted_zone", limit=10)[-1].id
    sidecar = runtime.evidence_store.find(alert_id).sidecar
    assert sidecar["faces_blurred"] is False
    assert sidecar["blurred_faces"] == sidecar["blurred_heads"] == 0


def test_the_api_serves_evidence_and_audits_original_views(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ARTGUARD_CAMERAS", raising=False)
    site = camera_site(tmp_path, "privacy: {keep_originals: true}\n")
    runtime = Runtime(Settings(data_dir=tmp_path / "var"), site, live_clock=False)

    async def camera(rt: Runtime) -> None:
        await run_camera_until_snapshot(rt)
        await asyncio.Event().wait()

    with TestClient(create_app(runtime, background=[camera])) as client:
        signed_in(client, "operator", username="alice")
        for _ in range(400):
            health = client.get("/api/health").json()
            if health["evidence"]["snapshots"] >= 1:
                break
            time.sleep(0.05)
        assert health["evidence"]["snapshots"] >= 1
        assert health["evidence"]["buffers"]["cameras"] == 1
        alerts = client.get("/api/alerts", params={"rule": "restricted_zone"}).json()
        alert_id = alerts[-1]["id"]
        assert alerts[-1]["evidence_url"] == f"/api/alerts/{alert_id}/evidence"
        meta = client.get(f"/api/alerts/{alert_id}/evidence").json()
        assert meta["alert_id"] == alert_id and meta["clip_url"] is None
        assert meta["original_url"] == f"/api/alerts/{alert_id}/evidence/original.jpg"
        shot = client.get(meta["snapshot_url"])
        assert shot.status_code == 200 and shot.headers["content-type"] == "image/jpeg"
        assert cv2.imdecode(np.frombuffer(shot.content, np.uint8), cv2.IMREAD_COLOR) is not None
        assert client.get(f"/api/alerts/{alert_id}/evidence/clip.avi").status_code == 404
        missing = client.get("/api/alerts/nope/evidence")
        assert missing.status_code == 404 and "no evidence" in missing.json()["detail"]
        # Operators see blurred evidence only; the original is for supervisors, and audited
        # with the signed-in viewer (an ``actor`` parameter is ignored).
        assert client.get(meta["original_url"]).status_code == 403
        signed_in(client, "supervisor", username="ops.alice")
        viewed = client.get(meta["original_url"], params={"actor": "someone", "reason": "ir"})
        assert viewed.status_code == 200 and viewed.content[:2] == b"\xff\xd8"
        entries = [e for e in runtime.audit.entries(action="evidence.original_viewed")]
    assert [(e.actor, e.subject) for e in entries] == [("ops.alice", alert_id)]
    assert json.loads(json.dumps(entries[0].details))["reason"] == "ir"
