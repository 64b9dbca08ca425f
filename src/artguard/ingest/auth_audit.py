"""Audit entries for rejected device tokens, throttled so a misbehaving sender cannot flood
the audit log: at most one entry per source per interval, carrying the count it stands for."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from artguard.store.audit import AuditLog


@dataclass
class _SourceState:
    last_logged: float
    suppressed: int = 0


class AuthFailureAuditor:
    def __init__(self, audit: AuditLog, interval_s: float = 60.0) -> None:
        self._audit = audit
        self._interval = interval_s
        self._sources: dict[str, _SourceState] = {}

    async def __call__(self, source: str, reason: str) -> None:
        now = time.monotonic()
        state = self._sources.get(source)
        if state is not None and now - state.last_logged < self._interval:
            state.suppressed += 1
            return
        failures = 1 + (state.suppressed if state else 0)
        self._sources[source] = _SourceState(last_logged=now)
        await asyncio.to_thread(
            self._audit.append,
            "anonymous",
            "ingest.auth_failed",
            source,
            {"reason": reason, "failures": failures, "interval_s": self._interval},
        )
