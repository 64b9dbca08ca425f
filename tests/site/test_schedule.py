"""Schedules: weekly windows in site time, overnight windows, holidays, daylight saving."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from artguard.site import Schedule, TimeWindow, schedule_active
from artguard.site.schedule import parse_clock

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")


def schedule(*windows: dict, closed_on_holidays: bool = False) -> Schedule:
    return Schedule.model_validate(
        {"id": "s", "name": "S", "windows": list(windows), "closed_on_holidays": closed_on_holidays}
    )


def london(*args: int) -> datetime:
    return datetime(*args, tzinfo=LONDON)


def test_day_window_includes_start_and_excludes_end() -> None:
    weekdays = schedule(
        {"days": ["mon", "tue", "wed", "thu", "fri"], "start": "10:00", "end": "18:00"}
    )
    monday = (2026, 11, 23)
    assert not schedule_active(weekdays, london(*monday, 9, 59), LONDON)
    assert schedule_active(weekdays, london(*monday, 10, 0), LONDON)
    assert schedule_active(weekdays, london(*monday, 17, 59), LONDON)
    assert not schedule_active(weekdays, london(*monday, 18, 0), LONDON)
    assert not schedule_active(weekdays, london(2026, 11, 22, 12, 0), LONDON)  # Sunday


def test_overnight_window_belongs_to_the_day_it_starts() -> None:
    monday_night = schedule({"days": ["mon"], "start": "22:00", "end": "06:00"})
    assert schedule_active(monday_night, london(2026, 11, 23, 22, 0), LONDON)  # Mon 22:00
    assert schedule_active(monday_night, london(2026, 11, 24, 3, 0), LONDON)  # Tue 03:00
    assert not schedule_active(monday_night, london(2026, 11, 24, 6, 0), LONDON)  # Tue 06:00
    assert not schedule_active(monday_night, london(2026, 11, 23, 3, 0), LONDON)  # Mon 03:00
    assert not schedule_active(monday_night, london(2026, 11, 24, 22, 30), LONDON)  # Tue night


def test_whole_day_window() -> None:
    always = schedule({"days": ["sat"], "start": "00:00", "end": "24:00"})
    assert schedule_active(always, london(2026, 11, 28, 0, 0), LONDON)
    assert schedule_active(always, london(2026, 11, 28, 23, 59), LONDON)
    assert not schedule_active(always, london(2026, 11, 29, 0, 0), LONDON)


def test_holidays_cancel_windows_that_start_on_them() -> None:
    christmas = {date(2026, 12, 25)}
    shift = {"days": ["thu", "fri"], "start": "22:00", "end": "06:00"}
    closing = schedule(shift, closed_on_holidays=True)
    working = schedule(shift, closed_on_holidays=False)
    christmas_night = london(2026, 12, 25, 23, 0)  # Friday
    assert not schedule_active(closing, christmas_night, LONDON, christmas)
    assert schedule_active(working, christmas_night, LONDON, christmas)
    # Christmas Eve's shift started before the holiday and runs on into it
    assert schedule_active(closing, london(2026, 12, 25, 3, 0), LONDON, christmas)
    # the morning after the cancelled Christmas night shift
    assert not schedule_active(closing, london(2026, 12, 26, 3, 0), LONDON, christmas)


def test_windows_are_wall_clock_across_daylight_saving() -> None:
    opening = schedule({"days": ["sun"], "start": "10:00", "end": "18:00"})
    # 29 March 2026: the clocks go forward at 01:00 UTC; 09:30 UTC is 10:30 BST
    assert schedule_active(opening, datetime(2026, 3, 29, 9, 30, tzinfo=UTC), LONDON)
    # a week earlier (GMT) 09:30 UTC is 09:30 local: still closed
    assert not schedule_active(opening, datetime(2026, 3, 22, 9, 30, tzinfo=UTC), LONDON)
    # 17:30 UTC is 18:30 BST (closed) but 17:30 GMT (open)
    assert not schedule_active(opening, datetime(2026, 3, 29, 17, 30, tzinfo=UTC), LONDON)
    assert schedule_active(opening, datetime(2026, 3, 22, 17, 30, tzinfo=UTC), LONDON)


def test_evaluated_in_the_sites_time_zone() -> None:
    opening = schedule({"days": ["mon"], "start": "09:00", "end": "17:00"})
    instant = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # 15:00 London, 10:00 New York
    assert schedule_active(opening, instant, LONDON)
    assert schedule_active(opening, instant, NEW_YORK)
    late = datetime(2026, 11, 23, 21, 0, tzinfo=UTC)  # 21:00 London, 16:00 New York
    assert not schedule_active(opening, late, LONDON)
    assert schedule_active(opening, late, NEW_YORK)


def test_naive_datetimes_are_refused() -> None:
    opening = schedule({"days": ["mon"], "start": "09:00", "end": "17:00"})
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule_active(opening, datetime(2026, 11, 23, 12, 0), LONDON)


def test_clock_parsing() -> None:
    assert parse_clock("07:30") == time(7, 30)
    assert parse_clock("7:05") == time(7, 5)
    assert parse_clock("24:00", allow_24=True) == time(0, 0)
    for bad in ("24:00", "25:00", "10:60", "10", "ten", 600):
        with pytest.raises(ValueError, match="HH:MM"):
            parse_clock(bad)


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"days": ["mon"], "start": "9am", "end": "17:00"}, 'expected a time of day as "HH:MM"'),
        ({"days": ["mon", "mon"], "start": "09:00", "end": "17:00"}, "day listed twice: mon"),
        ({"days": ["monday"], "start": "09:00", "end": "17:00"}, "Input should be 'mon'"),
        ({"days": [], "start": "09:00", "end": "17:00"}, "at least 1 item"),
    ],
)
def test_bad_windows_are_rejected(window: dict, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        TimeWindow.model_validate(window)
