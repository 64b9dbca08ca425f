"""The face step-up through the API on real footage: a challenge comes with the step-up, the
enrolled person answering it is let in; a photo, the wrong movement, someone else, a reused or
late answer are not. Frames are never stored."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import cv2
import pytest
from fastapi.testclient import TestClient

from artguard.access.face import FaceChallenges
from artguard.api.app import create_app
from artguard.biometrics.faces import largest_face
from artguard.biometrics.keys import new_key, parse_key
from artguard.biometrics.templates import Consent, TemplateStore
from artguard.biometrics.verify import describe_face
from artguard.config import Settings
from artguard.runtime import Runtime
from artguard.site.access_policy import DEFAULT_FACTORS
from tests.biometrics.data import clip_frames, needs_dlib, needs_faces, segment

from .helpers import SITE_PATH, TUESDAY_10, access_site

pytestmark = [needs_dlib, needs_faces]
SEGMENTS = {"turn_left": (145, 175), "turn_right": (176, 206)}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    key = new_key()
    environ = {"ARTGUARD_BIOMETRIC_KEY": key}
    settings = Settings(data_dir=tmp_path / "var", environ=environ)
    runtime = Runtime(settings, access_site(), site_path=SITE_PATH, live_clock=False)
    assert isinstance(runtime.access.faces, FaceChallenges)
    # Cara Curator is the clip's speaker, enrolled from frames outside the answers.
    store = TemplateStore.for_data_dir(settings.data_dir, parse_key(key, "test"), runtime.audit)
    speaker = [describe_face(largest_face(clip_frames()[i])) for i in (100, 230)]
    consent = Consent("Cara Curator", "registrar", "v1", datetime.now(UTC))
    store.enrol("p-curator", speaker, consent)
    # the staff corridor (level 3) needs a face here
    policy = runtime.access.pdp.policy
    runtime.access.pdp.policy = policy.model_copy(
        update={"factors": {**DEFAULT_FACTORS, 3: ["card", "pin", "face"]}}
    )
    with TestClient(create_app(runtime)) as test_client:
        test_client.token = runtime.tokens.create("corridor", ["r-corridor"])[1]  # type: ignore[attr-defined]
        yield test_client


def _headers(client: TestClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {client.token}"}  # type: ignore[attr-defined]


def _ask(client: TestClient, credential: str = "card-curator") -> dict:
    body = {
        "credential_id": credential,
        "reader_id": "r-corridor",
        "factors": ["card", "pin"],
        "at": TUESDAY_10.isoformat(),
    }
    response = client.post("/api/access/decide", json=body, headers=_headers(client))
    assert response.status_code == 200
    return response.json()


def _frames(pairs: list[tuple[float, object]]) -> list[dict]:
    out = []
    for t, image in pairs:
        ok, jpeg = cv2.imencode(".jpg", image)
        assert ok
        out.append({"t": round(t, 3), "jpeg": base64.b64encode(jpeg.tobytes()).decode()})
    return out


def _answer(client: TestClient, nonce: str, frames: list[dict], credential: str = "card-curator"):
    body = {
        "credential_id": credential,
        "reader_id": "r-corridor",
        "nonce": nonce,
        "factors": ["card", "pin"],
        "at": TUESDAY_10.isoformat(),
        "frames": frames,
    }
    return client.post("/api/access/face", json=body, headers=_headers(client))


def test_the_enrolled_person_answering_the_prompt_is_let_in(client: TestClient) -> None:
    asked = _ask(client)
    assert asked["outcome"] == "step_up" and asked["required"] == ["face"]
    challenge = asked["challenge"]
    assert challenge["prompt"] in SEGMENTS and challenge["time_limit_s"] == 4.0
    answered = _answer(client, challenge["nonce"], _frames(segment(*SEGMENTS[challenge["prompt"]])))
    assert answered.status_code == 200
    body = answered.json()
    assert body["outcome"] == "grant", body["reasons"]
    assert body["face"]["passed"] and max(body["face"]["distances"]) <= 0.55
    assert "face" in body["factors"]
    assert any("face verified" in r for r in body["reasons"])
    # the nonce is single use
    again = _answer(client, challenge["nonce"], _frames(segment(*SEGMENTS[challenge["prompt"]])))
    assert again.json()["outcome"] == "deny"
    assert "unknown or already used face challenge" in again.json()["reasons"][0]


def test_a_photo_or_the_wrong_movement_is_denied(client: TestClient) -> None:
    challenge = _ask(client)["challenge"]
    still = clip_frames()[100]
    photo = _answer(client, challenge["nonce"], _frames([(i / 15, still) for i in range(30)]))
    assert photo.json()["outcome"] == "deny"
    assert photo.json()["reasons"][0].startswith("face step-up failed: liveness:")
    challenge = _ask(client)["challenge"]
    other = "turn_right" if challenge["prompt"] == "turn_left" else "turn_left"
    wrong = _answer(client, challenge["nonce"], _frames(segment(*SEGMENTS[other])))
    assert wrong.json()["outcome"] == "deny" and not wrong.json()["face"]["passed"]


def test_someone_elses_card_with_the_speakers_face_is_denied(client: TestClient) -> None:
    asked = _ask(client, "card-super")  # Sam Supervisor has no enrolled face
    challenge = asked["challenge"]
    frames = _frames(segment(*SEGMENTS[challenge["prompt"]]))
    denied = _answer(client, challenge["nonce"], frames, "card-super").json()
    assert denied["outcome"] == "deny"
    assert "no enrolled face template" in denied["reasons"][0]


def test_bad_frames_are_named(client: TestClient) -> None:
    challenge = _ask(client)["challenge"]
    good = _frames(segment(145, 147))
    bad = _answer(client, challenge["nonce"], [good[0], {"t": 0.1, "jpeg": "bm90IGFuIGltYWdl"}])
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "frames", "1", "jpeg"]
    assert "not a JPEG or PNG image" in bad.json()["detail"][0]["msg"]
