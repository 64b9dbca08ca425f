"""How long something has been somewhere: the dwell clock every vision rule keeps per track.

A detector misses a person now and then (a keypoint flickers below its score, a visitor is
hidden behind another for a frame), so a presence only ends after it has not been seen for
``gap``; a shorter absence continues it. Durations run from the first to the latest frame in
which the thing was seen, in the events' own site time, so a replay gives the same answers.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass
class Presence:
    since: datetime
    last: datetime
    first_event_id: str
    alerted: bool = False

    @property
    def seconds(self) -> float:
        return (self.last - self.since).total_seconds()


class PresenceTracker(Generic[K]):
    """Open presences by key (e.g. camera, zone, track)."""

    def __init__(self, gap: timedelta) -> None:
        self._gap = gap
        self._open: dict[K, Presence] = {}

    def seen(self, key: K, at: datetime, event_id: str) -> Presence:
        """Record ``key`` seen at ``at``; the presence it belongs to (new after a gap)."""
        presence = self._open.get(key)
        if presence is None or at - presence.last > self._gap:
            presence = Presence(since=at, last=at, first_event_id=event_id)
            self._open[key] = presence
        elif at > presence.last:
            presence.last = at
        return presence

    def prune(self, now: datetime) -> None:
        """Forget presences that ended (not seen for longer than the gap)."""
        ended = [k for k, p in self._open.items() if now - p.last > self._gap]
        for key in ended:
            del self._open[key]

    def __len__(self) -> int:
        return len(self._open)
