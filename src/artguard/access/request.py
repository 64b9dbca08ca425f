"""What a door asks and what artguard answers.

A reader (or the panel behind it) sends an :class:`AccessRequest`: who (the credential), where
(the reader), when, and how (the factors the reader verified: card, PIN, face, mobile). The
decision point answers with a :class:`Decision`: ``grant``, ``deny`` or ``step_up`` (with what
is still required), a risk score in [0, 1], and every reason in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Outcome = Literal["grant", "deny", "step_up"]
Requirement = Literal["card", "pin", "face", "mobile", "second_person", "escort"]
"""What a step-up may still need: another factor, a second authorised person, or an escort."""

FACTORS: frozenset[str] = frozenset({"card", "pin", "face", "mobile"})


class RequestError(ValueError):
    """A request that cannot be decided as sent (names the field that is wrong)."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(f"{field_name}: {message}")
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class AccessRequest:
    """One presentation at a reader."""

    credential_id: str
    reader_id: str
    at: datetime
    factors: frozenset[str] = frozenset({"card"})
    request_id: str | None = None

    def __post_init__(self) -> None:
        if not self.credential_id:
            raise RequestError("credential_id", "is empty")
        if not self.reader_id:
            raise RequestError("reader_id", "is empty")
        if self.at.tzinfo is None or self.at.utcoffset() is None:
            raise RequestError("at", f"needs a timezone (got {self.at.isoformat()})")
        unknown = sorted(set(self.factors) - FACTORS)
        if unknown:
            raise RequestError(
                "factors", f"unknown factor(s) {unknown}; expected some of {sorted(FACTORS)}"
            )
        if not self.factors:
            raise RequestError("factors", "at least one factor must be presented")

    @classmethod
    def make(
        cls,
        credential_id: str,
        reader_id: str,
        at: datetime,
        factors: Iterable[str] = ("card",),
        request_id: str | None = None,
    ) -> AccessRequest:
        return cls(credential_id, reader_id, at, frozenset(factors), request_id)


@dataclass(frozen=True)
class Finding:
    """One policy rule's verdict on a request.

    ``effect`` is ``deny`` (refuse), ``require`` (grant only with ``needs`` added), ``note``
    (grant, but worth an alert, e.g. soft anti-passback) or ``risk`` (adds ``risk`` to the score).
    """

    rule: str
    effect: Literal["deny", "require", "note", "risk"]
    reason: str
    needs: tuple[Requirement, ...] = ()
    risk: float = 0.0


@dataclass
class Decision:
    """The answer to one request, with everything needed to explain and audit it."""

    outcome: Outcome
    request: AccessRequest
    risk: float
    reasons: list[str]
    required: list[Requirement] = field(default_factory=list)
    """For ``step_up``: what is still missing (factors, ``second_person``, ``escort``)."""
    findings: list[Finding] = field(default_factory=list)
    person_id: str | None = None
    role: str | None = None
    door_id: str | None = None
    room_id: str | None = None
    """The room the request leads into."""
    direction: Literal["in", "out"] = "in"
    threat_level: str = "normal"

    @property
    def granted(self) -> bool:
        return self.outcome == "grant"

    @property
    def notes(self) -> list[Finding]:
        """Findings that do not change a grant but deserve an alert."""
        return [f for f in self.findings if f.effect == "note"]

    def as_dict(self) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "required": list(self.required),
            "risk": round(self.risk, 3),
            "reasons": list(self.reasons),
            "rules": [f.rule for f in self.findings],
            "credential_id": self.request.credential_id,
            "reader_id": self.request.reader_id,
            "at": self.request.at.isoformat(),
            "factors": sorted(self.request.factors),
            "person_id": self.person_id,
            "role": self.role,
            "door_id": self.door_id,
            "room_id": self.room_id,
            "direction": self.direction,
            "threat_level": self.threat_level,
            "request_id": self.request.request_id,
        }
