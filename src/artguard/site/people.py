"""Who may be where and when: roles, people and the credentials they present."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, Field, field_validator, model_validator

from artguard.site.base import ID_RULE, Id, Name, SiteModel, Text, is_valid_id, unique_values

ALL_ROOMS = "*"
"""In a person's ``zones``: every room."""

CredentialType = Literal["card", "pin", "mobile", "face"]


class Role(SiteModel):
    """A staff role, e.g. guard or conservator."""

    id: Id = Field(description="Role id, referenced by people.")
    name: Name = Field(description="Human name.")
    description: Text | None = Field(default=None, description="What people in this role do.")


def _when(value: object) -> datetime | date | None:
    """A date (whole day, site time) or a date-time (naive = site time)."""
    if value is None or isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        for parse in (date.fromisoformat, datetime.fromisoformat):
            try:
                return parse(value.strip())
            except ValueError:
                continue
    raise ValueError(
        f"expected a date (2026-01-31) or date-time (2026-01-31T08:00:00), got {value!r}"
    )


When = Annotated[datetime | date | None, BeforeValidator(_when)]


def _bound(value: datetime | date | None, tz: ZoneInfo, *, end: bool) -> datetime | None:
    """An aware instant for a validity bound; a date ``valid_until`` includes that whole day."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=tz)
    moment = datetime.combine(value, time.max if end else time.min)
    return moment.replace(tzinfo=tz)


class Credential(SiteModel):
    """Something a person presents at a reader."""

    id: Id = Field(description="Credential id as the reader reports it (unique site-wide).")
    type: CredentialType = Field(description="card, pin, mobile or face.")
    valid_from: When = Field(
        default=None, description="First day/time it is valid (site time); null: always."
    )
    valid_until: When = Field(
        default=None, description="Last day (inclusive) or time it is valid; null: no expiry."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Credential:
        utc = ZoneInfo("UTC")
        start = _bound(self.valid_from, utc, end=False)
        stop = _bound(self.valid_until, utc, end=True)
        if start is not None and stop is not None and start > stop:
            raise ValueError("valid_from is after valid_until")
        return self

    def valid_at(self, at: datetime, tz: ZoneInfo) -> bool:
        """Whether the credential is within its validity period at aware instant ``at``."""
        start = _bound(self.valid_from, tz, end=False)
        stop = _bound(self.valid_until, tz, end=True)
        return (start is None or at >= start) and (stop is None or at <= stop)


class Person(SiteModel):
    """A member of staff, volunteer or contractor who holds credentials."""

    id: Id = Field(description="Person id.")
    name: Name = Field(description="Full name.")
    role: Id = Field(description="Id of one of the declared roles.")
    schedule: Id | None = Field(
        default=None, description="Schedule id of their shift; null: no regular hours."
    )
    zones: list[str] = Field(
        default_factory=list, description=f"Room ids they may enter; '{ALL_ROOMS}' means all rooms."
    )
    credentials: list[Credential] = Field(
        default_factory=list, description="Cards, PINs, phones and face templates they use."
    )

    @field_validator("zones")
    @classmethod
    def _zone_ids(cls, zones: list[str]) -> list[str]:
        for zone in zones:
            if zone != ALL_ROOMS and not is_valid_id(zone):
                raise ValueError(f"invalid room id {zone!r} in zones: ids are {ID_RULE}, or '*'")
        return unique_values(zones, "zone")
