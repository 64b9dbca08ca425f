"""Encrypted face templates: round trip, no plaintext at rest, consent, erasure, retention."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from artguard.biometrics.keys import (
    KEY_ENV,
    KEY_FILE_ENV,
    BiometricKeyError,
    load_key,
    new_key,
    parse_key,
)
from artguard.biometrics.templates import Consent, TemplateError, TemplateStore
from artguard.config import Settings
from artguard.store.audit import AuditLog
from artguard.store.db import open_database

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
PERSON = "staff-0042-ada-lovelace"


def consent() -> Consent:
    return Consent("Ada Lovelace", "registrar.bob", "biometric-consent-v2", T0)


def vectors(n: int = 2, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 0.1, (n, 128)).astype(np.float32)


@pytest.fixture
def key() -> bytes:
    return parse_key(new_key(), "test")


@pytest.fixture
def audit(tmp_path):
    engine = open_database(Settings(data_dir=tmp_path / "var"))
    yield AuditLog(engine)
    engine.dispose()


def test_round_trip_keeps_descriptors_and_consent(tmp_path, key) -> None:
    store = TemplateStore.for_data_dir(tmp_path, key)
    stored = store.enrol(PERSON, vectors(), consent(), timedelta(days=30), now=T0)
    loaded = store.load(PERSON)
    assert loaded is not None
    np.testing.assert_array_equal(loaded.descriptors, vectors())
    assert loaded.consent == consent()
    assert loaded.enrolled_at == T0 and loaded.retain_until == T0 + timedelta(days=30)
    assert stored.retain_until == loaded.retain_until
    assert [t.person_id for t in store.templates()] == [PERSON]
    assert store.load("someone-else") is None


def test_file_holds_no_plaintext(tmp_path, key) -> None:
    store = TemplateStore.for_data_dir(tmp_path, key)
    store.enrol(PERSON, vectors(), consent(), now=T0)
    files = list((tmp_path / "biometrics" / "templates").iterdir())
    assert len(files) == 1 and PERSON not in files[0].name
    raw = files[0].read_bytes()
    encodings = [PERSON, "Ada Lovelace", "registrar.bob", "biometric-consent-v2"]
    for text in encodings:
        assert text.encode() not in raw
        assert base64.b64encode(text.encode()).rstrip(b"=")[:12] not in raw
    descriptor_bytes = vectors().tobytes()
    assert descriptor_bytes[:16] not in raw
    assert base64.b64encode(descriptor_bytes)[:24] not in raw
    assert set(json.loads(raw)) == {"format", "key_id", "nonce", "ciphertext"}
    assert (files[0].stat().st_mode & 0o777) == 0o600


def test_wrong_key_tampering_and_renaming_are_refused(tmp_path, key) -> None:
    store = TemplateStore.for_data_dir(tmp_path, key)
    store.enrol(PERSON, vectors(), consent(), now=T0)
    store.enrol("staff-7", vectors(seed=2), consent(), now=T0)
    other = TemplateStore.for_data_dir(tmp_path, parse_key(new_key(), "test"))
    with pytest.raises(TemplateError, match="another key"):
        list(other.templates())
    path = store.path_for(PERSON)
    envelope = json.loads(path.read_text())
    blob = bytearray(base64.b64decode(envelope["ciphertext"]))
    blob[5] ^= 1
    path.write_text(json.dumps({**envelope, "ciphertext": base64.b64encode(blob).decode()}))
    with pytest.raises(TemplateError, match="fails authentication"):
        store.load(PERSON)
    # Someone copies staff-7's template over Ada's file, hoping to pass as Ada.
    path.write_bytes(store.path_for("staff-7").read_bytes())
    with pytest.raises(TemplateError, match="fails authentication"):
        store.load(PERSON)


def test_enrolment_and_erasure_are_audited_without_biometric_data(tmp_path, key, audit) -> None:
    store = TemplateStore.for_data_dir(tmp_path, key, audit)
    store.enrol(PERSON, vectors(), consent(), now=T0)
    path = store.path_for(PERSON)
    assert store.erase(PERSON, actor="dpo.carol", reason="subject request")
    assert not path.exists() and store.load(PERSON) is None
    assert not store.erase(PERSON, actor="dpo.carol")
    entries = [e for e in audit.entries() if e.action.startswith("biometric.")]
    assert [(e.action, e.actor, e.subject) for e in entries] == [
        ("biometric.enrol", "registrar.bob", PERSON),
        ("biometric.erase", "dpo.carol", PERSON),
        ("biometric.erase", "dpo.carol", PERSON),
    ]
    assert entries[0].details["consent_text_version"] == "biometric-consent-v2"
    assert entries[1].details == {"reason": "subject request", "existed": True}
    assert "descriptor" not in json.dumps([e.details for e in entries])
    assert audit.verify().ok


def test_expired_templates_are_purged(tmp_path, key, audit) -> None:
    store = TemplateStore.for_data_dir(tmp_path, key, audit)
    store.enrol("short", vectors(), consent(), timedelta(days=1), now=T0)
    store.enrol("long", vectors(), consent(), timedelta(days=100), now=T0)
    assert store.purge_expired(now=T0 + timedelta(days=2)) == ["short"]
    assert [t.person_id for t in store.templates()] == ["long"]
    erase = [e for e in audit.entries() if e.action == "biometric.erase"]
    assert erase[0].details["reason"] == "retention expired"


def test_bad_enrolments_are_refused(tmp_path, key) -> None:
    store = TemplateStore.for_data_dir(tmp_path, key)
    with pytest.raises(TemplateError, match="128-D"):
        store.enrol(PERSON, np.zeros((1, 64)), consent())
    with pytest.raises(TemplateError, match="NaN"):
        store.enrol(PERSON, np.full((1, 128), np.nan), consent())
    with pytest.raises(TemplateError, match="person id"):
        store.enrol(" ", vectors(), consent())
    with pytest.raises(TemplateError, match=r"consent\.text_version"):
        Consent("Ada", "bob", "", T0)
    with pytest.raises(TemplateError, match="timezone"):
        Consent("Ada", "bob", "v1", datetime(2026, 1, 1))
    with pytest.raises(TemplateError, match="retention"):
        store.enrol(PERSON, vectors(), consent(), timedelta(0))
    assert not (tmp_path / "biometrics").exists()


def test_key_comes_from_configuration(tmp_path) -> None:
    text = new_key()
    assert load_key({KEY_ENV: text}) == base64.urlsafe_b64decode(text)
    (tmp_path / "key").write_text(text + "\n")
    assert load_key({KEY_FILE_ENV: str(tmp_path / "key")}) == base64.urlsafe_b64decode(text)
    with pytest.raises(BiometricKeyError, match=KEY_ENV):
        load_key({})
    with pytest.raises(BiometricKeyError, match="not both"):
        load_key({KEY_ENV: text, KEY_FILE_ENV: str(tmp_path / "key")})
    with pytest.raises(BiometricKeyError, match="32 bytes"):
        load_key({KEY_ENV: base64.urlsafe_b64encode(b"short").decode()})
    with pytest.raises(BiometricKeyError, match="cannot read"):
        load_key({KEY_FILE_ENV: str(tmp_path / "missing")})
