"""Clips over the API: WebM served as ``video/webm`` to play inline, AVI clips recorded before
WebM still served as downloads, and ``clip_url`` naming whichever exists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from artguard.api.app import create_app
from artguard.config import Settings
from artguard.evidence.clip import count_frames, encode_clip
from artguard.evidence.store import EvidenceStore
from artguard.runtime import Runtime
from artguard.site import Site
from tests.conftest import signed_in

T = datetime(2026, 11, 23, 22, 15, tzinfo=UTC)
BASE = "/api/alerts/{}/evidence"


def _store_alert(store: EvidenceStore, alert_id: str, clip: str | None) -> None:
    store.write_snapshot(alert_id, T, b"\xff\xd8jpeg")
    sidecar = {"alert_id": alert_id, "alert_time": T.isoformat(), "clip": clip}
    store.write_sidecar(alert_id, T, sidecar)


@pytest.fixture
def client(tmp_path: Path, small_site: Site) -> Iterator[TestClient]:
    runtime = Runtime(Settings(data_dir=tmp_path / "var"), small_site, live_clock=False)
    with TestClient(create_app(runtime)) as client:
        signed_in(client, "operator")
        yield client


def test_a_webm_clip_is_served_inline_as_video_webm(client: TestClient, tmp_path: Path) -> None:
    store: EvidenceStore = client.app.state.runtime.evidence_store  # type: ignore[attr-defined]
    frames = [np.full((120, 160, 3), 20 * i, np.uint8) for i in range(8)]
    clip = encode_clip(frames, 5.0, store.clip_path("a-new", T))
    _store_alert(store, "a-new", clip.path.name)

    meta = client.get(BASE.format("a-new")).json()
    assert meta["clip_url"] == "/api/alerts/a-new/evidence/clip.webm"
    served = client.get(meta["clip_url"])
    assert served.status_code == 200 and served.headers["content-type"] == "video/webm"
    assert served.headers["content-disposition"].startswith("inline;")
    copy = tmp_path / "served.webm"
    copy.write_bytes(served.content)
    assert count_frames(copy) == 8
    # Browsers fetch video in ranges (to seek); the file route answers them.
    part = client.get(meta["clip_url"], headers={"Range": "bytes=0-99"})
    assert part.status_code == 206 and part.content == served.content[:100]
    # The AVI route does not serve a WebM clip under the wrong type; it says where it is.
    wrong = client.get(BASE.format("a-new") + "/clip.avi")
    assert wrong.status_code == 404 and meta["clip_url"] in wrong.json()["detail"]


def test_an_avi_clip_from_before_webm_still_downloads(client: TestClient) -> None:
    store: EvidenceStore = client.app.state.runtime.evidence_store  # type: ignore[attr-defined]
    old = store.clip_path("a-old", T).with_suffix(".avi")
    old.parent.mkdir(parents=True, exist_ok=True)
    old.write_bytes(b"RIFF....AVI LIST")
    _store_alert(store, "a-old", old.name)

    meta = client.get(BASE.format("a-old")).json()
    assert meta["clip_url"] == "/api/alerts/a-old/evidence/clip.avi"
    served = client.get(meta["clip_url"])
    assert served.status_code == 200 and served.headers["content-type"] == "video/x-msvideo"
    assert served.headers["content-disposition"].startswith("attachment;")
    assert served.content == old.read_bytes()
    assert client.get(BASE.format("a-old") + "/clip.webm").status_code == 404


def test_no_clip_means_no_url_and_404s(client: TestClient) -> None:
    store: EvidenceStore = client.app.state.runtime.evidence_store  # type: ignore[attr-defined]
    _store_alert(store, "a-none", None)
    assert client.get(BASE.format("a-none")).json()["clip_url"] is None
    for name in ("clip.webm", "clip.avi"):
        missing = client.get(BASE.format("a-none") + f"/{name}")
        assert missing.status_code == 404 and "no clip stored" in missing.json()["detail"]
