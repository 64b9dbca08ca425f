"""Per-device ingestion tokens: issued once in clear, stored only as SHA-256 hashes.

Tokens are 256-bit random strings, so a fast hash is enough (no password-stretching needed);
verification is a lookup by hash. A short in-memory cache keeps the hot path off the database,
and is cleared on revoke so a revoked token stops working at once in this process (other
processes notice within ``cache_seconds``).

Rotation issues a new token for the same devices and schedules the old one's revocation after
a grace period (``revoked_time`` in the future), so a device can be switched over without a
gap; until then both work.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Engine, or_, select, update

from artguard.events import new_id, utcnow
from artguard.store.db import writing
from artguard.store.tables import device_tokens

TOKEN_PREFIX = "agd_"
ALL_DEVICES = "*"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class TokenGrant:
    """Who a valid token speaks for."""

    token_id: str
    name: str
    devices: frozenset[str]
    expires: datetime | None = None
    """When a rotated-out token stops working (its scheduled revocation)."""

    def allows(self, device_id: str) -> bool:
        return ALL_DEVICES in self.devices or device_id in self.devices


@dataclass(frozen=True)
class TokenInfo:
    token_id: str
    name: str
    devices: list[str]
    created_time: datetime
    revoked_time: datetime | None


class DeviceTokens:
    """Create, verify, list and revoke device tokens."""

    def __init__(self, engine: Engine, cache_seconds: float = 5.0) -> None:
        self._engine = engine
        self._cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, TokenGrant | None]] = {}
        self._lock = threading.Lock()

    def create(self, name: str, devices: list[str]) -> tuple[str, str]:
        """A new token for ``devices`` (``*`` = any device); returns (token id, clear token)."""
        if not devices:
            raise ValueError("a token needs at least one device id (or '*')")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token_id = new_id()[:16]
        with writing(self._engine) as conn:
            conn.execute(
                device_tokens.insert().values(
                    id=token_id,
                    name=name,
                    token_hash=hash_token(token),
                    devices=sorted(set(devices)),
                    created_time=utcnow(),
                    revoked_time=None,
                )
            )
        return token_id, token

    def verify(self, token: str | None) -> TokenGrant | None:
        """The grant for a valid, unrevoked token; None otherwise."""
        if not token:
            return None
        digest = hash_token(token)
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached and now - cached[0] < self._cache_seconds:
            grant = cached[1]
        else:
            grant = self._lookup(digest)
            with self._lock:
                self._cache[digest] = (now, grant)
        if grant is not None and grant.expires is not None and utcnow() >= grant.expires:
            return None
        return grant

    def revoke(self, token_id: str) -> bool:
        """Revoke now (also a token whose revocation a rotation scheduled for later)."""
        now = utcnow()
        with writing(self._engine) as conn:
            result = conn.execute(
                update(device_tokens)
                .where(device_tokens.c.id == token_id, _active(now))
                .values(revoked_time=now)
            )
        with self._lock:
            self._cache.clear()
        return result.rowcount > 0

    def rotate(self, token_id: str, grace: timedelta = timedelta(0)) -> tuple[str, str, datetime]:
        """A new token for the same name and devices; the old one stops working after
        ``grace``. Returns (new token id, clear new token, when the old one stops).

        :class:`LookupError` when ``token_id`` is not an active token."""
        if grace < timedelta(0):
            raise ValueError(f"grace: must not be negative, got {grace}")
        now = utcnow()
        with self._engine.connect() as conn:
            row = conn.execute(
                select(device_tokens).where(device_tokens.c.id == token_id, _active(now))
            ).first()
        if row is None:
            raise LookupError(f"no active token {token_id!r}")
        new_id_, token = self.create(row.name, list(row.devices))
        ends = now + grace
        with writing(self._engine) as conn:
            conn.execute(
                update(device_tokens)
                .where(
                    device_tokens.c.id == token_id,
                    or_(
                        device_tokens.c.revoked_time.is_(None), device_tokens.c.revoked_time > ends
                    ),
                )
                .values(revoked_time=ends)
            )
        with self._lock:
            self._cache.clear()
        return new_id_, token, ends

    def list(self) -> list[TokenInfo]:
        with self._engine.connect() as conn:
            rows = conn.execute(select(device_tokens).order_by(device_tokens.c.created_time))
            return [
                TokenInfo(r.id, r.name, list(r.devices), r.created_time, r.revoked_time)
                for r in rows
            ]

    def _lookup(self, digest: str) -> TokenGrant | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(device_tokens).where(device_tokens.c.token_hash == digest, _active(utcnow()))
            ).first()
        if row is None:
            return None
        return TokenGrant(
            token_id=row.id, name=row.name, devices=frozenset(row.devices), expires=row.revoked_time
        )


def _active(now: datetime) -> ColumnElement[bool]:
    """Not revoked, or revocation scheduled for later (a rotated-out token in its grace)."""
    return or_(device_tokens.c.revoked_time.is_(None), device_tokens.c.revoked_time > now)
