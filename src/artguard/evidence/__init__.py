"""Evidence for camera alerts: the frames each camera saw last, and for every camera alert a
snapshot (optionally a short clip) with faces blurred and the reason drawn. See
``docs/evidence.md``."""

from artguard.evidence.recorder import EvidenceRecorder, RecorderStats
from artguard.evidence.ring import FrameRing, FrameRings
from artguard.evidence.store import EvidenceNotFound, EvidenceStore, StoredEvidence

__all__ = [
    "EvidenceNotFound",
    "EvidenceRecorder",
    "EvidenceStore",
    "FrameRing",
    "FrameRings",
    "RecorderStats",
    "StoredEvidence",
]
