"""Password hashing (argon2id) and the password policy.

Hashes are argon2-cffi's PHC strings (``$argon2id$v=19$m=...``), which carry their own salt and
cost, so raising the cost later only needs :meth:`Passwords.needs_rehash` at the next sign-in.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 12
MAX_LENGTH = 1024
"""Longer inputs are refused before hashing, so nobody can make the server hash megabytes."""


class PasswordRejected(ValueError):
    """A new password breaks the policy; the message says which rule."""


def check_policy(password: str, username: str) -> None:
    """At least 12 characters, at most 1024, not the username (in any case or spacing)."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"password: needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"password: at most {MAX_LENGTH} characters")
    squashed = "".join(password.split()).casefold()
    name = "".join(username.split()).casefold()
    # The username, or mostly the username ("alice.smith2026!" for alice.smith), is refused.
    if name and name in squashed and 2 * len(name) >= len(squashed):
        raise PasswordRejected("password: must not be the username or mostly made of it")


class Passwords:
    """argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, 64 MiB, p=4)."""

    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # A real hash to verify against when the user does not exist, so an unknown username
        # costs the same time as a wrong password (no user enumeration by timing).
        self._dummy = self._hasher.hash("artguard-no-such-user-placeholder")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when ``password`` matches ``stored``; None (no such user) still costs a hash."""
        if len(password) > MAX_LENGTH:
            return False
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)
