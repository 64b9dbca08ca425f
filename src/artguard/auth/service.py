"""Sign-in, sign-out and user management with their audit entries: what the API and the CLI
call, so both record the same things.

Audited (``audit_log``; never a password or a token): ``auth.signed_in``,
``auth.sign_in_failed`` (username, address, why), ``auth.locked_out``, ``auth.signed_out``,
``auth.password_changed``, ``auth.unlocked``, ``user.created``, ``user.role_changed``,
``user.disabled``, ``user.enabled``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from artguard.auth.passwords import Passwords
from artguard.auth.policy import AuthPolicy
from artguard.auth.sessions import Principal, Sessions, csrf_token
from artguard.auth.throttle import SignInThrottle
from artguard.auth.users import User, UserError, Users
from artguard.events import utcnow
from artguard.store.audit import AuditLog

ADMIN = "admin"
REFUSAL_AUDIT_INTERVAL_S = 60.0


class SignInFailed(Exception):
    """Wrong username or password, or a disabled user: deliberately one answer for all."""

    def __init__(self) -> None:
        super().__init__("wrong username or password")


class SignInThrottled(Exception):
    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


@dataclass(frozen=True)
class SignIn:
    token: str
    """The session token for the cookie; shown once, stored only as a hash."""
    principal: Principal


class AuthService:
    def __init__(
        self,
        engine: Engine,
        audit: AuditLog,
        policy: AuthPolicy | None = None,
        passwords: Passwords | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.policy = policy or AuthPolicy()
        self.audit = audit
        self._clock = clock
        self.users = Users(engine, passwords)
        self.sessions = Sessions(engine, self.policy, clock)
        self.throttle = SignInThrottle(engine, self.policy, clock)
        self._refusals: dict[tuple[str, str], tuple[float, int]] = {}

    # signing in and out

    def sign_in(self, username: str, password: str, address: str) -> SignIn:
        """A new session; :class:`SignInThrottled` while locked, else :class:`SignInFailed`."""
        name = username.strip().lower()[:128]
        lock = self.throttle.lock(name, address)
        if lock is not None:
            self._audit_refusal(name, address, f"locked ({lock.scope})")
            raise SignInThrottled(lock.retry_after_s(self._clock()))
        user = self.users.authenticate(name, password)
        if user is None:
            known = self.users.get(name)
            why = "no such user" if known is None else "disabled" if known.disabled else "password"
            self._audit_failure(name, address, why)
            lock = self.throttle.record_failure(name, address)
            if lock is not None:
                self.audit.append(
                    "system",
                    "auth.locked_out",
                    lock.key,
                    {"scope": lock.scope, "until": lock.until.isoformat(), "address": address},
                )
            raise SignInFailed
        self.throttle.clear(name)
        token = self.sessions.start(user.id, address)
        self.users.signed_in(user.id)
        self.audit.append(user.username, "auth.signed_in", user.username, {"address": address})
        principal = self.sessions.resolve(token)
        if principal is None:  # disabled between the two reads
            raise SignInFailed
        return SignIn(token, principal)

    def resolve(self, token: str | None) -> Principal | None:
        return self.sessions.resolve(token)

    def sign_out(self, principal: Principal, address: str) -> None:
        self.sessions.revoke(principal.session_id)
        self.audit.append(
            principal.username, "auth.signed_out", principal.username, {"address": address}
        )

    # managing users (``actor``: who does it, a username or "cli")

    def create_user(self, actor: str, username: str, password: str, role: str) -> User:
        user = self.users.create(username, password, role)
        self.audit.append(actor, "user.created", user.username, {"role": role})
        return user

    def set_role(self, actor: str, username: str, role: str) -> User:
        before = self.users.get(username)
        if before is not None and role != ADMIN:
            self._keep_an_admin(before, "role")
        user, old = self.users.set_role(username, role)
        if old != role:
            self.audit.append(actor, "user.role_changed", user.username, {"from": old, "to": role})
        return user

    def set_disabled(self, actor: str, username: str, disabled: bool) -> User:
        before = self.users.get(username)
        if before is not None and disabled:
            self._keep_an_admin(before, "disabled")
        user = self.users.set_disabled(username, disabled)
        if before is not None and before.disabled != disabled:
            ended = self.sessions.revoke_user(user.id) if disabled else 0
            action = "user.disabled" if disabled else "user.enabled"
            self.audit.append(actor, action, user.username, {"sessions_ended": ended})
        return user

    def change_password(
        self,
        actor: str,
        username: str,
        new_password: str,
        *,
        current_password: str | None = None,
        keep_session: str | None = None,
    ) -> User:
        """Set a password (checking the current one when given) and end the user's sessions
        except ``keep_session`` (the one changing its own password)."""
        if (
            current_password is not None
            and self.users.authenticate(username, current_password) is None
        ):
            raise UserError("current_password: wrong password")
        user = self.users.set_password(username, new_password)
        ended = self.sessions.revoke_user(user.id, keep=keep_session)
        self.audit.append(actor, "auth.password_changed", user.username, {"sessions_ended": ended})
        return user

    def unlock(self, actor: str, username: str) -> int:
        cleared = self.throttle.clear(username.strip().lower())
        self.audit.append(actor, "auth.unlocked", username.strip().lower(), {"failures": cleared})
        return cleared

    def csrf_for(self, token: str) -> str:
        return csrf_token(token)

    def _keep_an_admin(self, user: User, field: str) -> None:
        """Refuse to demote or disable the last enabled admin: nobody could manage users."""
        if user.role == ADMIN and not user.disabled and self.users.count_enabled(ADMIN) <= 1:
            raise UserError(f"{field}: {user.username!r} is the last enabled admin")

    def _audit_refusal(self, username: str, address: str, why: str) -> None:
        """Attempts refused while locked: one entry per username and address per
        :data:`REFUSAL_AUDIT_INTERVAL_S`, counting the attempts it stands for, so hammering a
        locked account cannot flood the audit log."""
        key = (username, address)
        now = time.monotonic()
        last, count = self._refusals.get(key, (float("-inf"), 0))
        if now - last < REFUSAL_AUDIT_INTERVAL_S:
            self._refusals[key] = (last, count + 1)
            return
        if len(self._refusals) > 10_000:  # forget old keys; only the interval matters
            self._refusals.clear()
        self._refusals[key] = (now, 0)
        self._audit_failure(username, address, why, attempts=count + 1)

    def _audit_failure(
        self, username: str, address: str, why: str, attempts: int | None = None
    ) -> None:
        self.audit.append(
            "anonymous",
            "auth.sign_in_failed",
            username,
            {"username": username, "address": address, "reason": why}
            | ({"attempts": attempts} if attempts is not None else {}),
        )
