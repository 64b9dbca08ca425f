"""Alerts from door decisions: a card possibly passed back, a credential locked out, a face
that failed its step-up check (someone else's card, a photo or a screen held to the reader)."""

from __future__ import annotations

from datetime import datetime, timedelta

from artguard.events import AccessDecision, Alert, EventBase, Severity
from artguard.site import Site

PASSBACK_RULES = frozenset({"anti_passback.soft", "anti_passback.exit"})
FACE_FAILED = "face.failed"
QUIET_REPEATS = timedelta(minutes=5)
"""The same anomaly of the same credential is alerted at most once in this time: the incident
already names it, every decision is still recorded and audited, and a storm of identical
repeats (a reader retrying a card every second) would only queue behind the doors' writes."""


class AccessDecisionRule:
    """Turns the decisions worth a guard's look into alerts."""

    name = "access"
    kinds = frozenset({"access_decision"})

    def __init__(self, site: Site) -> None:
        self._site = site
        self._lockout = site.policies.access.lockout
        self._denials: dict[str, list[datetime]] = {}
        self._last_anomaly: dict[str, datetime] = {}

    def on_event(self, event: EventBase) -> list[Alert]:
        if not isinstance(event, AccessDecision):
            return []
        alerts = []
        if PASSBACK_RULES & set(event.rules):
            alerts.append(self._passback(event))
        if FACE_FAILED in event.rules:
            alerts.append(self._face_failed(event))
        anomalies = sorted(r for r in event.rules if r.startswith("anomaly."))
        if anomalies and self._news(f"{event.credential_id}:{anomalies}", event.site_time):
            alerts.append(self._anomaly(event, anomalies))
        if event.outcome == "deny":
            alert = self._denied(event)
            if alert is not None:
                alerts.append(alert)
        elif event.outcome == "grant":
            self._denials.pop(event.credential_id, None)
        return alerts

    def on_tick(self, now: datetime) -> list[Alert]:
        stale = [k for k, t in self._last_anomaly.items() if now - t > QUIET_REPEATS]
        for key in stale:
            del self._last_anomaly[key]
        return []

    def _news(self, key: str, at: datetime) -> bool:
        """Whether this anomaly was not alerted in the last :data:`QUIET_REPEATS`."""
        last = self._last_anomaly.get(key)
        if last is not None and timedelta(0) <= at - last < QUIET_REPEATS:
            return False
        self._last_anomaly[key] = at
        return True

    def _passback(self, event: AccessDecision) -> Alert:
        who = self._site.person(event.person_id).name if event.person_id else "?"
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule="access_passback",
            severity=Severity.medium,
            title=f"Possible card pass-back: {who}",
            reasons=[r for r in event.reasons if "recorded" in r or "last let" in r]
            or list(event.reasons),
            evidence={"credential_id": event.credential_id, "door_id": event.door_id},
            source_event_ids=[event.id],
            dedup_key=f"access_passback:{event.credential_id}:{event.door_id}",
            room_id=event.room_id if event.room_id != "outside" else None,
            first_event_time=event.site_time,
        )

    def _face_failed(self, event: AccessDecision) -> Alert:
        """One failed face check is worth a look at once: the card is real, the person
        presenting it is not its holder (or not a live face). Waiting for the lock-out would
        give an impostor five tries."""
        who = self._site.credential_holder(event.credential_id)
        name = who.name if who else event.credential_id
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule="access_face_failed",
            severity=Severity.high,
            title=f"Face check failed on {name}'s card",
            reasons=[r for r in event.reasons if "face" in r] or list(event.reasons),
            evidence={
                "credential_id": event.credential_id,
                "door_id": event.door_id,
                "risk": event.risk,
            },
            source_event_ids=[event.id],
            dedup_key=f"access_face_failed:{event.credential_id}:{event.door_id}",
            room_id=event.room_id if event.room_id != "outside" else None,
            first_event_time=event.site_time,
        )

    def _anomaly(self, event: AccessDecision, anomalies: list[str]) -> Alert:
        who = self._site.credential_holder(event.credential_id)
        name = who.name if who else event.credential_id
        grave = {"anomaly.travel", "anomaly.clone"} & set(anomalies)
        kinds = ", ".join(a.removeprefix("anomaly.").replace("_", " ") for a in anomalies)
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule="access_anomaly",
            severity=Severity.high if grave else Severity.medium,
            title=f"Unusual access by {name}: {kinds}",
            reasons=[
                f"decision: {event.outcome} (risk {event.risk:.2f})",
                *event.reasons,
            ],
            evidence={
                "credential_id": event.credential_id,
                "door_id": event.door_id,
                "risk": event.risk,
                "anomalies": ",".join(anomalies),
            },
            source_event_ids=[event.id],
            dedup_key=f"access_anomaly:{event.credential_id}:{anomalies[0]}",
            room_id=event.room_id if event.room_id != "outside" else None,
            first_event_time=event.site_time,
        )

    def _denied(self, event: AccessDecision) -> Alert | None:
        """The denial that reaches the lock-out threshold raises one alert."""
        window = self._lockout.within
        times = [
            t for t in self._denials.get(event.credential_id, []) if event.site_time - t <= window
        ]
        times.append(event.site_time)
        self._denials[event.credential_id] = times
        if len(times) != self._lockout.after_failures:
            return None
        who = self._site.credential_holder(event.credential_id)
        name = who.name if who else f"unknown credential {event.credential_id!r}"
        level = (
            self._site.room(event.room_id).security_level
            if event.room_id and event.room_id != "outside"
            else 1
        )
        return Alert(
            device_id=event.device_id,
            site_time=event.site_time,
            rule="access_lockout",
            severity=Severity.high if level >= 3 or who is None else Severity.medium,
            title=f"Credential locked out: {name}",
            reasons=[
                f"{len(times)} denied attempts within {window.total_seconds() / 60:.0f} min; "
                f"last: {event.reasons[0]}",
            ],
            evidence={"credential_id": event.credential_id, "denials": len(times)},
            source_event_ids=[event.id],
            dedup_key=f"access_lockout:{event.credential_id}",
            room_id=event.room_id if event.room_id != "outside" else None,
            first_event_time=times[0],
        )
