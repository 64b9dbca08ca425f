"""The ingestion service: the one door through which outside events enter artguard.

For every batch, whatever the transport (HTTP, MQTT, a JSONL replay): authenticate the sender's
device token, validate each item on its own (one bad item never spoils the others), check that
the device exists in the site and may send that kind of event, store the valid ones durably,
and only then publish the new ones on the bus. A resent event (same id) is acknowledged again
but neither stored nor published twice.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from artguard.bus import Bus
from artguard.events import DEVICE_EVENT_KINDS, EventBase, parse_event, utcnow
from artguard.ingest.device_check import DeviceChecker
from artguard.ingest.tokens import DeviceTokens, TokenGrant
from artguard.ingest.writer import EventWriter

log = logging.getLogger(__name__)

MAX_BATCH = 10_000


class AuthError(Exception):
    """A missing, unknown or revoked device token."""


@dataclass(frozen=True)
class Rejection:
    """Why one item of a batch was not accepted."""

    index: int
    event_id: str | None
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "event_id": self.event_id,
            "field": self.field,
            "message": self.message,
        }


@dataclass
class IngestResult:
    accepted: list[str] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": [r.as_dict() for r in self.rejected],
        }


@dataclass
class IngestCounters:
    accepted: int = 0
    duplicates: int = 0
    rejected: int = 0
    auth_failures: int = 0
    batches: int = 0


AuthFailureHook = Callable[[str, str], Awaitable[None]]
"""Called with (source, reason) on every authentication failure."""


def content_id(item: dict[str, Any]) -> str:
    """An id derived from the event's content, for senders that send none.

    Resending the same event (same device, time and values) then yields the same id, so
    retries and replays stay idempotent even without sender-chosen ids.
    """
    canonical = json.dumps(item, sort_keys=True, separators=(",", ":"), default=str)
    return "h-" + hashlib.sha256(canonical.encode()).hexdigest()[:40]


def _field_of(error: dict[str, Any], kind: str) -> str:
    loc = list(error.get("loc", ()))
    if loc and loc[0] == kind:  # the discriminated union puts the event kind first
        loc = loc[1:]
    return ".".join(str(part) for part in loc) or "(event)"


def _rejections_from(index: int, item: dict[str, Any], exc: ValidationError) -> list[Rejection]:
    event_id = item.get("id") if isinstance(item.get("id"), str) else None
    return [
        Rejection(index, event_id, _field_of(err, str(item.get("kind"))), err.get("msg", "invalid"))
        for err in exc.errors(include_url=False)
    ]


class IngestService:
    """Validates, authenticates, durably stores and publishes incoming device events."""

    def __init__(
        self,
        *,
        checker: DeviceChecker,
        writer: EventWriter,
        bus: Bus,
        tokens: DeviceTokens,
        on_auth_failure: AuthFailureHook | None = None,
    ) -> None:
        self._checker = checker
        self._writer = writer
        self._bus = bus
        self._tokens = tokens
        self._on_auth_failure = on_auth_failure
        self.counters = IngestCounters()

    async def submit(
        self, items: list[Any], *, token: str | None, source: str, trusted: bool = False
    ) -> IngestResult:
        """Accept what is valid in ``items``; see the module docstring.

        ``trusted`` skips the token check for in-process senders (the CLI replay, the digital
        twin of drills and the demo), which run with the server's own privileges.
        """
        grant = None if trusted else await self._authenticate(token, source)
        result = IngestResult()
        if len(items) > MAX_BATCH:
            result.rejected.append(
                Rejection(-1, None, "(batch)", f"batch of {len(items)} exceeds {MAX_BATCH}")
            )
            self.counters.rejected += len(items)
            return result
        valid = self._validate(items, grant, result)
        if valid:
            new_ids = await self._writer.write(valid)
            fresh = []
            for event in valid:
                if event.id in new_ids:
                    result.accepted.append(event.id)
                    fresh.append(event)
                else:
                    result.duplicates.append(event.id)
            await self._bus.publish_many(fresh)
        self.counters.batches += 1
        self.counters.accepted += len(result.accepted)
        self.counters.duplicates += len(result.duplicates)
        self.counters.rejected += len(result.rejected)
        return result

    async def _authenticate(self, token: str | None, source: str) -> TokenGrant:
        grant = await asyncio.to_thread(self._tokens.verify, token)
        if grant is None:
            reason = "missing device token" if not token else "unknown or revoked device token"
            self.counters.auth_failures += 1
            if self._on_auth_failure is not None:
                await self._on_auth_failure(source, reason)
            raise AuthError(reason)
        return grant

    def _validate(
        self, items: list[Any], grant: TokenGrant | None, result: IngestResult
    ) -> list[EventBase]:
        now = utcnow()
        valid: list[EventBase] = []
        for index, item in enumerate(items):
            kind = item.get("kind") if isinstance(item, dict) else None
            if not isinstance(item, dict):
                result.rejected.append(
                    Rejection(index, None, "(event)", "expected a JSON object for each event")
                )
                continue
            if kind not in DEVICE_EVENT_KINDS:
                expected = ", ".join(sorted(DEVICE_EVENT_KINDS))
                result.rejected.append(
                    Rejection(
                        index,
                        item.get("id") if isinstance(item.get("id"), str) else None,
                        "kind",
                        f"unknown or non-device event kind {kind!r} (expected one of: {expected})",
                    )
                )
                continue
            if "id" not in item:
                item = {**item, "id": content_id(item)}
            try:
                event = parse_event({**item, "received_time": now})
            except ValidationError as exc:
                result.rejected.extend(_rejections_from(index, item, exc))
                continue
            problem = self._checker.problem(event)
            if problem is None and grant is not None and not grant.allows(event.device_id):
                problem = (
                    "device_id",
                    f"token {grant.name!r} may not send events for device {event.device_id!r}",
                )
            if problem is not None:
                result.rejected.append(Rejection(index, event.id, problem[0], problem[1]))
                continue
            valid.append(event)
        return valid
