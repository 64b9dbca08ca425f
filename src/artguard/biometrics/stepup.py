"""The face step-up at a door: the enrolled person, live, answering the prompt just issued.

One pass over the recorded frames finds the face and its landmarks in each; the challenge is
decided from their poses (:mod:`.liveness.challenge`), and the face is compared with the
person's enrolled template in three frames: the first, the one where the prompted movement
was seen, and the last, so that a live accomplice cannot answer the prompt after a photo of
the enrolled person was shown. The passive models, when imported, score the first face. All
must pass; the result says which did not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from artguard.biometrics.faces import Face, Image, find_faces
from artguard.biometrics.liveness.challenge import (
    Challenge,
    ChallengeResult,
    ChallengeVerifier,
    ObservedPose,
)
from artguard.biometrics.liveness.passive import PassiveLiveness
from artguard.biometrics.liveness.pose import pose_from_landmarks
from artguard.biometrics.templates import TemplateStore
from artguard.biometrics.verify import DEFAULT_THRESHOLD, describe_face
from artguard.events import utcnow


@dataclass(frozen=True)
class StepUpResult:
    person_id: str
    passed: bool
    reason: str
    distances: list[float] = field(default_factory=list)
    """Distance to the template in the frames compared (first, answer, last)."""
    challenge: ChallengeResult | None = None
    passive_score: float | None = None


class FaceStepUp:
    def __init__(
        self,
        templates: TemplateStore,
        challenge_verifier: ChallengeVerifier | None = None,
        passive: PassiveLiveness | None = None,
        threshold: float = DEFAULT_THRESHOLD,
    ) -> None:
        self.templates = templates
        self.challenge_verifier = challenge_verifier or ChallengeVerifier()
        self.passive = passive
        self.threshold = threshold

    def check(
        self,
        person_id: str,
        challenge: Challenge,
        frames: list[tuple[float, Image]],
        now: datetime | None = None,
    ) -> StepUpResult:
        template = self.templates.load(person_id)
        if template is None:
            return StepUpResult(person_id, False, "no enrolled face template")
        if template.retain_until <= (now or utcnow()):
            return StepUpResult(person_id, False, "face template expired: re-enrol")
        faces: list[Face | None] = []
        observed = []
        for t, image in frames:
            found = find_faces(image)
            faces.append(found[0] if found else None)
            pose = pose_from_landmarks(found[0].landmarks) if found else None
            observed.append(ObservedPose(float(t), pose))
        result = self.challenge_verifier.check_poses(challenge, observed)
        if not result.passed:
            return StepUpResult(person_id, False, f"liveness: {result.reason}", challenge=result)
        with_face = [i for i, f in enumerate(faces) if f is not None]
        answered_at = challenge.issued_at + (result.answered_after_s or 0.0)
        answer = min(with_face, key=lambda i: abs(observed[i].t - answered_at))
        distances = []
        for i in sorted({with_face[0], answer, with_face[-1]}):
            face = faces[i]
            assert face is not None
            vector = describe_face(face)
            distances.append(float(np.min(np.linalg.norm(template.descriptors - vector, axis=1))))
        if max(distances) > self.threshold:
            return StepUpResult(
                person_id,
                False,
                f"face does not match the enrolled template (distance {max(distances):.2f} > "
                f"{self.threshold:.2f})",
                distances,
                result,
            )
        score = None
        if self.passive is not None:
            first = faces[with_face[0]]
            assert first is not None
            scored = self.passive.score_face(frames[with_face[0]][1], first)
            score = scored.score
            if not scored.live:
                return StepUpResult(
                    person_id,
                    False,
                    f"passive liveness score {score:.2f} too low",
                    distances,
                    result,
                    score,
                )
        return StepUpResult(person_id, True, "face matches and is live", distances, result, score)
