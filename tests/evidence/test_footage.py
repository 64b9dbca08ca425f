"""Real footage: the default detector and tracker on the PETS plaza clip, a real restricted-zone
alert from the resulting Detection events, and its snapshot showing that frame."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import cv2
import httpx
import numpy as np
import pytest

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site import load_site
from artguard.store.retention import RetentionPolicy, purge
from artguard.triage import repository as repo
from artguard.vision.detectors import create_detector
from artguard.vision.pipeline import CameraPipeline, FrameResult
from artguard.vision.sources import open_source
from tests.conftest import FIXTURES, TEST_PASSWORD
from tests.vision.test_footage_to_incidents import VTEST

pytestmark = pytest.mark.slow
START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
OUT = Path(os.environ["ARTGUARD_EVIDENCE_OUT"]) if os.environ.get("ARTGUARD_EVIDENCE_OUT") else None


@pytest.fixture(scope="module")
def analysed() -> list[FrameResult]:
    if not VTEST.exists():
        pytest.skip(f"{VTEST} not present (shared reference data)")
    site = load_site(FIXTURES / "plaza-site.yaml")
    pipeline = CameraPipeline(site.camera("cam-1"), create_detector(threads=1))
    source = open_source(str(VTEST), fps=5, start_time=START)
    results = []
    for frame in source.frames():
        results.append(pipeline.process(frame))
        if len(results) >= 40:
            break
    source.close()
    return results


async def replay(runtime: Runtime, results: list[FrameResult]) -> None:
    """What a camera worker does per frame: tap the frame, submit its events."""
    recorder = runtime.evidence
    assert recorder is not None
    camera = runtime.site.camera("cam-1")
    for result in results:
        recorder.tap(camera, result)
        items = [e.model_dump(mode="json") for e in result.events]
        if items:
            outcome = await runtime.ingest.submit(items, token=None, source="t", trusted=True)
            assert not outcome.rejected
        await runtime.bus.drain()  # live: the alert arrives while its frame is still buffered
    await recorder.drain()


async def test_a_zone_alert_on_real_footage_has_its_frame_as_evidence(
    analysed: list[FrameResult], tmp_path: Path
) -> None:
    site = load_site(FIXTURES / "plaza-site.yaml")
    settings = Settings(data_dir=tmp_path)
    runtime = Runtime(settings, site, live_clock=False)
    async with runtime:
        await replay(runtime, analysed)
        with runtime.engine.connect() as conn:
            alerts = repo.list_alert_rows(conn, rule="restricted_zone", limit=50)
        assert alerts, "no restricted-zone alert from the footage"
        app = create_app(runtime)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://artguard") as client:
            app.state.auth.users.create("viewer", TEST_PASSWORD, "operator")
            login = {"username": "viewer", "password": TEST_PASSWORD}
            session = (await client.post("/api/auth/login", json=login)).cookies
            cookie = app.state.auth.policy.cookie_name
            client.cookies.set(cookie, session[cookie])  # the Secure cookie, over http here
            metas = [(await client.get(f"/api/alerts/{a.id}/evidence")).json() for a in alerts]
            repeat_shot = None
            if any(m["repeats"] for m in metas):
                url = next(m for m in metas if m["repeats"])["repeats"][0]["snapshot_url"]
                repeat_shot = await client.get(url)
    assert runtime.evidence is not None and runtime.evidence.stats.failed == 0
    by_id = {r.detection.id: r for r in analysed if r.detection is not None}
    skipped = runtime.evidence.stats.skipped["repeat"]
    assert skipped + sum(len(m["repeats"]) for m in metas) == sum(
        a.repeat_count - 1 for a in alerts
    )
    for row, meta in zip(alerts, metas, strict=True):
        # Repeats of the same zone folded by triage have their own snapshot unless they came
        # within 10 s of the last snapshotted one (then the earlier picture shows the cause).
        assert len(meta["repeats"]) <= row.repeat_count - 1
        for sidecar in [meta, *meta["repeats"]]:
            found = runtime.evidence_store.find(sidecar["alert_id"]).sidecar
            assert found["matched_by"] == "event_id" and found["frame_event_id"] in by_id
            assert found["frame_event_id"] in row.source_event_ids
            result = by_id[found["frame_event_id"]]
            assert result.frame is not None
            assert found["track_id"] in set(result.tracks.tracker_id.tolist())  # type: ignore[union-attr]
            assert found["people"] == len(result.tracks)
            assert found["blurred_faces"] + found["blurred_heads"] >= 1
            shot = cv2.imread(str(runtime.evidence_store.find(sidecar["alert_id"]).snapshot))
            assert_shows(shot, result, analysed)
    if repeat_shot is not None:
        assert repeat_shot.status_code == 200 and repeat_shot.content[:2] == b"\xff\xd8"
    assert not settings.originals_dir.exists()
    if OUT is not None:  # for a look by eye: ARTGUARD_EVIDENCE_OUT=/tmp/x pytest ...
        OUT.mkdir(parents=True, exist_ok=True)
        shutil.copy(runtime.evidence_store.find(alerts[-1].id).snapshot, OUT / "zone.jpg")


def assert_shows(shot: np.ndarray, result: FrameResult, analysed: list[FrameResult]) -> None:
    """The snapshot is ``result``'s frame (JPEG aside): above the zone (y < 300) and outside
    every person's box and label, it is closer to that frame than to any other."""
    assert result.frame is not None
    scene = shot[shot.shape[0] - 576 :]
    mask = np.zeros((576, 768), bool)
    mask[:300] = True
    for x1, y1, x2, y2 in result.tracks.xyxy.astype(int):
        mask[max(0, y1 - 20) : y2 + 8, max(0, x1 - 8) : x2 + 8] = False

    def distance(image: np.ndarray) -> float:
        return float(np.abs(scene[mask].astype(int) - image[mask].astype(int)).mean())

    own = distance(result.frame.image)
    others = [distance(r.frame.image) for r in analysed if r.frame and r is not result]
    assert own < 6 and own < min(others), (own, min(others))


async def test_retention_purges_originals_sooner_than_snapshots(
    analysed: list[FrameResult], tmp_path: Path
) -> None:
    text = (FIXTURES / "plaza-site.yaml").read_text(encoding="utf-8")
    text = text.replace("audit: 2555d}", "audit: 2555d, originals: 2d}")
    path = tmp_path / "site.yaml"
    path.write_text(text + "privacy: {keep_originals: true}\n", encoding="utf-8")
    site = load_site(path)
    settings = Settings(data_dir=tmp_path / "var")
    runtime = Runtime(settings, site, live_clock=False)
    async with runtime:
        await replay(runtime, analysed[:15])
    originals = list(settings.originals_dir.rglob("*.jpg"))
    snapshots = list(settings.snapshots_dir.rglob("*.jpg"))
    assert originals and len(originals) == len(snapshots)
    policy = RetentionPolicy.from_settings(site.retention)
    report = purge(  # the runtime's engine was disposed at stop; it reconnects on use
        runtime.engine,
        policy,
        datetime.now(UTC) + timedelta(days=3),
        settings.snapshots_dir,
        originals_dir=settings.originals_dir,
    )
    assert report.originals == len(originals) and report.snapshots == 0
    assert not list(settings.originals_dir.rglob("*.jpg"))
    assert len(list(settings.snapshots_dir.rglob("*.jpg"))) == len(snapshots)
