"""Enrolled face templates, encrypted at rest, with the consent they were given under.

One file per enrolled person under ``<data dir>/biometrics/templates/``. The file name is an
HMAC of the person id under the template key, so a directory listing does not say who is
enrolled. The content is AES-256-GCM ciphertext of a JSON record (descriptors, consent,
enrolment time, retention deadline, model) with the file name as associated data, so a file
copied to another person's name fails to decrypt. Nothing outside the ciphertext names the
person. The key comes from configuration
(:mod:`.keys`); nothing in the file or the database can decrypt it.

Enrolment needs a consent record (who consented, who recorded it, when, and the version of
the consent text shown). Erasure deletes the file (overwritten first); both are written to
the hash-chained audit log when one is given, without any biometric data. Templates past
their retention deadline are erased by :meth:`TemplateStore.purge_expired`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from artguard.biometrics.keys import key_id
from artguard.biometrics.verify import DESCRIPTOR_SIZE, Descriptor
from artguard.events import utcnow

if TYPE_CHECKING:
    from artguard.store.audit import AuditLog

FORMAT = "artguard-face-template/1"
MODEL = "dlib_face_recognition_resnet_model_v1"
DEFAULT_RETENTION = timedelta(days=365)
_NONCE_BYTES = 12


class TemplateError(ValueError):
    """A template cannot be stored or read; the message names the person or file."""


@dataclass(frozen=True)
class Consent:
    """The consent an enrolment rests on (kept with the template, erased with it)."""

    given_by: str
    """Who consented: the person enrolled (or their representative)."""
    recorded_by: str
    """The operator who recorded it."""
    text_version: str
    """Version of the consent text shown, e.g. ``biometric-consent-v2``."""
    at: datetime

    def __post_init__(self) -> None:
        for name in ("given_by", "recorded_by", "text_version"):
            if not str(getattr(self, name)).strip():
                raise TemplateError(f"consent.{name} must not be empty")
        if self.at.tzinfo is None:
            raise TemplateError("consent.at must be timezone-aware")

    def as_dict(self) -> dict[str, str]:
        return {
            "given_by": self.given_by,
            "recorded_by": self.recorded_by,
            "text_version": self.text_version,
            "at": self.at.isoformat(),
        }


@dataclass(frozen=True)
class Template:
    person_id: str
    descriptors: np.ndarray
    """(n, 128) float32: one descriptor per enrolment photo."""
    consent: Consent
    enrolled_at: datetime
    retain_until: datetime
    model: str = MODEL


class TemplateStore:
    def __init__(self, root: Path, key: bytes, audit: AuditLog | None = None) -> None:
        if len(key) != 32:
            raise TemplateError(f"template key must be 32 bytes, got {len(key)}")
        self.root = Path(root)
        self._key = key
        self._key_id = key_id(key)
        self._audit = audit

    @classmethod
    def for_data_dir(cls, data_dir: Path, key: bytes, audit: AuditLog | None = None):
        return cls(Path(data_dir) / "biometrics" / "templates", key, audit)

    def path_for(self, person_id: str) -> Path:
        digest = hmac.new(self._key, person_id.encode(), hashlib.sha256).hexdigest()
        return self.root / f"{digest[:32]}.tpl"

    # --- writing ----------------------------------------------------------------------------

    def enrol(
        self,
        person_id: str,
        descriptors: Sequence[Descriptor] | np.ndarray,
        consent: Consent,
        retention: timedelta = DEFAULT_RETENTION,
        now: datetime | None = None,
    ) -> Template:
        """Store (or replace) a person's template; the consent record is required."""
        person_id = _check_person(person_id)
        vectors = np.asarray(descriptors, np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != DESCRIPTOR_SIZE or not len(vectors):
            raise TemplateError(
                f"{person_id}: expected one or more {DESCRIPTOR_SIZE}-D descriptors, "
                f"got shape {vectors.shape}"
            )
        if not np.all(np.isfinite(vectors)):
            raise TemplateError(f"{person_id}: descriptors contain NaN or infinity")
        if retention <= timedelta(0):
            raise TemplateError(f"{person_id}: retention must be positive")
        now = now or utcnow()
        template = Template(person_id, vectors, consent, now, now + retention)
        self._write(template)
        if self._audit is not None:
            self._audit.append(
                consent.recorded_by,
                "biometric.enrol",
                person_id,
                {
                    "consent_given_by": consent.given_by,
                    "consent_text_version": consent.text_version,
                    "consent_at": consent.at.isoformat(),
                    "photos": len(vectors),
                    "retain_until": template.retain_until.isoformat(),
                },
            )
        return template

    def erase(self, person_id: str, actor: str, reason: str = "request") -> bool:
        """Delete a person's template (overwritten, then unlinked). True if one existed."""
        person_id = _check_person(person_id)
        path = self.path_for(person_id)
        existed = path.exists()
        if existed:
            _shred(path)
        if self._audit is not None:
            self._audit.append(
                actor, "biometric.erase", person_id, {"reason": reason, "existed": existed}
            )
        return existed

    def purge_expired(self, actor: str = "system", now: datetime | None = None) -> list[str]:
        """Erase every template past its retention deadline; the erased person ids."""
        now = now or utcnow()
        expired = [t.person_id for t in self.templates() if t.retain_until <= now]
        for person_id in expired:
            self.erase(person_id, actor, reason="retention expired")
        return expired

    # --- reading ----------------------------------------------------------------------------

    def load(self, person_id: str) -> Template | None:
        person_id = _check_person(person_id)
        path = self.path_for(person_id)
        if not path.exists():
            return None
        return self._read(path, person_id)

    def templates(self) -> Iterator[Template]:
        """Every readable template (files written under another key raise)."""
        if not self.root.is_dir():
            return
        for path in sorted(self.root.glob("*.tpl")):
            yield self._read(path, None)

    # --- format -----------------------------------------------------------------------------

    def _write(self, template: Template) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        record = {
            "person_id": template.person_id,
            "descriptors": base64.b64encode(template.descriptors.tobytes()).decode(),
            "count": len(template.descriptors),
            "consent": template.consent.as_dict(),
            "enrolled_at": template.enrolled_at.isoformat(),
            "retain_until": template.retain_until.isoformat(),
            "model": template.model,
        }
        path = self.path_for(template.person_id)
        nonce = secrets.token_bytes(_NONCE_BYTES)
        plaintext = json.dumps(record).encode()
        ciphertext = AESGCM(self._key).encrypt(nonce, plaintext, path.stem.encode())
        envelope = {
            "format": FORMAT,
            "key_id": self._key_id,
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(ciphertext).decode(),
        }
        self.root.mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o700)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as file:
            json.dump(envelope, file)
            file.flush()
            os.fsync(file.fileno())
        if path.exists():
            _shred(path)
        os.replace(tmp, path)

    def _read(self, path: Path, person_id: str | None) -> Template:
        from cryptography.exceptions import InvalidTag
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        try:
            envelope = json.loads(path.read_text())
            if envelope.get("format") != FORMAT:
                raise TemplateError(f"{path}: not a face template ({envelope.get('format')!r})")
            if envelope["key_id"] != self._key_id:
                raise TemplateError(f"{path}: written under another key ({envelope['key_id']})")
            nonce = base64.b64decode(envelope["nonce"])
            ciphertext = base64.b64decode(envelope["ciphertext"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise TemplateError(f"{path}: unreadable template ({exc})") from None
        # The file name is authenticated (associated data) and must be the HMAC of the person
        # id inside: a file copied or renamed to another person's name is rejected.
        try:
            plaintext = AESGCM(self._key).decrypt(nonce, ciphertext, path.stem.encode())
        except InvalidTag:
            raise TemplateError(f"{path}: fails authentication (tampered or renamed)") from None
        record: dict[str, Any] = json.loads(plaintext)
        stored_person = str(record["person_id"])
        if self.path_for(stored_person).name != path.name or (
            person_id is not None and stored_person != person_id
        ):
            raise TemplateError(f"{path}: file name does not match its person")
        vectors = np.frombuffer(base64.b64decode(record["descriptors"]), np.float32)
        consent = record["consent"]
        return Template(
            person_id=record["person_id"],
            descriptors=vectors.reshape(int(record["count"]), DESCRIPTOR_SIZE).copy(),
            consent=Consent(
                given_by=consent["given_by"],
                recorded_by=consent["recorded_by"],
                text_version=consent["text_version"],
                at=datetime.fromisoformat(consent["at"]),
            ),
            enrolled_at=datetime.fromisoformat(record["enrolled_at"]),
            retain_until=datetime.fromisoformat(record["retain_until"]),
            model=record["model"],
        )


def _check_person(person_id: str) -> str:
    person_id = str(person_id).strip()
    if not person_id or len(person_id) > 128:
        raise TemplateError(f"person id must be 1-128 characters, got {person_id!r}")
    return person_id


def _shred(path: Path) -> None:
    """Overwrite with random bytes, then unlink. On copy-on-write or journaling filesystems
    and SSDs old blocks may survive; the encryption is what protects them."""
    size = path.stat().st_size
    with path.open("r+b") as file:
        file.write(secrets.token_bytes(size))
        file.flush()
        os.fsync(file.fileno())
    path.unlink()
