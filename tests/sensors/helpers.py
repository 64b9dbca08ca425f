"""Sites and reading streams for the sensor tests."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from artguard.events import SensorReading
from artguard.site import Site, parse_site
from tests.conftest import SMALL_SITE

VAULT_CLIMATE = (
    "    conservation: {temperature: [18, 22], humidity: [45, 55], "
    "max_rate_per_hour: {temperature: 1.5, humidity: 5}}\n"
)


def site_with_conservation(block: str = VAULT_CLIMATE) -> Site:
    """The small test site with conservation limits on its vault."""
    text = SMALL_SITE.read_text(encoding="utf-8")
    anchor = "    opening_hours: null\n    adjacent: [gallery]\n"
    assert anchor in text
    return parse_site(text.replace(anchor, anchor + block), file="small-site+conservation")


def reading(sensor: str, at: datetime, value: float, **kw: object) -> SensorReading:
    return SensorReading(device_id=sensor, site_time=at, value=value, **kw)  # type: ignore[arg-type]


def every(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    at = start
    while at < end:
        yield at
        at += step
