"""Learned access behaviour: per person and per door, what is usual.

Counts, not models: for each person the hours of the week they badge in (24 x 7, smoothed
over neighbouring hours, because a habit at 08:00 makes 07:00 unremarkable), the doors they
use, and on how many days they were seen; for each door the hours it is used. Updated online
with every grant, and learned at start from the stored decisions (``learn``), so a restart
loses nothing. An anomaly needs history: nothing is judged "unusual" for a person with fewer
than ``min_events`` grants.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

HOURS_IN_WEEK = 168


def hour_of_week(at: datetime, tz: ZoneInfo) -> int:
    local = at.astimezone(tz)
    return local.weekday() * 24 + local.hour


@dataclass
class PersonHabits:
    """One person's badge history, summarised."""

    hours: Counter[int] = field(default_factory=Counter)
    doors: Counter[str] = field(default_factory=Counter)
    days: set[date] = field(default_factory=set)
    grants: int = 0

    def hour_weight(self, how: int) -> float:
        """Their past grants within an hour either side of this hour of the week, plus those at
        the same time on other days of the week counted a quarter: how usual the time is."""
        near = sum(self.hours[(how + d) % HOURS_IN_WEEK] for d in (-1, 0, 1))
        same_time_other_days = sum(
            self.hours[(how + 24 * k + d) % HOURS_IN_WEEK] for k in range(1, 7) for d in (-1, 0, 1)
        )
        return near + 0.25 * same_time_other_days

    def hour_share(self, how: int) -> float:
        """:meth:`hour_weight` as a share of all their grants."""
        return self.hour_weight(how) / self.grants if self.grants else 0.0


@dataclass
class AccessBaseline:
    """Habits of every person and door seen granted."""

    tz: ZoneInfo
    people: dict[str, PersonHabits] = field(default_factory=dict)
    door_hours: dict[str, Counter[int]] = field(default_factory=dict)

    def observe(self, person_id: str, door_id: str, at: datetime) -> None:
        """Count one granted entry."""
        how = hour_of_week(at, self.tz)
        habits = self.people.setdefault(person_id, PersonHabits())
        habits.hours[how] += 1
        habits.doors[door_id] += 1
        habits.days.add(at.astimezone(self.tz).date())
        habits.grants += 1
        self.door_hours.setdefault(door_id, Counter())[how] += 1

    def learn(self, grants: Iterable[tuple[str, str, datetime]]) -> int:
        """Count ``(person, door, time)`` grants from history; returns how many."""
        n = 0
        for person_id, door_id, at in grants:
            self.observe(person_id, door_id, at)
            n += 1
        return n

    def habits(self, person_id: str) -> PersonHabits | None:
        return self.people.get(person_id)

    def summary(self) -> dict[str, object]:
        return {
            "people": len(self.people),
            "grants": sum(h.grants for h in self.people.values()),
            "doors": len(self.door_hours),
        }
