"""Alerts and event scripts for the triage tests (small site: hall - gallery - vault)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from artguard.events import Alert, EvidenceValue, Severity
from tests.conftest import NIGHT, at, door, reading


def make_alert(
    rule: str,
    room: str | None,
    seconds: float,
    *,
    device: str | None = None,
    severity: Severity = Severity.high,
    artwork: str | None = None,
    key: str | None = None,
    base: datetime = NIGHT,
    evidence: dict[str, EvidenceValue] | None = None,
) -> Alert:
    when = base + timedelta(seconds=seconds)
    device = device or f"dev-{rule}-{room}"
    return Alert(
        device_id=device,
        site_time=when,
        received_time=when + timedelta(seconds=0.5),
        rule=rule,
        severity=severity,
        title=f"{rule} in {room}",
        reasons=[f"{rule} happened"],
        evidence=evidence or {},
        dedup_key=key or f"{rule}:{device}",
        room_id=room,
        artwork_id=artwork,
        first_event_time=when,
    )


def camera_alert(camera: str, room: str, status: str, seconds: float, **kw: Any) -> Alert:
    return make_alert(
        "camera_sabotage",
        room,
        seconds,
        device=camera,
        key=f"camera_sabotage:{camera}:{status}",
        evidence={"camera_id": camera, "status": status},
        **kw,
    )


def person(camera: str, when: str, track: int = 1) -> dict[str, Any]:
    return {
        "kind": "detection",
        "device_id": camera,
        "site_time": when,
        "objects": [{"track_id": track, "confidence": 0.9, "bbox": [600, 200, 680, 600]}],
    }


def camera_health(camera: str, status: str, when: str) -> dict[str, Any]:
    return {"kind": "camera_health", "device_id": camera, "status": status, "site_time": when}


def break_in(base: datetime = NIGHT) -> list[dict[str, Any]]:
    """The front door forced, a person walking in the gallery, the masterpiece's mount shaken,
    the gallery camera covered: at night, over 45 seconds."""
    return [
        door("d-front", "dc-front", "open", at(base, 0)),
        *[person("cam-1", at(base, 20 + i * 0.5)) for i in range(5)],
        reading("vib-aw-1", 2.0, at(base, 40)),
        camera_health("cam-1", "covered", at(base, 45)),
    ]
