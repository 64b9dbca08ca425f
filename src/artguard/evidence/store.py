"""Where alert evidence lives on disk, and finding it again by alert id.

Layout (``<day>`` is the UTC date of the alert's frame)::

    <data dir>/snapshots/alerts/<day>/<alert id>.jpg    blurred snapshot, overlays drawn
    <data dir>/snapshots/alerts/<day>/<alert id>.json   sidecar: what the snapshot shows
    <data dir>/snapshots/alerts/<day>/<alert id>.webm   optional clip (VP8; .avi, MJPG, when
                                                        written before WebM or by an OpenCV
                                                        without a VP8 encoder)
    <data dir>/originals/alerts/<day>/<alert id>.jpg    unblurred frame, only when enabled

Snapshots and clips are purged with ``retention.snapshots``, originals (a separate tree, so a
mistake in one purge cannot keep faces longer) with ``retention.originals``. Files are written
under a temporary name and renamed, so a reader never sees half a file; the sidecar is written
last and is what marks the evidence as present.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from artguard.events import ID_PATTERN

_ID = re.compile(ID_PATTERN)
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
FOLDER = "alerts"
CLIP_SUFFIXES = (".webm", ".avi")
"""A clip is one of these (see :mod:`artguard.evidence.clip`); the first found is served."""


class EvidenceNotFound(LookupError):
    """No evidence of that kind is stored for the alert."""


@dataclass(frozen=True)
class StoredEvidence:
    """An alert's evidence files and its sidecar."""

    alert_id: str
    sidecar: dict[str, Any]
    snapshot: Path
    clip: Path | None
    original: Path | None


class EvidenceStore:
    """Writes and finds evidence files of alerts."""

    def __init__(self, snapshots_dir: Path, originals_dir: Path) -> None:
        self.root = snapshots_dir / FOLDER
        self.originals_root = originals_dir / FOLDER

    def folder(self, frame_time: datetime, *, original: bool = False) -> Path:
        day = frame_time.astimezone(UTC).date().isoformat()
        return (self.originals_root if original else self.root) / day

    def write_snapshot(self, alert_id: str, frame_time: datetime, jpeg: bytes) -> Path:
        return _write(self.folder(frame_time) / f"{_checked(alert_id)}.jpg", jpeg)

    def write_original(self, alert_id: str, frame_time: datetime, jpeg: bytes) -> Path:
        path = self.folder(frame_time, original=True) / f"{_checked(alert_id)}.jpg"
        return _write(path, jpeg)

    def clip_path(self, alert_id: str, frame_time: datetime) -> Path:
        """Where the clip goes (the encoder writes it, and changes the suffix to ``.avi`` when
        it has to fall back to MJPG; see :func:`artguard.evidence.clip.encode_clip`)."""
        return self.folder(frame_time) / f"{_checked(alert_id)}{CLIP_SUFFIXES[0]}"

    def write_sidecar(self, alert_id: str, frame_time: datetime, sidecar: dict[str, Any]) -> Path:
        text = json.dumps(sidecar, indent=2, sort_keys=True, default=str)
        return _write(self.folder(frame_time) / f"{_checked(alert_id)}.json", text.encode())

    def has(self, alert_id: str) -> bool:
        return self._sidecar_path(alert_id) is not None

    def find(self, alert_id: str) -> StoredEvidence:
        """The evidence of ``alert_id``; :class:`EvidenceNotFound` when there is none."""
        sidecar_path = self._sidecar_path(_checked(alert_id))
        if sidecar_path is None:
            raise EvidenceNotFound(f"no evidence stored for alert {alert_id!r}")
        sidecar = json.loads(sidecar_path.read_text(encoding="utf-8"))
        day = sidecar_path.parent.name
        clips = (sidecar_path.with_suffix(suffix) for suffix in CLIP_SUFFIXES)
        clip = next((path for path in clips if path.is_file()), None)
        original = self.originals_root / day / f"{alert_id}.jpg"
        return StoredEvidence(
            alert_id=alert_id,
            sidecar=sidecar,
            snapshot=sidecar_path.with_suffix(".jpg"),
            clip=clip,
            original=original if original.is_file() else None,
        )

    def sidecars_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """The sidecars of the day folders from ``start`` to ``end`` (UTC days), for finding
        the evidence of repeats that triage folded into one alert. Unreadable ones are
        skipped (one being written is replaced atomically, so it is never half there)."""
        found: list[dict[str, Any]] = []
        day = start.astimezone(UTC).date()
        last = end.astimezone(UTC).date()
        while day <= last:
            folder = self.root / day.isoformat()
            if folder.is_dir():
                for path in sorted(folder.glob("*.json")):
                    try:
                        found.append(json.loads(path.read_text(encoding="utf-8")))
                    except (OSError, ValueError):
                        continue
            day += timedelta(days=1)
        return found

    def _sidecar_path(self, alert_id: str) -> Path | None:
        if not self.root.is_dir():
            return None
        days = sorted((d for d in os.listdir(self.root) if _DAY.match(d)), reverse=True)
        for day in days:
            path = self.root / day / f"{alert_id}.json"
            if path.is_file():
                return path
        return None


def _checked(alert_id: str) -> str:
    """Alert ids become file names: only the id alphabet (no ``/``, never ``..`` alone)."""
    if not _ID.fullmatch(alert_id):
        raise EvidenceNotFound(f"{alert_id!r} is not a valid alert id")
    return alert_id


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def publish_file(tmp: Path, path: Path) -> Path:
    """Move a finished file (e.g. an encoded clip) into place under its final name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, path)
    return path
