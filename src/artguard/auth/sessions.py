"""Sign-in sessions: a random token in the browser's cookie, only its SHA-256 in the database.

A session ends when it has not been used for ``policy.session_idle``, at ``policy.session_max``
after sign-in however busy, on sign-out, and when its user's password changes or the user is
disabled (:meth:`Sessions.revoke_user`). Its CSRF token is derived from the session token
(HMAC), so it needs no storage and is worthless without the cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, select, update

from artguard.auth.policy import AuthPolicy
from artguard.auth.roles import allows
from artguard.events import utcnow
from artguard.store.db import writing
from artguard.store.tables import user_sessions, users

TOUCH_EVERY = timedelta(seconds=60)
"""``last_seen_time`` is written at most this often per session, not on every request."""


def session_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_token(token: str) -> str:
    """The CSRF token of the session whose cookie holds ``token``."""
    return hmac.new(token.encode(), b"artguard-csrf-v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Principal:
    """The signed-in user behind a request."""

    user_id: str
    username: str
    role: str
    session_id: str
    csrf_token: str

    def can(self, permission: str) -> bool:
        return allows(self.role, permission)


class Sessions:
    def __init__(
        self, engine: Engine, policy: AuthPolicy, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._clock = clock

    def start(self, user_id: str, address: str | None) -> str:
        """A new session for ``user_id``; returns its token (shown to the client only)."""
        token = secrets.token_urlsafe(32)
        now = self._clock()
        with writing(self._engine) as conn:
            # Sessions past their absolute end are dead either way; keep the table small.
            conn.execute(delete(user_sessions).where(user_sessions.c.expires_time < now))
            conn.execute(
                user_sessions.insert().values(
                    id=session_id(token),
                    user_id=user_id,
                    created_time=now,
                    last_seen_time=now,
                    expires_time=now + self._policy.session_max,
                    revoked_time=None,
                    address=(address or "")[:64] or None,
                )
            )
        return token

    def resolve(self, token: str | None) -> Principal | None:
        """The principal of a live session of an enabled user; None otherwise."""
        if not token or len(token) > 256:
            return None
        sid = session_id(token)
        now = self._clock()
        with self._engine.connect() as conn:
            row = conn.execute(
                select(
                    user_sessions.c.last_seen_time,
                    user_sessions.c.expires_time,
                    user_sessions.c.revoked_time,
                    users.c.id,
                    users.c.username,
                    users.c.role,
                    users.c.disabled,
                )
                .join(users, users.c.id == user_sessions.c.user_id)
                .where(user_sessions.c.id == sid)
            ).first()
        if row is None or row.revoked_time is not None or row.disabled:
            return None
        if now >= row.expires_time or now - row.last_seen_time >= self._policy.session_idle:
            return None
        if now - row.last_seen_time >= TOUCH_EVERY:
            with writing(self._engine) as conn:
                conn.execute(
                    update(user_sessions)
                    .where(user_sessions.c.id == sid)
                    .values(last_seen_time=now)
                )
        return Principal(row.id, row.username, row.role, sid, csrf_token(token))

    def revoke(self, sid: str) -> bool:
        """End one session (by id, the token's hash)."""
        with writing(self._engine) as conn:
            result = conn.execute(
                update(user_sessions)
                .where(user_sessions.c.id == sid, user_sessions.c.revoked_time.is_(None))
                .values(revoked_time=self._clock())
            )
        return result.rowcount > 0

    def revoke_user(self, user_id: str, keep: str | None = None) -> int:
        """End every session of a user (but ``keep``); returns how many were live."""
        stmt = update(user_sessions).where(
            user_sessions.c.user_id == user_id, user_sessions.c.revoked_time.is_(None)
        )
        if keep is not None:
            stmt = stmt.where(user_sessions.c.id != keep)
        with writing(self._engine) as conn:
            return conn.execute(stmt.values(revoked_time=self._clock())).rowcount
