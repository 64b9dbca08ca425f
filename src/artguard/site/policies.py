"""Site-wide policies and data-retention periods.

:class:`Policies` keeps the door timings flat; each larger policy area arrives as a nested model
under its own key (``access``, see :mod:`artguard.site.access_policy`), so each area stays small
and unknown keys stay errors.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field, model_validator

from artguard.site.access_policy import AccessPolicy
from artguard.site.base import SiteModel
from artguard.site.durations import Duration, format_duration, parse_duration
from artguard.site.response_policy import ResponsePolicy
from artguard.site.visitor_policy import VisitorPolicy

__all__ = [
    "AccessPolicy",
    "Duration",
    "EvidenceSettings",
    "Policies",
    "Privacy",
    "Retention",
    "format_duration",
    "parse_duration",
]


class Policies(SiteModel):
    """Site-wide security policies; every key has a safe default."""

    door_held_open_seconds: int = Field(
        default=30, gt=0, description="Seconds a door may stay open before 'held open'."
    )
    forced_open_grant_window_seconds: int = Field(
        default=10,
        gt=0,
        description="A door opening within this many seconds after a grant is not 'forced'.",
    )
    access: AccessPolicy = Field(
        default_factory=AccessPolicy,
        description="Door decisions: factors per level, anti-passback, lock-out, two-person "
        "rule, interlocks, first-person-in, escorts, re-verification, threat levels.",
    )
    visitors: VisitorPolicy = Field(
        default_factory=VisitorPolicy,
        description="Visitor watch flags: closing announcement, high-value tier, how much "
        "learned history is enough.",
    )
    response: ResponsePolicy = Field(
        default_factory=ResponsePolicy,
        description="Incident escalation: tiers by score and pattern, acknowledge / resolve "
        "deadlines, guard and supervisor roles, whether lockdown raises the threat level.",
    )


class Retention(SiteModel):
    """How long each kind of stored data is kept before automatic purge."""

    events: Duration = Field(default=timedelta(days=90), description="Raw device events.")
    alerts: Duration = Field(default=timedelta(days=365), description="Alerts raised by rules.")
    incidents: Duration = Field(
        default=timedelta(days=730), description="Incidents and their notes."
    )
    snapshots: Duration = Field(
        default=timedelta(days=30), description="Camera snapshots and clips."
    )
    audit: Duration = Field(
        default=timedelta(days=2555), description="The tamper-evident audit log (7 years)."
    )
    originals: Duration = Field(
        default=timedelta(days=7),
        description="Unblurred originals of alert snapshots (only kept when "
        "privacy.keep_originals is on); at most as long as snapshots.",
    )
    access: Duration = Field(
        default=timedelta(days=90),
        description="Access attempts and decisions: who badged at which door, when, and the "
        "answer (events of those kinds are kept by this limit, not by 'events').",
    )
    watch_flags: Duration = Field(
        default=timedelta(days=30),
        description="Visitor watch flags: anonymous visitor ids, positions, reasons.",
    )
    biometric_templates: Duration = Field(
        default=timedelta(days=365),
        description="Enrolled face templates, at most this long after enrolment (each also "
        "has its own consent period); erased earlier when the person leaves the site file or "
        "all their credentials have expired.",
    )

    @model_validator(mode="after")
    def _originals_within_snapshots(self) -> Retention:
        if self.originals > self.snapshots:
            raise ValueError(
                f"originals ({format_duration(self.originals)}) must not be kept longer than "
                f"snapshots ({format_duration(self.snapshots)}): an unblurred original may not "
                "outlive its blurred copy"
            )
        return self


class Privacy(SiteModel):
    """What stored camera evidence may show of people."""

    blur_faces: bool = Field(
        default=True,
        description="Blur faces (and the heads of people without a detected face) in alert "
        "snapshots and clips. Turning it off stores faces for as long as snapshots are kept.",
    )
    keep_originals: bool = Field(
        default=False,
        description="Also keep the unblurred frame of each alert snapshot, in a separate "
        "folder purged after retention.originals; every viewing is audited.",
    )


class EvidenceSettings(SiteModel):
    """The snapshot (and optional clip) stored for every camera alert."""

    buffer_seconds: float = Field(
        default=2.0,
        ge=0.5,
        le=10,
        description="Seconds of full-resolution frames each camera keeps in memory to find "
        "the frame an alert fired on (memory: seconds x fps x width x height x 3 bytes).",
    )
    clip: bool = Field(
        default=False,
        description="Also store a short clip (VP8 .webm, MJPG .avi where OpenCV has no VP8; faces "
        "blurred, overlays drawn) around each camera alert.",
    )
    clip_seconds_before: float = Field(
        default=3.0, ge=0, le=10, description="Clip seconds before the alert's frame."
    )
    clip_seconds_after: float = Field(
        default=3.0, ge=0, le=10, description="Clip seconds after the alert's frame."
    )
