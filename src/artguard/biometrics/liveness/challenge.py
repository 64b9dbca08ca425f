"""Active liveness: a random prompt, answered by a head movement within a time limit.

The door terminal calls :func:`issue_challenge`, shows the prompt ("turn your head to your
left") and records frames, each with its capture time. :class:`ChallengeVerifier` then finds
the face in each frame, measures its pose (:mod:`.pose`) and passes the challenge only if

1. the frames were captured after the prompt was issued (a recording made earlier fails);
2. a face is present in most frames (``min_face_fraction``) and in at least ``min_frames``;
3. the person starts roughly facing the camera (the baseline is the median of the first
   three faces);
4. the prompted movement reaches its threshold before ``issued_at + time_limit_s``: a turn
   moves ``yaw`` by ``turn_delta`` in the prompted direction, looking up lowers ``pitch`` by
   ``pitch_delta``, a blink drops the eye aspect ratio to ``blink_ratio`` of the baseline
   and opens again;
5. the head did not also make a movement of the same size the other way (a replayed
   head-shake or a clip answering another prompt fails).

A flat photo gives no change in these landmark ratios however it is moved (see
:mod:`.pose`), so a photo, even one held up and waved, fails step 4; a replayed video fails
unless it happens to show the randomly chosen movement inside the time limit. A live deepfake
driven in real time, or a 3-D mask, is not stopped by this check: see docs/access.md.
"""

from __future__ import annotations

import itertools
import secrets
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum

import numpy as np

from artguard.biometrics.faces import Image, find_faces
from artguard.biometrics.liveness.pose import Pose, pose_from_landmarks


class Prompt(StrEnum):
    BLINK = "blink"
    TURN_LEFT = "turn_left"
    TURN_RIGHT = "turn_right"
    LOOK_UP = "look_up"

    @property
    def instruction(self) -> str:
        return {
            Prompt.BLINK: "Look at the camera and blink",
            Prompt.TURN_LEFT: "Look at the camera, then turn your head to your left",
            Prompt.TURN_RIGHT: "Look at the camera, then turn your head to your right",
            Prompt.LOOK_UP: "Look at the camera, then look up",
        }[self]


@dataclass(frozen=True)
class Challenge:
    prompt: Prompt
    issued_at: float
    """Capture-clock seconds (the clock the frames' timestamps use)."""
    time_limit_s: float
    nonce: str = field(default_factory=lambda: secrets.token_hex(8))

    @property
    def deadline(self) -> float:
        return self.issued_at + self.time_limit_s


DEFAULT_PROMPTS = (Prompt.TURN_LEFT, Prompt.TURN_RIGHT)
"""The prompts drawn by default. Head turns are validated on real footage (the hamilton clip)
and a flat photo, moved or tilted, fails them. ``blink`` and ``look_up`` are available but
not drawn by default: a recording of the person facing the camera usually contains natural
blinks, and a flat photo tilted back by up to 40 degrees passed ``look_up`` for 1 of 20
photos (``bench/face_liveness.py``); neither has real footage here to calibrate on."""


def issue_challenge(
    now: float | None = None,
    time_limit_s: float = 4.0,
    prompts: Sequence[Prompt] = DEFAULT_PROMPTS,
) -> Challenge:
    """A challenge with a prompt drawn by the OS's random generator (not guessable)."""
    if time_limit_s <= 0:
        raise ValueError(f"time_limit_s must be positive, got {time_limit_s}")
    if not prompts:
        raise ValueError("prompts must not be empty")
    prompt = secrets.choice(list(prompts))
    return Challenge(
        prompt=Prompt(prompt),
        issued_at=time.monotonic() if now is None else now,
        time_limit_s=time_limit_s,
    )


@dataclass(frozen=True)
class ObservedPose:
    """The pose of the face in one frame, or None when no face was found there."""

    t: float
    pose: Pose | None


def observe(frames: Iterable[tuple[float, Image]]) -> list[ObservedPose]:
    """The pose of the largest face in each (capture time, BGR frame)."""
    observed = []
    for t, image in frames:
        faces = find_faces(image)
        pose = pose_from_landmarks(faces[0].landmarks) if faces else None
        observed.append(ObservedPose(float(t), pose))
    return observed


@dataclass(frozen=True)
class ChallengeResult:
    prompt: Prompt
    passed: bool
    reason: str
    frames: int
    frames_with_face: int
    movement: float
    """How far the prompted measure moved (yaw / pitch change; for a blink, 1 - min EAR
    ratio), to compare with ``required``."""
    required: float
    answered_after_s: float | None
    """Seconds from the prompt to the frame where the movement reached ``required``."""

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["prompt"] = str(self.prompt)
        for key in ("movement", "required"):
            data[key] = round(float(data[key]), 4)
        if self.answered_after_s is not None:
            data["answered_after_s"] = round(self.answered_after_s, 3)
        return data


@dataclass(frozen=True)
class ChallengeVerifier:
    turn_delta: float = 0.15
    pitch_delta: float = 0.06
    blink_ratio: float = 0.6
    frontal_yaw: float = 0.12
    min_frames: int = 5
    min_face_fraction: float = 0.6

    def check(self, challenge: Challenge, frames: Iterable[tuple[float, Image]]) -> ChallengeResult:
        """Check BGR frames, each with its capture time on the challenge's clock."""
        return self.check_poses(challenge, observe(frames))

    def check_poses(
        self, challenge: Challenge, observed: Sequence[ObservedPose]
    ) -> ChallengeResult:
        """The decision from per-frame poses (see the module docstring for the steps)."""
        prompt = challenge.prompt
        required = self._required(prompt)

        def result(passed: bool, reason: str, movement: float = 0.0, at: float | None = None):
            return ChallengeResult(
                prompt=prompt,
                passed=passed,
                reason=reason,
                frames=len(observed),
                frames_with_face=len(faced),
                movement=movement,
                required=required,
                answered_after_s=None if at is None else at - challenge.issued_at,
            )

        faced = [o for o in observed if o.pose is not None]
        if not observed:
            return result(False, "no frames")
        times = [o.t for o in observed]
        if any(b < a for a, b in itertools.pairwise(times)):
            return result(False, "frame times go backwards")
        if times[0] < challenge.issued_at:
            return result(False, "frames captured before the prompt was issued")
        if len(faced) < self.min_frames or len(faced) < self.min_face_fraction * len(observed):
            return result(False, f"face found in {len(faced)} of {len(observed)} frames")
        poses = [o.pose for o in faced if o.pose is not None]
        base = Pose(
            yaw=float(np.median([p.yaw for p in poses[:3]])),
            pitch=float(np.median([p.pitch for p in poses[:3]])),
            ear=float(np.median([p.ear for p in poses[:3]])),
        )
        if abs(base.yaw) > self.frontal_yaw:
            return result(False, f"not facing the camera at the start (yaw {base.yaw:+.2f})")
        toward, away = self._movement(prompt, base, poses)
        movement = float(np.max(toward))
        if movement < required:
            seen = f"moved {movement:.2f} of {required:.2f}"
            return result(False, f"{prompt} not seen ({seen})", movement)
        if prompt is not Prompt.BLINK and float(np.max(away)) >= required:
            return result(False, f"moved the other way too ({float(np.max(away)):.2f})", movement)
        first = int(np.argmax(toward >= required))
        if prompt is Prompt.BLINK and not np.any(toward[first:] <= required / 3):
            return result(False, "eyes closed but did not open again", movement)
        at = faced[first].t
        if at > challenge.deadline:
            return result(
                False,
                f"{prompt} seen after {at - challenge.issued_at:.1f} s, limit "
                f"{challenge.time_limit_s:.1f} s",
                movement,
                at,
            )
        return result(True, f"{prompt} seen", movement, at)

    def _required(self, prompt: Prompt) -> float:
        if prompt in (Prompt.TURN_LEFT, Prompt.TURN_RIGHT):
            return self.turn_delta
        if prompt is Prompt.LOOK_UP:
            return self.pitch_delta
        return 1.0 - self.blink_ratio

    @staticmethod
    def _movement(
        prompt: Prompt, base: Pose, poses: Sequence[Pose]
    ) -> tuple[np.ndarray, np.ndarray]:
        """Per-frame movement toward the prompted direction and away from it."""
        if prompt in (Prompt.TURN_LEFT, Prompt.TURN_RIGHT):
            delta = np.asarray([p.yaw - base.yaw for p in poses])
            return (delta, -delta) if prompt is Prompt.TURN_LEFT else (-delta, delta)
        if prompt is Prompt.LOOK_UP:
            delta = np.asarray([base.pitch - p.pitch for p in poses])
            return delta, -delta
        ratio = np.asarray([p.ear / base.ear if base.ear > 0 else 1.0 for p in poses])
        return 1.0 - ratio, ratio - 1.0
