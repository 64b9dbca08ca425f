"""``Site.in_schedule`` caches answers per minute; they must equal the uncached evaluation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from artguard.site import load_site
from artguard.site.schedule import schedule_active
from tests.conftest import FIXTURES


def test_cached_answers_match_the_schedule_across_a_week_and_a_holiday() -> None:
    site = load_site(FIXTURES / "access-site.yaml")
    start = datetime(2026, 12, 21, 6, 58, 50, tzinfo=UTC)  # Monday; Christmas on Friday
    changes = 0
    for schedule in site.schedules:
        previous = None
        for step in range(0, 7 * 24 * 3600, 37):  # 37 s: lands on both sides of minute edges
            when = start + timedelta(seconds=step)
            expected = schedule_active(schedule, when, site.tz, [h.date for h in site.holidays])
            assert site.in_schedule(schedule.id, when) is expected, (schedule.id, when)
            assert site.in_schedule(schedule.id, when) is expected  # now from the cache
            changes += previous is not None and previous != expected
            previous = expected
    assert changes >= 20  # the walk crossed many window edges, holidays included


def test_a_naive_time_is_still_refused_after_answers_were_cached() -> None:
    site = load_site(FIXTURES / "access-site.yaml")
    when = datetime(2026, 12, 21, 12, 0, tzinfo=UTC)
    site.in_schedule("day-shift", when)
    with pytest.raises(ValueError, match="timezone-aware"):
        site.in_schedule("day-shift", when.replace(tzinfo=None))
