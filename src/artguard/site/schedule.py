"""Schedules (opening hours and staff shifts), holidays, and "is this schedule on now?".

Windows are wall-clock times in the site's time zone, so "10:00-18:00" stays 10:00-18:00
local time on both sides of a daylight-saving change. A window whose end is not after its
start runs overnight into the next day ("22:00"-"06:00"); "00:00"-"24:00" is the whole day.
A window belongs to the day it starts on: a Monday 22:00-06:00 shift covers Tuesday 03:00,
and ``closed_on_holidays`` cancels the occurrences that *start* on a holiday.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import Field, PlainSerializer, field_validator

from artguard.site.base import Id, Name, SiteModel

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


def parse_clock(value: object, *, allow_24: bool = False) -> time:
    """``"HH:MM"`` to a time of day; ``"24:00"`` (end of day) becomes midnight when allowed."""
    if isinstance(value, time):
        return value
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        if allow_24 and (hours, minutes) == (24, 0):
            return time(0, 0)
        if hours < 24 and minutes < 60:
            return time(hours, minutes)
    latest = "24:00" if allow_24 else "23:59"
    raise ValueError(f'expected a time of day as "HH:MM" from 00:00 to {latest}, got {value!r}')


def format_clock(value: time) -> str:
    """``"HH:MM"``, the spelling :func:`parse_clock` reads."""
    return value.strftime("%H:%M")


Clock = Annotated[time, PlainSerializer(format_clock, return_type=str, when_used="json")]


class TimeWindow(SiteModel):
    """One recurring stretch of time on some days of the week."""

    days: list[Weekday] = Field(
        min_length=1, description="Days the window starts on: mon, tue, wed, thu, fri, sat, sun."
    )
    start: Clock = Field(description='Local start time, "HH:MM".')
    end: Clock = Field(
        description='Local end time, "HH:MM" ("24:00" = midnight); at or before start '
        "means the window ends the next day."
    )

    @field_validator("days")
    @classmethod
    def _unique_days(cls, days: list[Weekday]) -> list[Weekday]:
        repeated = sorted({d for d in days if days.count(d) > 1}, key=WEEKDAYS.index)
        if repeated:
            raise ValueError(f"day listed twice: {', '.join(repeated)}")
        return days

    @field_validator("start", mode="before")
    @classmethod
    def _parse_start(cls, value: object) -> time:
        return parse_clock(value)

    @field_validator("end", mode="before")
    @classmethod
    def _parse_end(cls, value: object) -> time:
        return parse_clock(value, allow_24=True)

    @property
    def overnight(self) -> bool:
        """The window runs past midnight (including a full 24-hour window)."""
        return self.end <= self.start

    def covers(self, local: datetime, skip_day: set[date] | frozenset[date]) -> bool:
        """Whether naive local wall-clock time ``local`` falls in an occurrence of this window.

        Occurrences starting on a day in ``skip_day`` do not count.
        """
        today, now = local.date(), local.time()
        if WEEKDAYS[today.weekday()] in self.days and today not in skip_day:
            if self.overnight and now >= self.start:
                return True
            if not self.overnight and self.start <= now < self.end:
                return True
        if self.overnight and now < self.end:
            yesterday = today - timedelta(days=1)
            return WEEKDAYS[yesterday.weekday()] in self.days and yesterday not in skip_day
        return False


class Schedule(SiteModel):
    """A named set of weekly windows, used for room opening hours and staff shifts."""

    id: Id = Field(description="Schedule id, referenced by rooms' opening_hours and people.")
    name: Name = Field(description="Human name, e.g. 'Public opening hours'.")
    windows: list[TimeWindow] = Field(
        min_length=1, description="The weekly windows; the schedule is on inside any of them."
    )
    closed_on_holidays: bool = Field(
        default=False, description="Skip windows that start on a date listed under holidays."
    )


class Holiday(SiteModel):
    """A public holiday or closure day (site-wide)."""

    date: dt.date = Field(description="The date, YYYY-MM-DD.")
    name: Name = Field(description="What the day is, e.g. 'Christmas Day'.")


def to_local(at: datetime, tz: ZoneInfo) -> datetime:
    """Naive wall-clock time at the site for an aware instant."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"expected a timezone-aware datetime, got naive {at.isoformat()}")
    return at.astimezone(tz).replace(tzinfo=None)


def schedule_active(
    schedule: Schedule, at: datetime, tz: ZoneInfo, holidays: Iterable[date] = ()
) -> bool:
    """Whether ``schedule`` is on at the aware instant ``at``, evaluated in ``tz``."""
    local = to_local(at, tz)
    skip = frozenset(holidays) if schedule.closed_on_holidays else frozenset()
    return any(window.covers(local, skip) for window in schedule.windows)
