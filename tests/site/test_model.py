"""The models on their own: geometry, durations, credentials, and JSON round trips."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from artguard.site import Credential, Site, format_duration, load_site, parse_duration
from artguard.site.geometry import contains, polygon_problem

from .helpers import DEMO_SITE

SQUARE = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]


def test_point_in_polygon_counts_the_boundary_as_inside() -> None:
    assert contains(SQUARE, (5, 5))
    assert contains(SQUARE, (0, 5))  # on a wall
    assert contains(SQUARE, (10, 10))  # a corner
    assert not contains(SQUARE, (10.01, 5))
    l_shape = [(0, 0), (10, 0), (10, 4), (4, 4), (4, 10), (0, 10)]
    assert contains(l_shape, (2, 8))
    assert not contains(l_shape, (8, 8))


@pytest.mark.parametrize(
    ("polygon", "problem"),
    [
        (SQUARE, None),
        ([(0, 0), (10, 0), (0, 10), (10, 10)], "crosses itself (edge 1-2 meets edge 3-0)"),
        ([(0, 0), (5, 0), (10, 0)], "no area"),
        ([(0, 0), (0, 0), (10, 10)], "points 0 and 1 are the same point"),
        ([(0, 0), (1, 1)], "at least 3 points"),
    ],
)
def test_polygon_problems(polygon: list, problem: str | None) -> None:
    found = polygon_problem(polygon)
    assert found == problem if problem is None else problem in (found or "")


def test_durations() -> None:
    assert parse_duration("30d") == timedelta(days=30)
    assert parse_duration("12h") == timedelta(hours=12)
    assert parse_duration("90m") == timedelta(minutes=90)
    assert parse_duration("2w") == timedelta(days=14)
    assert format_duration(timedelta(days=2555)) == "2555d"
    assert format_duration(timedelta(minutes=90)) == "90m"
    assert format_duration(timedelta(seconds=45)) == "45s"
    for bad in ("0d", "30", "30 days", "-1d", "P30D", 30):
        with pytest.raises(ValueError, match="expected a positive duration"):
            parse_duration(bad)


def test_credential_validity_bounds_in_site_time() -> None:
    tz = ZoneInfo("Europe/London")
    badge = Credential.model_validate(
        {"id": "c", "type": "card", "valid_from": "2026-01-10", "valid_until": "2026-01-20"}
    )
    assert badge.valid_from == date(2026, 1, 10)
    assert not badge.valid_at(datetime(2026, 1, 9, 23, 59, tzinfo=UTC), tz)
    assert badge.valid_at(datetime(2026, 1, 20, 23, 59, tzinfo=UTC), tz)
    assert not badge.valid_at(datetime(2026, 1, 21, 0, 0, tzinfo=UTC), tz)
    timed = Credential.model_validate(
        {"id": "c", "type": "pin", "valid_until": "2026-07-01T09:00:00"}  # naive: site time
    )
    assert timed.valid_at(datetime(2026, 7, 1, 7, 59, tzinfo=UTC), tz)  # 08:59 BST
    assert not timed.valid_at(datetime(2026, 7, 1, 8, 1, tzinfo=UTC), tz)
    with pytest.raises(ValidationError, match="valid_from is after valid_until"):
        Credential.model_validate(
            {"id": "c", "type": "card", "valid_from": "2026-02-01", "valid_until": "2026-01-01"}
        )


def test_site_round_trips_through_json() -> None:
    site = load_site(DEMO_SITE)
    data = site.model_dump(mode="json", by_alias=True)
    assert data["retention"]["audit"] == "2555d"
    assert data["schedules"][0]["windows"][0]["start"] == "10:00"
    again = Site.model_validate(data)
    assert again == site
    assert again.door_for_reader("r-vault-in") == site.door("d-vault")


def test_models_are_read_only() -> None:
    site = load_site(DEMO_SITE)
    with pytest.raises(ValidationError, match="frozen"):
        site.room("gallery-1").security_level = 1  # type: ignore[misc]
