"""The door step-up on real footage: the enrolled speaker passes, others and photos do not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.biometrics.faces import largest_face, read_image
from artguard.biometrics.keys import new_key, parse_key
from artguard.biometrics.liveness.challenge import Challenge, Prompt
from artguard.biometrics.stepup import FaceStepUp
from artguard.biometrics.templates import Consent, TemplateStore
from artguard.biometrics.verify import describe_face
from tests.biometrics.data import TRAIN, clip_frames, needs_dlib, needs_faces, segment

pytestmark = [needs_dlib, needs_faces]
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
CONSENT = Consent("the speaker", "registrar", "v1", T0)


@pytest.fixture(scope="module")
def stepup(tmp_path_factory) -> FaceStepUp:
    store = TemplateStore(tmp_path_factory.mktemp("tpl"), parse_key(new_key(), "test"))
    # Enrolled from frames outside the challenge segments (frames 100 and 180).
    speaker = [describe_face(largest_face(clip_frames()[i])) for i in (100, 180)]
    store.enrol("speaker", speaker, CONSENT, now=T0)
    obama = describe_face(largest_face(read_image(TRAIN / "obama/obama.jpg")))
    store.enrol("obama", [obama], CONSENT, timedelta(days=1), now=T0)
    return FaceStepUp(store)


def test_enrolled_live_person_answering_the_prompt_passes(stepup) -> None:
    result = stepup.check("speaker", Challenge(Prompt.TURN_LEFT, 0.0, 4.0), segment(145, 175), T0)
    assert result.passed, result.reason
    assert len(result.distances) == 3 and max(result.distances) <= 0.55


def test_someone_else_answering_fails(stepup) -> None:
    result = stepup.check("obama", Challenge(Prompt.TURN_LEFT, 0.0, 4.0), segment(145, 175), T0)
    assert not result.passed and "does not match" in result.reason
    assert result.challenge is not None and result.challenge.passed


def test_wrong_prompt_unknown_person_and_expired_template_fail(stepup) -> None:
    wrong = stepup.check("speaker", Challenge(Prompt.TURN_RIGHT, 0.0, 4.0), segment(145, 175), T0)
    assert not wrong.passed and wrong.reason.startswith("liveness:")
    unknown = stepup.check("nobody", Challenge(Prompt.TURN_LEFT, 0.0, 4.0), [], T0)
    assert unknown.reason == "no enrolled face template"
    late = T0 + timedelta(days=2)
    expired = stepup.check("obama", Challenge(Prompt.TURN_LEFT, 0.0, 4.0), [], late)
    assert "expired" in expired.reason
