"""Sign-in and session settings, from the environment (documented in docs/security.md).

* ``ARTGUARD_COOKIE_SECURE`` (default ``true``): mark the session cookie ``Secure`` (sent over
  HTTPS only). Set ``false`` only for development on plain http; ``artguard demo`` does.
* ``ARTGUARD_SESSION_IDLE_MINUTES`` (default 60): a session unused this long ends.
* ``ARTGUARD_SESSION_MAX_HOURS`` (default 12, one shift): a session ends this long after
  sign-in, however busy.
* ``ARTGUARD_LOGIN_MAX_FAILURES`` (default 5): failed sign-ins for one username within the
  window that lock it out.
* ``ARTGUARD_LOGIN_ADDRESS_MAX_FAILURES`` (default 20): the same for one client address.
* ``ARTGUARD_LOGIN_WINDOW_MINUTES`` (default 15): the window failures are counted in.
* ``ARTGUARD_LOGIN_LOCKOUT_MINUTES`` (default 15): how long a lock-out lasts after the last
  failure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

from artguard.config import ConfigError

COOKIE_SECURE_NAME = "__Host-artguard_session"
"""With ``Secure`` the ``__Host-`` prefix makes browsers refuse the cookie unless it is Secure,
for this host only and ``Path=/``, so a sibling subdomain cannot plant or overwrite it."""
COOKIE_PLAIN_NAME = "artguard_session"


@dataclass(frozen=True)
class AuthPolicy:
    cookie_secure: bool = True
    session_idle: timedelta = timedelta(minutes=60)
    session_max: timedelta = timedelta(hours=12)
    max_failures: int = 5
    address_max_failures: int = 20
    failure_window: timedelta = timedelta(minutes=15)
    lockout: timedelta = timedelta(minutes=15)

    @property
    def cookie_name(self) -> str:
        return COOKIE_SECURE_NAME if self.cookie_secure else COOKIE_PLAIN_NAME

    @classmethod
    def from_environ(cls, env: Mapping[str, str]) -> AuthPolicy:
        """The policy from ``ARTGUARD_*`` variables; :class:`ConfigError` naming a bad one."""
        return cls(
            cookie_secure=_flag(env, "ARTGUARD_COOKIE_SECURE", True),
            session_idle=timedelta(minutes=_positive(env, "ARTGUARD_SESSION_IDLE_MINUTES", 60)),
            session_max=timedelta(hours=_positive(env, "ARTGUARD_SESSION_MAX_HOURS", 12)),
            max_failures=int(_positive(env, "ARTGUARD_LOGIN_MAX_FAILURES", 5)),
            address_max_failures=int(_positive(env, "ARTGUARD_LOGIN_ADDRESS_MAX_FAILURES", 20)),
            failure_window=timedelta(minutes=_positive(env, "ARTGUARD_LOGIN_WINDOW_MINUTES", 15)),
            lockout=timedelta(minutes=_positive(env, "ARTGUARD_LOGIN_LOCKOUT_MINUTES", 15)),
        )


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name}={raw!r}: expected true or false")


def _positive(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r}: expected a positive number") from None
    if not value > 0:
        raise ConfigError(f"{name}={raw!r}: expected a positive number")
    return value
