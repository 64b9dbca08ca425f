"""Builds the action services of a running artguard: doors, notifier, playbooks, recording.

Kept apart from :mod:`artguard.runtime` so the composition root stays a list of parts: the
runtime calls :func:`build_actions` once and :meth:`Actions.drain` / :meth:`Actions.stop` on
the way down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from artguard.actions.doors import DoorController
from artguard.actions.mqtt_link import default_broker
from artguard.actions.notify import Notifier
from artguard.actions.playbooks import PlaybookRunner, SetThreatLevel
from artguard.actions.recording import ClipRecording
from artguard.bus import Bus
from artguard.config import Settings
from artguard.evidence import EvidenceRecorder
from artguard.site import Site
from artguard.store.audit import AuditLog


@dataclass
class Actions:
    doors: DoorController
    notifier: Notifier
    playbooks: PlaybookRunner
    recording: ClipRecording

    async def drain(self) -> None:
        """Finish the playbook runs and deliveries in progress."""
        await self.playbooks.drain()
        await self.notifier.drain()

    async def stop(self) -> None:
        await self.drain()
        await self.recording.stop()
        await self.notifier.close()
        await self.doors.close()


def build_actions(
    settings: Settings,
    site: Site,
    bus: Bus,
    engine: Any,
    audit: AuditLog,
    *,
    evidence: EvidenceRecorder | None,
    set_threat_level: SetThreatLevel | None,
    threat_level: Callable[[], str] | None,
) -> Actions:
    """The action services, subscribed to the bus."""
    broker = default_broker(settings)
    doors = DoorController(site, bus, engine, audit, broker=broker)
    notifier = Notifier(site, bus, engine, audit, broker=broker, environ=settings.environ)
    recording = ClipRecording(evidence)
    playbooks = PlaybookRunner(
        site,
        bus,
        engine,
        audit,
        doors,
        set_threat_level=set_threat_level,
        threat_level=threat_level,
        record=recording.record,
    )
    doors.attach()
    notifier.attach()
    playbooks.attach()
    return Actions(doors, notifier, playbooks, recording)
