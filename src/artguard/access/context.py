"""Everything one decision looks at, gathered once: the request, the door, the person, the
rooms on either side, the policy and the remembered state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from artguard.access.request import AccessRequest
from artguard.access.state import AccessState
from artguard.site import Door, Person, Site
from artguard.site.access_policy import AccessPolicy
from artguard.site.entities import OUTSIDE
from artguard.site.people import Credential


@dataclass(frozen=True)
class Context:
    site: Site
    policy: AccessPolicy
    state: AccessState
    request: AccessRequest
    door: Door
    direction: Literal["in", "out"]
    person: Person | None
    credential: Credential | None

    @property
    def now(self) -> datetime:
        return self.request.at

    @property
    def target_room(self) -> str:
        """The room the passage leads into (``outside`` for leaving the building)."""
        return self.door.to_room if self.direction == "in" else self.door.from_room

    @property
    def target_level(self) -> int:
        """Security level of the room entered; leaving to ``outside`` counts as level 1."""
        room = self.target_room
        return 1 if room == OUTSIDE else self.site.room(room).security_level

    @property
    def role(self) -> str | None:
        return self.person.role if self.person else None

    def clock(self, at: datetime | None = None) -> str:
        """A time as guards read it (site local)."""
        return f"{(at or self.now).astimezone(self.site.tz):%H:%M}"

    def room_name(self, room_id: str) -> str:
        return "outside" if room_id == OUTSIDE else self.site.room(room_id).name
