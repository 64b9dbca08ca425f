"""What the decision point remembers between requests.

Everything here follows from earlier decisions and door reports, so it can be rebuilt after a
restart by replaying the stored ``access_decision`` and ``door_state`` events in order
(:meth:`AccessState.apply` and :meth:`AccessState.door_changed`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from artguard.access.request import Decision


@dataclass(frozen=True)
class Grant:
    """A granted entry, remembered for escorts and the two-person rule."""

    person_id: str
    role: str | None
    at: datetime
    verified: bool = False
    """Whether the request carried every factor of a high-security room."""


@dataclass
class Presence:
    """Where a person was last let in (or out) to."""

    room_id: str
    at: datetime
    door_id: str


@dataclass
class AccessState:
    """Door decisions' memory: presence, denials, lock-outs, pending pairs, open doors."""

    threat_level: str = "normal"
    threat_reason: str = ""
    where: dict[str, Presence] = field(default_factory=dict)
    """Person id -> the room their last granted passage led into."""
    last_use: dict[tuple[str, str], datetime] = field(default_factory=dict)
    """(credential, door) -> time of the last granted entry (timed anti-passback)."""
    denials: dict[str, deque[datetime]] = field(default_factory=dict)
    """Credential -> times of consecutive denials (cleared by a grant)."""
    locked_until: dict[str, datetime] = field(default_factory=dict)
    pending_pair: dict[str, Grant] = field(default_factory=dict)
    """Door -> the first of two people waiting for the second (two-person rule)."""
    opened_on: dict[str, date] = field(default_factory=dict)
    """Room -> the local date a supervisor opened it (first-person-in)."""
    door_open: dict[str, bool] = field(default_factory=dict)
    recent_grants: dict[str, deque[Grant]] = field(default_factory=dict)
    """Door -> the last few grants there (escorts)."""
    verified_at: dict[str, datetime] = field(default_factory=dict)
    """Person id -> the last time they presented every factor of a high-security room."""

    def presence(self, person_id: str) -> Presence | None:
        return self.where.get(person_id)

    def denial_count(self, credential_id: str, now: datetime, within: timedelta) -> int:
        times = self.denials.get(credential_id)
        return sum(1 for t in times if now - t <= within) if times else 0

    def locked(self, credential_id: str, now: datetime) -> datetime | None:
        until = self.locked_until.get(credential_id)
        return until if until is not None and now < until else None

    def door_changed(self, door_id: str, is_open: bool) -> None:
        self.door_open[door_id] = is_open

    def apply(
        self,
        decision: Decision,
        *,
        local_day: date,
        lockout_after: int,
        lockout_within: timedelta,
        lockout_for: timedelta,
        opens_rooms: bool,
        full_verification: bool,
    ) -> None:
        """Remember a decision. ``opens_rooms``: a supervisor's grant opens first-person-in
        rooms; ``full_verification``: the request carried every factor of a high-security room
        (re-verification restarts)."""
        request = decision.request
        now = request.at
        credential = request.credential_id
        if decision.outcome == "deny":
            times = self.denials.setdefault(credential, deque(maxlen=max(lockout_after, 1)))
            times.append(now)
            if sum(1 for t in times if now - t <= lockout_within) >= lockout_after:
                self.locked_until[credential] = now + lockout_for
            return
        if decision.outcome == "step_up":
            if "second_person" in decision.required and decision.door_id and decision.person_id:
                self.pending_pair[decision.door_id] = Grant(
                    decision.person_id, decision.role, now, full_verification
                )
            return
        self.denials.pop(credential, None)
        if decision.person_id is None or decision.door_id is None or decision.room_id is None:
            return
        self.where[decision.person_id] = Presence(decision.room_id, now, decision.door_id)
        if decision.direction == "out":
            return
        self.last_use[(credential, decision.door_id)] = now
        grants = self.recent_grants.setdefault(decision.door_id, deque(maxlen=16))
        grants.append(Grant(decision.person_id, decision.role, now))
        pending = self.pending_pair.get(decision.door_id)
        if pending is not None and pending.person_id != decision.person_id:
            del self.pending_pair[decision.door_id]
            self.where[pending.person_id] = Presence(decision.room_id, now, decision.door_id)
            if pending.verified:
                self.verified_at[pending.person_id] = pending.at
        if opens_rooms:
            self.opened_on[decision.room_id] = local_day
        if full_verification:
            self.verified_at[decision.person_id] = now
