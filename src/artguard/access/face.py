"""The face step-up at a door, in two calls.

1. A request that steps up for ``face`` gets a **challenge** in its answer: a random prompt
   (turn left or right) drawn by artguard, a nonce, and a time limit. The reader shows the
   prompt and records the person.
2. The reader sends the frames with the nonce (``POST /api/access/face``). artguard checks that
   the nonce was issued for this credential at this reader and that the answer came back within
   the time limit plus a transfer allowance (so a recording prepared after seeing the prompt is
   too late), then runs :class:`~artguard.biometrics.stepup.FaceStepUp`: the enrolled person,
   live, answering that prompt. A pass adds ``face`` to the presented factors and the request
   is decided again; a failure is a denial with the reason.

Nonces are single use and kept in memory only: a restart invalidates open challenges (the
reader asks again). Frames are never stored; only the outcome, distances and the liveness
result are recorded (audit and ``access_decision``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from artguard.access.request import AccessRequest, Decision

log = logging.getLogger(__name__)

TIME_LIMIT_S = 4.0
"""Seconds the person has to make the movement, from the moment the prompt is shown."""
TRANSFER_ALLOWANCE_S = 8.0
"""Extra seconds for the reader to show the prompt and upload the frames."""
MAX_OPEN = 1000


class FaceStepUpError(ValueError):
    """A face answer that cannot be judged (unknown or used nonce, wrong reader, ...)."""


@dataclass
class _Open:
    credential_id: str
    reader_id: str
    person_id: str
    challenge: Any  # artguard.biometrics.liveness.challenge.Challenge
    issued: float  # monotonic


@dataclass(frozen=True)
class FaceOutcome:
    passed: bool
    reason: str
    details: dict[str, Any]


class FaceChallenges:
    """Issues face challenges and judges the answers (biometrics loaded on first use)."""

    def __init__(self, stepup_factory: Callable[[], Any]) -> None:
        self._factory = stepup_factory
        self._stepup: Any = None
        self._open: dict[str, _Open] = {}
        self._lock = threading.Lock()

    def issue(self, decision: Decision) -> dict[str, Any] | None:
        """A challenge for a step-up that needs a face, if the person has one enrolled."""
        if decision.outcome != "step_up" or "face" not in decision.required:
            return None
        if decision.person_id is None:
            return None
        from artguard.biometrics.liveness.challenge import issue_challenge

        challenge = issue_challenge(now=0.0, time_limit_s=TIME_LIMIT_S)
        entry = _Open(
            decision.request.credential_id,
            decision.request.reader_id,
            decision.person_id,
            challenge,
            time.monotonic(),
        )
        with self._lock:
            self._expire()
            if len(self._open) >= MAX_OPEN:
                self._open.pop(next(iter(self._open)))
            self._open[challenge.nonce] = entry
        return {
            "nonce": challenge.nonce,
            "prompt": challenge.prompt.value,
            "instruction": challenge.prompt.instruction,
            "time_limit_s": TIME_LIMIT_S,
            "answer_within_s": TIME_LIMIT_S + TRANSFER_ALLOWANCE_S,
        }

    def judge(
        self, request: AccessRequest, nonce: str, frames: list[tuple[float, np.ndarray]]
    ) -> FaceOutcome:
        """Check an answer (blocking: face models run here)."""
        with self._lock:
            entry = self._open.pop(nonce, None)
        if entry is None:
            return FaceOutcome(False, "unknown or already used face challenge", {})
        if (entry.credential_id, entry.reader_id) != (request.credential_id, request.reader_id):
            return FaceOutcome(
                False, "the face challenge was issued for another credential or reader", {}
            )
        waited = time.monotonic() - entry.issued
        if waited > TIME_LIMIT_S + TRANSFER_ALLOWANCE_S:
            return FaceOutcome(
                False, f"the answer came {waited:.1f} s after the prompt (too late)", {}
            )
        result = self._get().check(entry.person_id, entry.challenge, frames)
        details: dict[str, Any] = {
            "prompt": entry.challenge.prompt.value,
            "distances": [round(d, 3) for d in result.distances],
            "passive_score": result.passive_score,
            "seconds_to_answer": round(waited, 2),
        }
        if result.challenge is not None:
            details["answered_after_s"] = result.challenge.answered_after_s
        return FaceOutcome(result.passed, result.reason, details)

    def _get(self) -> Any:
        if self._stepup is None:
            self._stepup = self._factory()
        return self._stepup

    def _expire(self) -> None:
        limit = time.monotonic() - (TIME_LIMIT_S + TRANSFER_ALLOWANCE_S)
        for nonce in [n for n, e in self._open.items() if e.issued < limit]:
            del self._open[nonce]


def face_challenges_from(
    environ: Mapping[str, str], data_dir: Path, audit: Any
) -> FaceChallenges | None:
    """Face step-ups when the site has a template key and the biometrics extra is installed."""
    if not (environ.get("ARTGUARD_BIOMETRIC_KEY") or environ.get("ARTGUARD_BIOMETRIC_KEY_FILE")):
        return None
    try:
        from artguard.biometrics.keys import load_key
        from artguard.biometrics.stepup import FaceStepUp
        from artguard.biometrics.templates import TemplateStore
    except ImportError as exc:
        log.warning("face step-up off: the biometrics extra is not installed (%s)", exc)
        return None
    key = load_key(environ)

    def factory() -> Any:
        return FaceStepUp(TemplateStore.for_data_dir(data_dir, key, audit))

    return FaceChallenges(factory)
