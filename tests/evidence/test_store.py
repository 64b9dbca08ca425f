"""Evidence files: layout, lookup by alert id, bad ids, and clips (WebM, else AVI) that read
back."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest

from artguard.evidence import clip as clip_module
from artguard.evidence.clip import MEDIA_TYPES, ClipError, count_frames, encode_clip
from artguard.evidence.store import EvidenceNotFound, EvidenceStore

T = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)


def test_files_are_found_by_alert_id_across_days(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "snapshots", tmp_path / "originals")
    store.write_snapshot("a-1", T, b"jpeg")
    store.write_sidecar("a-1", T, {"alert_id": "a-1"})
    found = store.find("a-1")
    assert found.snapshot == tmp_path / "snapshots/alerts/2026-11-23/a-1.jpg"
    assert found.sidecar == {"alert_id": "a-1"}
    assert found.clip is None and found.original is None
    store.write_original("a-1", T, b"raw")
    assert store.find("a-1").original == tmp_path / "originals/alerts/2026-11-23/a-1.jpg"
    assert not list((tmp_path / "snapshots").rglob(".tmp-*"))  # no temporary files left


def test_unknown_and_malformed_ids_are_not_found(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "snapshots", tmp_path / "originals")
    with pytest.raises(EvidenceNotFound, match="no evidence"):
        store.find("nothing")
    store.write_snapshot("a-1", T, b"jpeg")  # a snapshot without its sidecar is not evidence
    with pytest.raises(EvidenceNotFound, match="no evidence"):
        store.find("a-1")
    for bad in ("../x", "a/b", "*", ""):
        with pytest.raises(EvidenceNotFound, match="not a valid alert id"):
            store.find(bad)


def _frames(count: int, width: int = 320, height: int = 240) -> list[np.ndarray]:
    """Frames a codec cannot mistake for one another: a bright square moving on a gradient."""
    frames = []
    for i in range(count):
        frame = np.zeros((height, width, 3), np.uint8)
        frame[:, :, 1] = np.linspace(0, 200, width, dtype=np.uint8)
        frame[40:100, 20 + 15 * i : 80 + 15 * i] = (255, 255, 255)
        frames.append(frame)
    return frames


def _decoded(path: Path) -> list[np.ndarray]:
    capture = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return frames
            frames.append(frame)
    finally:
        capture.release()


def test_a_clip_is_webm_and_decodes_back_to_the_same_frames(tmp_path: Path) -> None:
    frames = _frames(12)
    clip = encode_clip(frames, 5.0, tmp_path / "clips" / "a-1.webm")
    assert clip.path == tmp_path / "clips" / "a-1.webm" and clip.frames == 12
    assert clip.media_type == MEDIA_TYPES[".webm"] == "video/webm"
    assert clip.path.read_bytes()[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a Matroska/WebM file
    decoded = _decoded(clip.path)
    assert len(decoded) == 12 == count_frames(clip.path)
    for original, back in zip(frames, decoded, strict=True):
        assert back.shape == original.shape
        # Lossy, but the same picture: the moving square is where it was in each frame.
        assert np.abs(back.astype(int) - original.astype(int)).mean() < 8
    assert [p.name for p in clip.path.parent.iterdir()] == ["a-1.webm"]  # no temporary files


def test_an_odd_sized_clip_at_an_odd_rate_keeps_every_frame_and_every_pixel(
    tmp_path: Path,
) -> None:
    frames = _frames(7, width=641, height=523)
    for frame in frames:
        frame[-1, :] = (0, 0, 255)  # a red last row and a blue last column, which VP8's
        frame[:, -1] = (255, 0, 0)  # even-only sizes would otherwise cut off
    clip = encode_clip(frames, 4.3, tmp_path / "a-1.webm")
    assert clip.path.suffix == ".webm" and clip.frames == 7
    decoded = _decoded(clip.path)
    assert [f.shape for f in decoded] == [(524, 642, 3)] * 7  # padded to even, not cropped
    first = decoded[0]
    assert first[522, 20:600, 2].mean() > 180 and first[522, 20:600, :2].mean() < 90
    assert first[20:500, 640, 0].mean() > 180 and first[20:500, 640, 1:].mean() < 90


def test_without_a_vp8_encoder_the_clip_falls_back_to_mjpg_avi(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = cv2.VideoWriter
    asked: list[str] = []

    def no_vp8(path: str, fourcc: int, fps: float, size: tuple[int, int]) -> cv2.VideoWriter:
        asked.append(Path(path).suffix)
        if fourcc == cv2.VideoWriter_fourcc(*"VP80"):
            return real()  # what a build without libvpx gives: a writer that is not open
        return real(path, fourcc, fps, size)

    monkeypatch.setattr(clip_module.cv2, "VideoWriter", no_vp8)
    with caplog.at_level(logging.WARNING, logger="artguard.evidence.clip"):
        clip = encode_clip(_frames(6), 5.0, tmp_path / "a-1.webm")
    assert asked == [".webm", ".avi"]
    assert clip.path == tmp_path / "a-1.avi" and clip.media_type == "video/x-msvideo"
    assert clip.path.read_bytes()[:4] == b"RIFF"
    assert [f.shape for f in _decoded(clip.path)] == [(240, 320, 3)] * 6
    assert "cannot open a VP80 writer" in caplog.text and "a-1.webm" in caplog.text
    assert [p.name for p in tmp_path.iterdir()] == ["a-1.avi"]


def test_no_writer_at_all_is_an_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    unopened = cv2.VideoWriter
    monkeypatch.setattr(clip_module.cv2, "VideoWriter", lambda *args: unopened())
    with pytest.raises(ClipError, match=r"cannot open a writer for a-1\.webm in any of VP80, MJPG"):
        encode_clip(_frames(3), 5.0, tmp_path / "a-1.webm")
    assert not list(tmp_path.iterdir())


def test_the_store_puts_clips_in_webm_and_still_finds_old_avi_ones(tmp_path: Path) -> None:
    store = EvidenceStore(tmp_path / "snapshots", tmp_path / "originals")
    path = store.clip_path("a-1", T)
    assert path == tmp_path / "snapshots/alerts/2026-11-23/a-1.webm"
    for alert_id in ("a-1", "a-2"):
        store.write_snapshot(alert_id, T, b"jpeg")
        store.write_sidecar(alert_id, T, {"alert_id": alert_id})
    encode_clip(_frames(3), 5.0, path)
    old = store.clip_path("a-2", T).with_suffix(".avi")  # recorded before clips were WebM
    old.write_bytes(b"RIFF")
    assert store.find("a-1").clip == path
    assert store.find("a-2").clip == old


def test_a_clip_needs_frames_of_one_size(tmp_path: Path) -> None:
    with pytest.raises(ClipError, match="no frames"):
        encode_clip([], 5.0, tmp_path / "a.webm")
    mixed = [np.zeros((240, 320, 3), np.uint8), np.zeros((120, 160, 3), np.uint8)]
    with pytest.raises(ClipError, match="frame 1 is 160x120"):
        encode_clip(mixed, 5.0, tmp_path / "a.webm")
    with pytest.raises(ClipError, match="fps must be positive"):
        encode_clip(_frames(2), 0.0, tmp_path / "a.webm")
    assert not list(tmp_path.iterdir())
