"""The scenario clock of the browser tests: successive nights' times, in order, after hours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.browser.scenarios import MAX_STEPS, SITE_TZ, Night, night_start


@pytest.mark.parametrize(
    ("now", "expected_local"),
    [
        (datetime(2026, 7, 1, 9, 30, tzinfo=UTC), datetime(2026, 7, 1, 2, 0)),  # BST, 10:30
        (datetime(2026, 7, 1, 2, 0, tzinfo=UTC), datetime(2026, 6, 30, 2, 0)),  # 03:00 local
        (datetime(2026, 12, 2, 23, 0, tzinfo=UTC), datetime(2026, 12, 2, 2, 0)),  # GMT
        (datetime(2026, 12, 2, 9, 59, tzinfo=UTC), datetime(2026, 12, 1, 2, 0)),  # 1 min short
        (datetime(2026, 12, 2, 10, 0, tzinfo=UTC), datetime(2026, 12, 2, 2, 0)),  # exactly 8 h
    ],
)
def test_the_night_starts_at_2_am_site_time_at_least_eight_hours_ago(
    now: datetime, expected_local: datetime
) -> None:
    start = night_start(now)
    assert start.astimezone(SITE_TZ).replace(tzinfo=None) == expected_local
    assert now - start >= timedelta(hours=8)


def test_scenarios_move_forward_and_stop_before_the_day_shift() -> None:
    night = Night(datetime(2026, 12, 2, 2, 0, tzinfo=UTC))
    bases = [night.next_base() for _ in range(MAX_STEPS)]
    assert bases == sorted(bases) and len(set(bases)) == MAX_STEPS
    assert bases[-1].astimezone(SITE_TZ).hour < 7
    with pytest.raises(RuntimeError, match="more than 15 scenarios"):
        night.next_base()
