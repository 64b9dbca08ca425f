"""A room's conservation limits: the climate its works need (``rooms[].conservation``).

Conservation standards state an acceptable band of temperature and relative humidity and a
largest change per hour (fast swings crack panels and lift paint even inside the band).
Crossing them raises a low-severity ``conservation`` alert for the conservator, not a
security alarm.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from artguard.site.base import SiteModel


def _band(value: tuple[float, float] | None, what: str, lowest: float, highest: float) -> None:
    if value is None:
        return
    low, high = value
    if low >= high:
        raise ValueError(f"{what}: the low limit ({low:g}) must be below the high ({high:g})")
    if low < lowest or high > highest:
        raise ValueError(f"{what}: [{low:g}, {high:g}] is outside {lowest:g}..{highest:g}")


class ConservationRates(SiteModel):
    """Largest acceptable change per hour."""

    temperature: float | None = Field(
        default=None, gt=0, description="Largest temperature change in one hour (degrees C)."
    )
    humidity: float | None = Field(
        default=None,
        gt=0,
        le=100,
        description="Largest relative-humidity change in one hour (%RH).",
    )


class Conservation(SiteModel):
    """Climate limits of one room, applied to its temperature and humidity sensors."""

    temperature: tuple[float, float] | None = Field(
        default=None, description="Acceptable temperature band [low, high] in degrees C."
    )
    humidity: tuple[float, float] | None = Field(
        default=None, description="Acceptable relative-humidity band [low, high] in %RH."
    )
    max_rate_per_hour: ConservationRates | None = Field(
        default=None, description="Largest acceptable change in one hour, per quantity."
    )

    @model_validator(mode="after")
    def _sane(self) -> Conservation:
        _band(self.temperature, "temperature", -40.0, 85.0)
        _band(self.humidity, "humidity", 0.0, 100.0)
        if self.temperature is None and self.humidity is None and self.max_rate_per_hour is None:
            raise ValueError("give at least one of temperature, humidity, max_rate_per_hour")
        return self
