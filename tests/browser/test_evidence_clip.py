"""The incident page plays an alert's clip inline: a WebM clip in a ``<video>`` that Chromium
loads and decodes, with a download link beside it.

The live server analyses no camera, so the test stores the evidence of one of the incident's
camera alerts in the server's data directory itself, as the recorder would (snapshot, sidecar,
clip encoded by :func:`artguard.evidence.clip.encode_clip`).
"""

from __future__ import annotations

import re
from datetime import datetime

import cv2
import numpy as np
import pytest

from artguard.evidence.clip import encode_clip
from artguard.evidence.store import EvidenceStore
from tests.browser.conftest import OpenPage
from tests.browser.live_server import LiveServer
from tests.browser.scenarios import Night, theft
from tests.browser.test_dashboard import fresh_incident, incident_row, open_route, sign_in
from tests.services import services_required

try:
    from playwright.sync_api import expect
except ImportError:
    if services_required():
        raise
    pytest.skip("the playwright package is not installed", allow_module_level=True)

pytestmark = pytest.mark.browser

FRAMES, FPS, SIZE = 10, 5.0, (320, 240)


def _store_evidence(server: LiveServer, alert: dict) -> None:
    store = EvidenceStore(server.data_dir / "snapshots", server.data_dir / "originals")
    frame_time = datetime.fromisoformat(alert["first_event_time"])
    width, height = SIZE
    frames = []
    for i in range(FRAMES):
        frame = np.full((height, width, 3), 40, np.uint8)
        frame[100:160, 20 + 25 * i : 80 + 25 * i] = (0, 200, 255)
        frames.append(frame)
    ok, jpeg = cv2.imencode(".jpg", frames[0])
    assert ok
    store.write_snapshot(alert["id"], frame_time, jpeg.tobytes())
    clip = encode_clip(frames, FPS, store.clip_path(alert["id"], frame_time))
    sidecar = {
        "alert_id": alert["id"],
        "alert_time": alert["first_event_time"],
        "frame_time": alert["first_event_time"],
        "camera_id": alert["evidence"]["camera_id"],
        "clip": clip.path.name,
        "clip_frames": clip.frames,
    }
    store.write_sidecar(alert["id"], frame_time, sidecar)


def test_the_incident_page_plays_the_webm_clip_inline(
    open_page: OpenPage, live_server: LiveServer, night: Night
) -> None:
    live_server.close_active_incidents()
    incident = live_server.incident(fresh_incident(live_server, theft(night.next_base()))["id"])
    camera = [a for a in incident["alerts"] if a.get("evidence_url")]
    assert camera, "the scenario made no camera alert"
    _store_evidence(live_server, camera[0])

    page = open_page("admin")
    sign_in(page, live_server, "test-admin")
    open_route(page, "incidents")
    incident_row(page, incident["id"]).locator(f'a[href="#/incidents/{incident["id"]}"]').click()
    expect(page).to_have_url(re.compile(f"#/incidents/{incident['id']}$"))

    url = f"/api/alerts/{camera[0]['id']}/evidence/clip.webm"
    video = page.get_by_test_id("clip")
    expect(video).to_have_attribute("src", url)
    expect(page.locator(f'a[href="{url}"]')).to_have_text("download clip (WebM)")
    # Muted, so it may play without a user gesture; playing makes Chromium decode frames.
    video.evaluate("v => v.play()")
    page.wait_for_function(
        "v => v.readyState >= 2 && v.currentTime > 0 || v.error", arg=video.element_handle()
    )
    state = video.evaluate(
        "v => ({ready: v.readyState, error: v.error && v.error.code, duration: v.duration,"
        " width: v.videoWidth, height: v.videoHeight, muted: v.muted, controls: v.controls})"
    )
    assert state["error"] is None, f"Chromium could not play the clip: {state}"
    assert state["ready"] >= 2 and (state["width"], state["height"]) == SIZE
    assert state["duration"] == pytest.approx(FRAMES / FPS, abs=0.25)
    assert state["muted"] and state["controls"]
