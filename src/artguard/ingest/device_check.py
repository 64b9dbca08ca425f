"""Checks that an event comes from a device the site knows, of the right kind for the event."""

from __future__ import annotations

from artguard.events import AccessAttempt, DoorState, EventBase
from artguard.site import Site

# Which device kinds may send which event kinds.
ALLOWED_SENDERS: dict[str, frozenset[str]] = {
    "access_attempt": frozenset({"reader"}),
    "door_state": frozenset({"door", "lock", "sensor"}),
    "sensor_reading": frozenset({"sensor"}),
    "detection": frozenset({"camera"}),
    "camera_health": frozenset({"camera"}),
    "artwork_view": frozenset({"camera"}),
}


class DeviceChecker:
    """Answers "what is wrong with where this event comes from", or None."""

    def __init__(self, site: Site) -> None:
        self._site = site

    def problem(self, event: EventBase) -> tuple[str, str] | None:
        """(field, message) for the first problem, or None when the event fits the site."""
        site = self._site
        device_kind = site.device_kind(event.device_id)
        if device_kind is None:
            return "device_id", f"unknown device {event.device_id!r} (not in site {site.id!r})"
        allowed = ALLOWED_SENDERS.get(event.kind, frozenset())
        if device_kind not in allowed:
            return (
                "device_id",
                f"device {event.device_id!r} is a {device_kind}; {event.kind} events come from "
                f"a {' or '.join(sorted(allowed))}",
            )
        if isinstance(event, AccessAttempt) and site.door_for_reader(event.device_id) is None:
            return "device_id", f"reader {event.device_id!r} is not fitted to any door"
        if isinstance(event, DoorState):
            try:
                site.door(event.door_id)
            except KeyError:
                return "door_id", f"unknown door {event.door_id!r}"
            if device_kind == "sensor" and site.sensor(event.device_id).type != "door_contact":
                return (
                    "device_id",
                    f"sensor {event.device_id!r} is not a door_contact sensor",
                )
        return None
