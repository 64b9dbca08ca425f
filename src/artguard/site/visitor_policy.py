"""Watching visitor behaviour: ``policies.visitors`` in the site file.

artguard learns what normal visitor behaviour looks like per room and time of day (see
docs/visitor-behaviour.md). These keys say what it cannot learn: when the closing announcement
is made, which artworks count as high-value, and how much history is enough to trust.
"""

from __future__ import annotations

from pydantic import Field

from artguard.site.base import SiteModel


class VisitorPolicy(SiteModel):
    """Visitor watch flags; every key has a default."""

    closing_announcement_minutes: int = Field(
        default=15,
        ge=0,
        le=240,
        description="Minutes before a public room closes that the closing announcement is made.",
    )
    after_announcement_minutes: int = Field(
        default=20,
        ge=1,
        le=240,
        description="A visitor still in a public room this many minutes after the closing "
        "announcement gets a watch flag.",
    )
    high_value_tier: int = Field(
        default=3,
        ge=1,
        le=4,
        description="Artworks of this value tier or above are watched for visitors circling "
        "back to them.",
    )
    min_learned_visitors: int = Field(
        default=50,
        ge=5,
        le=100000,
        description="Visitors a room (or artwork, or exit zone) must have seen before its "
        "learned normal replaces the conservative defaults.",
    )
