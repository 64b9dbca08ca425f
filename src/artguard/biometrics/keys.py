"""The key that encrypts face templates at rest: from configuration, never from the database.

``ARTGUARD_BIOMETRIC_KEY`` holds 32 random bytes in URL-safe base64 (``artguard face
new-key`` prints one), or ``ARTGUARD_BIOMETRIC_KEY_FILE`` names a file holding that text (a
secret mounted by the orchestrator). Both set is an error: which one wins would be a guess.
Losing the key makes every template unreadable (re-enrol); that is also the fastest way to
erase them all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from collections.abc import Mapping
from pathlib import Path

KEY_ENV = "ARTGUARD_BIOMETRIC_KEY"
KEY_FILE_ENV = "ARTGUARD_BIOMETRIC_KEY_FILE"
KEY_BYTES = 32


class BiometricKeyError(ValueError):
    """The template key is missing or malformed; the message names the variable."""


def new_key() -> str:
    """A fresh random key in the text form the settings take."""
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode()


def parse_key(text: str, where: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.strip().encode())
    except (binascii.Error, ValueError) as exc:
        raise BiometricKeyError(f"{where}: not URL-safe base64 ({exc})") from None
    if len(raw) != KEY_BYTES:
        raise BiometricKeyError(f"{where}: expected {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def load_key(environ: Mapping[str, str]) -> bytes:
    """The template key from the environment (see the module docstring)."""
    inline, path = environ.get(KEY_ENV), environ.get(KEY_FILE_ENV)
    if inline and path:
        raise BiometricKeyError(f"set {KEY_ENV} or {KEY_FILE_ENV}, not both")
    if inline:
        return parse_key(inline, KEY_ENV)
    if path:
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise BiometricKeyError(f"{KEY_FILE_ENV}={path}: cannot read ({exc})") from None
        return parse_key(text, f"{KEY_FILE_ENV}={path}")
    raise BiometricKeyError(
        f"face templates need a key: set {KEY_ENV} (see 'artguard face new-key') or {KEY_FILE_ENV}"
    )


def key_id(key: bytes) -> str:
    """A short public fingerprint of the key, stored with each template so a wrong key is
    reported as such rather than as corrupt data."""
    return hashlib.sha256(b"artguard-biometric-key-id" + key).hexdigest()[:16]
