"""Database rows -> JSON-ready dicts for the API."""

from __future__ import annotations

from typing import Any

from artguard.triage.incidents import durations
from artguard.triage.scoring import risk_band


def _iso(value: Any) -> Any:
    return value.isoformat() if value is not None else None


def incident_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "status": row.status,
        "severity": row.severity,
        "pattern": row.pattern,
        "room_id": row.room_id,
        "owner": row.owner,
        "alert_count": row.alert_count,
        "first_event_time": _iso(row.first_event_time),
        "detected_time": _iso(row.detected_time),
        "last_alert_time": _iso(row.last_alert_time),
        "acknowledged_time": _iso(row.acknowledged_time),
        "resolved_time": _iso(row.resolved_time),
        "resolution_note": row.resolution_note,
        "score": row.score,
        "risk": risk_band(row.score),
        "pattern_reasons": row.pattern_reasons or [],
        "contributions": row.contributions or [],
        "tier": row.tier,
        "ack_due": _iso(row.ack_due),
        "resolve_due": _iso(row.resolve_due),
        "resolve_overdue_time": _iso(row.resolve_overdue_time),
        "escalations": row.escalations or [],
        "assigned_to": row.assigned_to or [],
        **durations(row),
    }


def alert_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "rule": row.rule,
        "severity": row.severity,
        "title": row.title,
        "device_id": row.device_id,
        "room_id": row.room_id,
        "artwork_id": row.artwork_id,
        "dedup_key": row.dedup_key,
        "first_event_time": _iso(row.first_event_time),
        "raised_time": _iso(row.raised_time),
        "last_seen_time": _iso(row.last_seen_time),
        "repeat_count": row.repeat_count,
        "reasons": row.reasons,
        "evidence": row.evidence,
        "source_event_ids": row.source_event_ids,
        "incident_id": row.incident_id,
        "correlation": row.correlation,
        "evidence_url": _evidence_url(row),
    }


def _evidence_url(row: Any) -> str | None:
    """Where a camera alert's snapshot metadata is served (404 there when no frame could be
    captured); None for alerts that are not from a camera."""
    evidence = row.evidence if isinstance(row.evidence, dict) else {}
    return f"/api/alerts/{row.id}/evidence" if evidence.get("camera_id") else None
