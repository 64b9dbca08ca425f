"""The challenge-response liveness check on real footage and on the attacks it must stop.

Live footage: the hamilton clip (29.97 fps, 640x360), where the speaker faces the camera and
turns his head. Frames 145-175 turn to his own left (nose from the middle of the jaw line to
its left end: yaw about -0.05 to +0.19; frame 160 shows the face turned toward the image's
right), frames 176-206 and 90-115 turn to his own right (yaw about +0.06 to -0.34 and 0.0 to
-0.31; frame 130 shows him in profile toward the image's left). The tests below first assert
those measured movements, so the segments are proven to contain the turns, then that the
check accepts them only for the prompt they answer, in time.
"""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from artguard.biometrics.faces import read_image
from artguard.biometrics.liveness.challenge import (
    DEFAULT_PROMPTS,
    Challenge,
    ChallengeVerifier,
    ObservedPose,
    Prompt,
    issue_challenge,
    observe,
)
from artguard.biometrics.liveness.pose import Pose
from tests.biometrics.data import CLIP_FPS, TRAIN, clip_frames, needs_dlib, needs_faces, segment

VERIFIER = ChallengeVerifier()
TURN_LEFT = (145, 175)
TURN_RIGHT = (176, 206)
TURN_RIGHT_2 = (90, 115)
FIRST, LAST = 88, 210


@pytest.fixture(scope="module")
def clip_poses() -> dict[int, ObservedPose]:
    """Pose of the face in frames FIRST..LAST of the clip, by frame number."""
    observed = observe(segment(FIRST, LAST + 1))
    return {FIRST + i: o for i, o in enumerate(observed)}


def poses(clip_poses, start: int, stop: int, stretch: float = 1.0) -> list[ObservedPose]:
    return [
        ObservedPose((i - start) / CLIP_FPS * stretch, clip_poses[i].pose)
        for i in range(start, stop)
    ]


def challenge(prompt: Prompt, limit: float = 4.0, at: float = 0.0) -> Challenge:
    return Challenge(prompt, issued_at=at, time_limit_s=limit)


@pytest.mark.parametrize(
    ("span", "direction"),
    [(TURN_LEFT, +1), (TURN_RIGHT, -1), (TURN_RIGHT_2, -1)],
)
@needs_dlib
@needs_faces
def test_the_segments_contain_the_turns(clip_poses, span, direction) -> None:
    yaws = np.asarray([clip_poses[i].pose.yaw for i in range(*span)])
    start = np.median(yaws[:3])
    assert abs(start) < 0.1  # starts facing the camera
    assert np.max(direction * (yaws - start)) > 0.15  # turns by more than the threshold
    assert np.max(-direction * (yaws - start)) < 0.1  # and not the other way


@pytest.mark.parametrize(
    ("span", "prompt"),
    [
        (TURN_LEFT, Prompt.TURN_LEFT),
        (TURN_RIGHT, Prompt.TURN_RIGHT),
        (TURN_RIGHT_2, Prompt.TURN_RIGHT),
    ],
)
@needs_dlib
@needs_faces
def test_live_turn_passes_its_prompt_and_fails_the_other(clip_poses, span, prompt) -> None:
    result = VERIFIER.check_poses(challenge(prompt), poses(clip_poses, *span))
    assert result.passed, result.reason
    assert result.movement >= 0.15 and result.answered_after_s < 1.0
    other = Prompt.TURN_RIGHT if prompt is Prompt.TURN_LEFT else Prompt.TURN_LEFT
    replay = VERIFIER.check_poses(challenge(other), poses(clip_poses, *span))
    assert not replay.passed and "not seen" in replay.reason


@needs_dlib
@needs_faces
def test_end_to_end_on_frames() -> None:
    result = VERIFIER.check(challenge(Prompt.TURN_LEFT), segment(*TURN_LEFT))
    assert result.passed and result.frames == result.frames_with_face == 30
    assert result.as_dict()["prompt"] == "turn_left"


@needs_dlib
@needs_faces
def test_too_slow_replay_fails(clip_poses) -> None:
    # The same real turn, played 25 times slower: it completes after the 4 s limit.
    slow = poses(clip_poses, *TURN_RIGHT, stretch=25)
    result = VERIFIER.check_poses(challenge(Prompt.TURN_RIGHT), slow)
    assert not result.passed and "limit 4.0 s" in result.reason
    assert result.answered_after_s > 4.0
    # A tighter limit turns even the real speed down.
    quick = VERIFIER.check_poses(
        challenge(Prompt.TURN_RIGHT, limit=0.1), poses(clip_poses, *TURN_RIGHT)
    )
    assert not quick.passed


@needs_dlib
@needs_faces
def test_frames_recorded_before_the_prompt_fail(clip_poses) -> None:
    result = VERIFIER.check_poses(
        challenge(Prompt.TURN_LEFT, at=5.0), poses(clip_poses, *TURN_LEFT)
    )
    assert not result.passed and "before the prompt" in result.reason


@needs_dlib
@needs_faces
def test_head_shake_replay_fails_a_turn(clip_poses) -> None:
    # Frames 145-210: a turn to the left and then far to the right.
    result = VERIFIER.check_poses(challenge(Prompt.TURN_LEFT), poses(clip_poses, 145, 210))
    assert not result.passed and "other way" in result.reason


def wave(image: np.ndarray, i: int) -> np.ndarray:
    """A photo held up and moved: rotated, scaled and shifted in the image plane."""
    h, w = image.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 10 * np.sin(i / 5), 1 + 0.15 * np.sin(i / 7))
    m[:, 2] += [20 * np.sin(i / 4), 10 * np.cos(i / 6)]
    return cv2.warpAffine(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


def swivel(image: np.ndarray, degrees: float) -> np.ndarray:
    """A flat photo turned about its vertical axis, seen through a pinhole camera."""
    h, w = image.shape[:2]
    a, f = np.radians(degrees), float(w)
    corners = np.float32([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]])
    seen = [
        [x * np.cos(a) * f / (f + x * np.sin(a)), y * f / (f + x * np.sin(a))] for x, y in corners
    ]
    centre = np.float32([w / 2, h / 2])
    m = cv2.getPerspectiveTransform(corners + centre, np.float32(seen) + centre)
    return cv2.warpPerspective(image, m, (w, h), borderMode=cv2.BORDER_REPLICATE)


@pytest.mark.parametrize("prompt", list(DEFAULT_PROMPTS))
@needs_dlib
@needs_faces
def test_photo_attacks_fail(prompt) -> None:
    photo = clip_frames()[160]
    enrolment = cv2.resize(read_image(TRAIN / "obama/obama.jpg"), (455, 568))
    sign = 1 if prompt is Prompt.TURN_LEFT else -1
    attacks = {
        "static photo": [(i / 15, photo) for i in range(15)],
        "enrolment photo": [(i / 15, enrolment) for i in range(15)],
        "waved photo": [(i / 15, wave(photo, 2 * i)) for i in range(15)],
        "swivelled photo": [
            (i / 15, swivel(enrolment, sign * 40 * np.sin(i / 14 * np.pi))) for i in range(15)
        ],
    }
    for name, frames in attacks.items():
        result = VERIFIER.check(challenge(prompt), frames)
        assert not result.passed, name
        assert result.movement < 0.1, (name, result.movement)


def synthetic(yaws=None, ears=None, pitches=None, dt=0.05) -> list[ObservedPose]:
    n = len(next((v for v in (yaws, ears, pitches) if v is not None), [0.0] * 20))
    yaws = yaws if yaws is not None else [0.0] * n
    ears = ears if ears is not None else [0.3] * n
    pitches = pitches if pitches is not None else [0.3] * n
    return [
        ObservedPose(i * dt, Pose(yaw=y, pitch=p, ear=e))
        for i, (y, e, p) in enumerate(zip(yaws, ears, pitches, strict=True))
    ]


def test_blink_needs_the_eyes_to_close_and_open_again() -> None:
    blink = [0.3] * 8 + [0.1, 0.08, 0.12] + [0.3] * 9
    assert VERIFIER.check_poses(challenge(Prompt.BLINK), synthetic(ears=blink)).passed
    closed = [0.3] * 8 + [0.1] * 12
    result = VERIFIER.check_poses(challenge(Prompt.BLINK), synthetic(ears=closed))
    assert not result.passed and "did not open" in result.reason
    squint = [0.3] * 8 + [0.22] * 3 + [0.3] * 9
    assert not VERIFIER.check_poses(challenge(Prompt.BLINK), synthetic(ears=squint)).passed


def test_look_up_lowers_the_pitch_ratio() -> None:
    up = [0.3] * 6 + [0.27, 0.23, 0.2, 0.2] + [0.25] * 10
    assert VERIFIER.check_poses(challenge(Prompt.LOOK_UP), synthetic(pitches=up)).passed
    down = [0.3] * 6 + [0.33, 0.37, 0.4, 0.4] + [0.35] * 10
    assert not VERIFIER.check_poses(challenge(Prompt.LOOK_UP), synthetic(pitches=down)).passed


def test_missing_faces_and_bad_sequences_fail() -> None:
    no_face = [ObservedPose(i * 0.05, None) for i in range(20)]
    assert (
        "face found in 0 of 20" in VERIFIER.check_poses(challenge(Prompt.TURN_LEFT), no_face).reason
    )
    turned = synthetic(yaws=[0.3] * 20)
    assert "not facing" in VERIFIER.check_poses(challenge(Prompt.TURN_LEFT), turned).reason
    backwards = list(reversed(synthetic()))
    assert "backwards" in VERIFIER.check_poses(challenge(Prompt.TURN_LEFT), backwards).reason
    assert VERIFIER.check_poses(challenge(Prompt.TURN_LEFT), []).reason == "no frames"
    sparse = synthetic(yaws=[0.0] * 3 + [0.3] * 3) + [ObservedPose(1 + i, None) for i in range(10)]
    assert not VERIFIER.check_poses(challenge(Prompt.TURN_LEFT, 20), sparse).passed


def test_issued_prompts_are_random_and_validated() -> None:
    drawn = {issue_challenge(now=0.0).prompt for _ in range(200)}
    assert drawn == set(DEFAULT_PROMPTS)
    one = issue_challenge(now=10.0, time_limit_s=3.0)
    assert one.deadline == 13.0 and len(one.nonce) == 16
    assert replace(one, nonce="x").prompt == one.prompt
    with pytest.raises(ValueError, match="time_limit_s"):
        issue_challenge(time_limit_s=0)
    with pytest.raises(ValueError, match="prompts"):
        issue_challenge(prompts=())
