"""Sign-in throttling: failed sign-ins counted per username and per client address.

``policy.max_failures`` failures for one username within ``policy.failure_window`` lock that
username out, and ``policy.address_max_failures`` from one address rate-limit that address,
each until ``policy.lockout`` after the last failure. Failures are rows in
``sign_in_failures``, so a restart does not reset the count. While locked, even the right
password is refused; a successful sign-in clears the username's failures (not the address's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, Engine, delete, func, select

from artguard.auth.policy import AuthPolicy
from artguard.events import utcnow
from artguard.store.db import writing
from artguard.store.tables import sign_in_failures

_f = sign_in_failures.c


@dataclass(frozen=True)
class Lock:
    """Why and until when sign-in is refused."""

    scope: str  # "username" or "address"
    key: str
    until: datetime

    def retry_after_s(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 0.999))


class SignInThrottle:
    def __init__(
        self, engine: Engine, policy: AuthPolicy, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self._engine = engine
        self._policy = policy
        self._clock = clock

    def lock(self, username: str, address: str) -> Lock | None:
        """The lock in force for this username or address, if any."""
        now = self._clock()
        for scope, column, key, limit in (
            ("username", _f.username, username, self._policy.max_failures),
            ("address", _f.address, address, self._policy.address_max_failures),
        ):
            count, last = self._failures(column, key, now)
            if count >= limit and last is not None and now < last + self._policy.lockout:
                return Lock(scope, key, last + self._policy.lockout)
        return None

    def record_failure(self, username: str, address: str) -> Lock | None:
        """Count a failure; returns the lock it starts (None if it starts none)."""
        now = self._clock()
        horizon = now - max(self._policy.failure_window, self._policy.lockout) * 2
        with writing(self._engine) as conn:
            conn.execute(delete(sign_in_failures).where(_f.failed_time < horizon))
            conn.execute(
                sign_in_failures.insert().values(
                    username=username[:128], address=address[:64], failed_time=now
                )
            )
        return self.lock(username, address)

    def clear(self, username: str) -> int:
        """Forget a username's failures (after a good sign-in, or an admin's unlock)."""
        with writing(self._engine) as conn:
            return conn.execute(delete(sign_in_failures).where(_f.username == username)).rowcount

    def _failures(
        self, column: ColumnElement[str], key: str, now: datetime
    ) -> tuple[int, datetime | None]:
        since = now - self._policy.failure_window
        with self._engine.connect() as conn:
            row = conn.execute(
                select(func.count(), func.max(_f.failed_time)).where(
                    column == key,
                    _f.failed_time >= since,
                )
            ).first()
        if row is None or not row[0]:
            return 0, None
        return int(row[0]), row[1]  # max() keeps the column's type: an aware UTC datetime
