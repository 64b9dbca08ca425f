"""Evidence files: layout, lookup by alert id, bad ids, and clips that read back."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from artguard.evidence.clip import ClipError, count_frames, encode_clip
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


def test_a_clip_reads_back_with_every_frame(tmp_path: Path) -> None:
    frames = [np.full((240, 320, 3), 10 * i, np.uint8) for i in range(12)]
    path = tmp_path / "clips" / "a-1.avi"
    assert encode_clip(frames, 5.0, path) == 12
    assert count_frames(path) == 12 and path.stat().st_size > 0
    assert [p.name for p in path.parent.iterdir()] == ["a-1.avi"]


def test_a_clip_needs_frames_of_one_size(tmp_path: Path) -> None:
    with pytest.raises(ClipError, match="no frames"):
        encode_clip([], 5.0, tmp_path / "a.avi")
    mixed = [np.zeros((240, 320, 3), np.uint8), np.zeros((120, 160, 3), np.uint8)]
    with pytest.raises(ClipError, match="frame 1 is 160x120"):
        encode_clip(mixed, 5.0, tmp_path / "a.avi")
    assert not list(tmp_path.iterdir()) or not list(tmp_path.glob("*.avi"))
