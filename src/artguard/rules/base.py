"""What a rule is: a small object that turns events (and the passing of time) into alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from artguard.events import Alert, EventBase, Severity

# Security level of a room (1 public ... 4 vault) -> severity of an intrusion-type alert there.
SEVERITY_BY_SECURITY_LEVEL: dict[int, Severity] = {
    1: Severity.medium,
    2: Severity.high,
    3: Severity.high,
    4: Severity.critical,
}


class Rule(Protocol):
    """A rule; stateful rules keep their own state and must be cheap per event."""

    name: str
    kinds: frozenset[str]

    def on_event(self, event: EventBase) -> list[Alert]:
        """Alerts caused by this event (most events cause none)."""

    def on_tick(self, now: datetime) -> list[Alert]:
        """Alerts due by the time ``now`` (e.g. a door still open too long)."""
