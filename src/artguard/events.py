"""The typed events every part of artguard speaks.

Devices and integrations send *device events* (access attempts, door states, sensor readings,
detections, camera health). Analytics emit *alerts*; triage emits *incident changes*; operators
produce *operator actions*. All of them share :class:`EventBase`: an id chosen by the sender
(so a retry is recognised and stored once), the device it concerns, the time at the site when
it happened and the time artguard received it.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, TypeAdapter, field_validator

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$"
"""Ids are short, printable and safe inside an MQTT topic level (no ``/``, ``+`` or ``#``)."""


def new_id() -> str:
    """A fresh random event id."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    """Timezone-aware current time; the only clock call site code should use."""
    return datetime.now(UTC)


class Severity(StrEnum):
    """How bad an alert or incident is; ordered from least to most severe."""

    info = "info"
    low = "low"
    medium = "medium"
    high = "high"
    critical = "critical"

    @property
    def rank(self) -> int:
        return _SEVERITY_ORDER.index(self)

    @classmethod
    def highest(cls, severities: list[Severity]) -> Severity:
        return max(severities, key=lambda s: s.rank, default=cls.info)


_SEVERITY_ORDER = list(Severity)


class EventBase(BaseModel):
    """Fields common to every event."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(
        default_factory=new_id,
        pattern=ID_PATTERN,
        description=(
            "Unique event id chosen by the sender; resending the same id is a no-op. "
            "Ingestion derives one from the content when it is missing."
        ),
    )
    kind: str
    device_id: str = Field(pattern=ID_PATTERN, description="The device the event comes from.")
    site_time: AwareDatetime = Field(description="When it happened, by the device's clock.")
    received_time: AwareDatetime | None = Field(
        default=None, description="When artguard accepted it; set by ingestion."
    )

    def received(self, at: datetime | None = None) -> EventBase:
        """A copy stamped with the time artguard accepted it."""
        return self.model_copy(update={"received_time": at or utcnow()})


Factor = Literal["card", "pin", "face", "mobile"]


class AccessAttempt(EventBase):
    """A credential presented at a reader (``device_id`` is the reader)."""

    kind: Literal["access_attempt"] = "access_attempt"
    credential_id: str = Field(pattern=ID_PATTERN)
    factors: list[Factor] = Field(default_factory=lambda: ["card"], min_length=1)
    granted: bool | None = Field(
        default=None,
        description="The panel's own decision, when the panel decided; None asks artguard.",
    )
    direction: Literal["in", "out"] | None = None


class AccessDecision(EventBase):
    """artguard's answer to a door request (``device_id`` is the reader).

    Recorded for every decision, so the audit trail, the door rules (a grant explains a door
    opening), tailgating checks and the learned access behaviour all see the same answers.
    """

    kind: Literal["access_decision"] = "access_decision"
    credential_id: str = Field(max_length=128)
    outcome: Literal["grant", "deny", "step_up"]
    risk: float = Field(ge=0.0, le=1.0)
    reasons: list[str] = Field(min_length=1)
    required: list[str] = Field(default_factory=list)
    factors: list[str] = Field(default_factory=list)
    rules: list[str] = Field(default_factory=list, description="Policy rules that spoke.")
    person_id: str | None = None
    door_id: str | None = None
    room_id: str | None = Field(default=None, description="The room the passage leads into.")
    direction: Literal["in", "out"] = "in"
    threat_level: str = "normal"


class DoorState(EventBase):
    """A door's contact and lock state (``device_id`` is the door or its contact sensor)."""

    kind: Literal["door_state"] = "door_state"
    door_id: str = Field(pattern=ID_PATTERN)
    contact: Literal["open", "closed"]
    locked: bool | None = None


class SensorReading(EventBase):
    """One value from a sensor (``device_id`` is the sensor)."""

    kind: Literal["sensor_reading"] = "sensor_reading"
    value: float
    unit: str | None = Field(default=None, max_length=16)
    tamper: bool = Field(default=False, description="The sensor's tamper contact is open.")

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("value must be a finite number (got NaN or infinity)")
        return value


class TrackedObject(BaseModel):
    """One detected (and possibly tracked) object in a camera frame."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    track_id: int | None = Field(default=None, ge=0)
    class_name: str = "person"
    confidence: float = Field(ge=0.0, le=1.0)
    bbox: tuple[float, float, float, float] = Field(description="x1, y1, x2, y2 in image pixels.")
    floor_xy: tuple[float, float] | None = Field(
        default=None, description="Foot point on the floor plan in metres, if known."
    )
    keypoints: list[tuple[float, float, float]] | None = Field(
        default=None,
        description="Body keypoints (x, y, score) in image pixels, COCO-17 order, if estimated.",
    )
    appearance: list[Annotated[float, Field(ge=0.0, le=1.0)]] | None = Field(
        default=None,
        max_length=32,
        description="Colour signature of the person's clothing (torso and legs HSV "
        "histograms, no face, no identity); sent at most every ~2 s per track.",
    )

    @field_validator("bbox")
    @classmethod
    def _ordered(cls, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        x1, y1, x2, y2 = box
        if not (x2 >= x1 and y2 >= y1):
            raise ValueError("bbox must be x1, y1, x2, y2 with x2 >= x1 and y2 >= y1")
        return box


class Detection(EventBase):
    """The objects a camera saw in one analysed frame (``device_id`` is the camera)."""

    kind: Literal["detection"] = "detection"
    objects: list[TrackedObject] = Field(default_factory=list)
    frame_width: int | None = Field(default=None, gt=0)
    frame_height: int | None = Field(default=None, gt=0)


class CameraHealth(EventBase):
    """A camera's health as seen by its ingest worker (``device_id`` is the camera)."""

    kind: Literal["camera_health"] = "camera_health"
    status: Literal["online", "offline", "frozen", "covered", "blinded", "defocused", "moved"]
    detail: str | None = Field(default=None, max_length=500)


class ArtworkView(EventBase):
    """How an artwork looks in a camera compared with its reference view (``device_id``: camera).

    Emitted by the camera worker when it checks an artwork's region while no one occludes it.
    """

    kind: Literal["artwork_view"] = "artwork_view"
    artwork_id: str = Field(pattern=ID_PATTERN)
    status: Literal["present", "missing", "moved", "occluded"]
    similarity: float = Field(ge=0.0, le=1.0, description="1 = identical to the reference.")
    shift_px: float | None = Field(default=None, ge=0.0, description="Displacement, pixels.")
    before_image: str | None = Field(default=None, description="Reference crop (data dir path).")
    after_image: str | None = Field(default=None, description="Current crop (data dir path).")


EvidenceValue = str | int | float | bool | None


class Alert(EventBase):
    """Something an analytic judged worth a human's attention, with its reasons."""

    kind: Literal["alert"] = "alert"
    rule: str = Field(description="The rule that raised it, e.g. 'door_forced'.")
    severity: Severity
    title: str = Field(max_length=200)
    reasons: list[str] = Field(min_length=1, description="Plain-language reasons with values.")
    evidence: dict[str, EvidenceValue] = Field(default_factory=dict)
    source_event_ids: list[str] = Field(default_factory=list)
    dedup_key: str = Field(description="Alerts with the same key describe the same cause.")
    room_id: str | None = None
    artwork_id: str | None = None
    first_event_time: AwareDatetime = Field(description="Site time of the earliest evidence.")


WatchReason = Literal["circling", "lingering", "against_flow", "after_closing"]


class WatchFlag(EventBase):
    """A visitor whose behaviour departs from what is normal here (``device_id``: ``visitors``).

    Not an alarm: guards keep an eye on the visitor. Raised once, updated when a new reason
    appears, cleared when the visitor leaves. The visitor is an anonymous id joining camera
    tracks (by position and clothing colours, never a face or an identity).
    """

    kind: Literal["watch"] = "watch"
    visitor_id: str = Field(pattern=ID_PATTERN)
    status: Literal["raised", "updated", "cleared"]
    reason_kinds: list[WatchReason] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list, description="Plain-language reasons.")
    evidence: dict[str, EvidenceValue] = Field(default_factory=dict)
    room_id: str | None = None
    floor_xy: tuple[float, float] | None = None
    cameras: list[str] = Field(default_factory=list)
    tracks: list[str] = Field(default_factory=list, description="'camera:track' joined.")
    first_seen: AwareDatetime
    learned: bool = Field(description="False: judged against conservative defaults.")


IncidentStatus = Literal["open", "acknowledged", "resolved", "false_alarm"]


class IncidentChanged(EventBase):
    """An incident was opened, grew or changed state (``device_id`` is ``triage``)."""

    kind: Literal["incident"] = "incident"
    incident_id: str
    status: IncidentStatus
    severity: Severity
    title: str
    room_id: str | None = None
    alert_count: int = Field(ge=0)
    change: str = Field(description="What changed: opened, alert_added, acknowledged, ...")
    score: float | None = Field(default=None, ge=0.0, le=1.0, description="Risk score 0..1.")
    pattern: str | None = Field(
        default=None, description="Named pattern, e.g. theft_in_progress (else the top rule)."
    )


class OperatorAction(EventBase):
    """A person did something in artguard (``device_id`` is the console, e.g. ``api``)."""

    kind: Literal["operator_action"] = "operator_action"
    actor: str
    action: str
    target_id: str | None = None
    note: str | None = Field(default=None, max_length=2000)


class Notification(EventBase):
    """A message for people about an incident (``device_id``: who asked, e.g. ``triage``).

    Triage (escalation, procedures) and playbooks publish these; the notifier in
    :mod:`artguard.actions` delivers them over the site's channels (dashboard, webhook, MQTT,
    e-mail) and records each delivery. ``audience`` says who it is for; ``recipients`` names
    the people chosen (e.g. the guard nearest the room) when known.
    """

    kind: Literal["notification"] = "notification"
    audience: str = Field(
        max_length=128,
        description="dashboard, guard, supervisor, role:<id>, person:<id> or channel:<name>",
    )
    recipients: list[str] = Field(default_factory=list, description="Person ids chosen.")
    subject: str = Field(max_length=200)
    body: str = Field(max_length=4000)
    severity: Severity = Severity.medium
    incident_id: str | None = None
    reason: str = Field(default="", max_length=500, description="Why this was sent.")
    channels: list[str] = Field(
        default_factory=list, description="Named channels to use; empty: the audience's default."
    )


Event = Annotated[
    AccessAttempt
    | AccessDecision
    | DoorState
    | SensorReading
    | Detection
    | CameraHealth
    | ArtworkView
    | Alert
    | IncidentChanged
    | OperatorAction
    | WatchFlag
    | Notification,
    Field(discriminator="kind"),
]

EVENT_TYPES: dict[str, type[EventBase]] = {
    cls.model_fields["kind"].default: cls
    for cls in (
        AccessAttempt,
        AccessDecision,
        DoorState,
        SensorReading,
        Detection,
        CameraHealth,
        ArtworkView,
        Alert,
        IncidentChanged,
        OperatorAction,
        WatchFlag,
        Notification,
    )
}

DEVICE_EVENT_KINDS: frozenset[str] = frozenset(
    {
        "access_attempt",
        "door_state",
        "sensor_reading",
        "detection",
        "camera_health",
        "artwork_view",
    }
)
"""Kinds that devices and integrations may send through ingestion."""

_EVENT_ADAPTER: TypeAdapter[Event] = TypeAdapter(Event)


def parse_event(data: Any) -> EventBase:
    """Validate a dict into its typed event; raises ``pydantic.ValidationError``."""
    return _EVENT_ADAPTER.validate_python(data)


def parse_event_json(raw: str | bytes) -> EventBase:
    """Validate JSON text into its typed event; raises ``pydantic.ValidationError``."""
    return _EVENT_ADAPTER.validate_json(raw)


def event_to_json(event: EventBase) -> str:
    """Canonical JSON of an event as sent on the bus and stored."""
    return event.model_dump_json(exclude_none=False)
