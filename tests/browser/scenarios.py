"""Event scripts the browser tests inject through ``POST /api/events``, like devices would.

Each call of :meth:`Night.next_base` is 20 minutes after the previous one, all in one night
that is at least eight hours past, so events arrive in time order (the rules' clock only moves
forward) and always fall outside the small site's opening hours. Every script ends by putting
the devices back (door closed, camera online), so the same script can run again later.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tests.conftest import at, door
from tests.triage.helpers import break_in, camera_health

SITE_TZ = ZoneInfo("Europe/London")
STEP = timedelta(minutes=20)
MAX_STEPS = 15
"""02:00 + 15 x 20 min = 07:00, before the small site opens (day shift starts at 07:00)."""


def night_start(now: datetime | None = None, margin: timedelta = timedelta(hours=8)) -> datetime:
    """02:00 site time of the latest night that began at least ``margin`` before ``now``."""
    local = (now or datetime.now(UTC)).astimezone(SITE_TZ) - margin
    night = local.replace(hour=2, minute=0, second=0, microsecond=0)
    if night > local:
        night -= timedelta(days=1)
    return night.astimezone(UTC)


class Night:
    """Hands out the start times of successive scenarios."""

    def __init__(self, start: datetime | None = None) -> None:
        self.start = start or night_start()
        self.steps = 0

    def next_base(self) -> datetime:
        if self.steps >= MAX_STEPS:
            raise RuntimeError(f"more than {MAX_STEPS} scenarios in one night; raise MAX_STEPS")
        base = self.start + self.steps * STEP
        self.steps += 1
        return base


def theft(base: datetime) -> list[dict[str, Any]]:
    """The break-in of the triage tests (front door forced, a person in the gallery, the
    painting's mount shaken, the camera covered), then the door shut and the camera back."""
    return [
        *break_in(base),
        door("d-front", "dc-front", "closed", at(base, 50)),
        camera_health("cam-1", "online", at(base, 55)),
    ]


def vault_door_forced(base: datetime) -> list[dict[str, Any]]:
    """The vault door opened at night without a badge, then shut again."""
    return [
        door("d-vault", "dc-vault", "open", at(base, 0)),
        door("d-vault", "dc-vault", "closed", at(base, 8)),
    ]
