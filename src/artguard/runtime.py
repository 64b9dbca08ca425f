"""The composition root: builds and wires every part of a running artguard from settings and
a site. The API server, the CLI replay, the demo and the benchmarks all start artguard through
here, so they exercise the same code path."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from pathlib import Path
from urllib.parse import urlparse

from artguard.access.face import face_challenges_from
from artguard.access.service import AccessService
from artguard.actions.speaker import DeterrentSpeaker, speaker_transport
from artguard.actions.wiring import build_actions
from artguard.bus import Bus, create_bus
from artguard.config import Settings
from artguard.evidence import EvidenceRecorder, EvidenceStore
from artguard.ingest.auth_audit import AuthFailureAuditor
from artguard.ingest.device_check import DeviceChecker
from artguard.ingest.frigate import frigate_bridge_from_env
from artguard.ingest.mqtt import MqttIngestListener
from artguard.ingest.service import IngestService
from artguard.ingest.tokens import DeviceTokens
from artguard.ingest.writer import EventWriter
from artguard.privacy.template_retention import TemplateRetention, template_store_from
from artguard.rules.engine import RuleEngine, default_rules
from artguard.rules.recovery import CheckpointKeeper, replay_unanalysed
from artguard.site import Site
from artguard.store.audit import AuditLog
from artguard.store.audit_group import GroupAudit
from artguard.store.db import open_database
from artguard.store.retention import RetentionPolicy
from artguard.store.retention_schedule import RetentionScheduler
from artguard.tasks import cancel
from artguard.triage.escalator import Escalator
from artguard.triage.guards import GuardLocator
from artguard.triage.incidents import IncidentManager
from artguard.triage.procedures import ProcedureService
from artguard.vision.rules import OccupancyCounter, StaffOnSite
from artguard.visitors.analyser import VisitorAnalyser

log = logging.getLogger(__name__)


class Runtime:
    """Everything a running artguard needs, started and stopped together."""

    def __init__(
        self,
        settings: Settings,
        site: Site,
        *,
        site_path: Path | None = None,
        live_clock: bool = True,
        bus: Bus | None = None,
    ) -> None:
        self.settings = settings
        self.site = site
        self.site_path = site_path
        self.live_clock = live_clock
        self.engine = open_database(settings)
        self.bus = bus or create_bus(settings.bus_url, site.id)
        self.audit = AuditLog(self.engine)
        self.tokens = DeviceTokens(self.engine)
        self.writer = EventWriter(self.engine, inline=settings.inline_writes)
        self.ingest = IngestService(
            checker=DeviceChecker(site),
            writer=self.writer,
            bus=self.bus,
            tokens=self.tokens,
            on_auth_failure=AuthFailureAuditor(self.audit),
        )
        self.mqtt_ingest = self._mqtt_listener()
        self.frigate = frigate_bridge_from_env(settings, site, self.ingest, env=settings.environ)
        self.occupancy = OccupancyCounter(site)
        self.staff = StaffOnSite(site)
        self.rules = RuleEngine(self.bus, default_rules(site, self.occupancy, self.staff))
        self.speaker = self._deterrent_speaker()
        self.evidence_store = EvidenceStore(settings.snapshots_dir, settings.originals_dir)
        self.evidence = self._evidence_recorder()
        self.incidents = IncidentManager(self.engine, self.bus, self.audit, site=site)
        self.procedures = ProcedureService(self.engine, self.bus, self.audit, site)
        self.group_audit = GroupAudit(self.audit)
        self.access = AccessService(
            site,
            bus=self.bus,
            audit=self.group_audit,
            faces=face_challenges_from(settings.environ, settings.data_dir, self.audit),
        )
        self.guards = GuardLocator(site, self.engine)
        self.escalator = Escalator(
            self.engine,
            self.bus,
            self.audit,
            site,
            self.guards,
            set_threat_level=self.access.set_threat_level,
        )
        self.checkpoints = CheckpointKeeper(self.engine, self.rules)
        # Face templates (None without a template key): erased by retention and on request.
        self.templates = template_store_from(settings.environ, settings.data_dir, self.audit)
        self.retention = RetentionScheduler(
            self.engine,
            RetentionPolicy.from_settings(site.retention),
            settings.snapshots_dir,
            originals_dir=settings.originals_dir,
            templates=TemplateRetention(self.templates, site) if self.templates else None,
        )
        self.rules.attach()
        self.incidents.attach()
        self.procedures.attach()
        self.access.attach()
        self.guards.attach(self.bus)
        self.escalator.attach()
        self._escalation_clock: asyncio.Task[None] | None = None
        self.actions = build_actions(
            settings,
            site,
            self.bus,
            self.engine,
            self.audit,
            evidence=self.evidence,
            set_threat_level=self.access.set_threat_level,
            threat_level=lambda: self.access.pdp.state.threat_level,
        )
        self.visitors = VisitorAnalyser(site, self.engine, self.bus)
        self.visitors.attach()
        self._access_clock: asyncio.Task[None] | None = None
        self.recovered_events = 0
        self._started = False

    async def start(self) -> None:
        self._audit_config_load()
        await self.writer.start()
        await self.group_audit.start()
        await self.access.restore(self.engine)
        await asyncio.to_thread(self.visitors.restore)
        await asyncio.to_thread(self.guards.restore)
        await asyncio.to_thread(self.staff.restore, self.engine)  # before replay: older first
        await self.procedures.sync_active()
        await self.bus.start()
        self.recovered_events = await replay_unanalysed(self.engine, self.rules)
        self.checkpoints.start()
        if self.live_clock:
            self.rules.run_clock()
            self.retention.start()
            self._access_clock = asyncio.create_task(self._tick_access(), name="access-clock")
            self._escalation_clock = asyncio.create_task(
                self.escalator.run_clock(), name="escalation-clock"
            )
            self.visitors.start()
        if self.mqtt_ingest is not None:
            await self.mqtt_ingest.start()
        if self.frigate is not None:
            await self.frigate.start()
        self._started = True
        log.info("artguard started for site %s (bus %s)", self.site.id, self.settings.bus_url)

    async def stop(self) -> None:
        if not self._started:
            return
        if self.frigate is not None:
            await self.frigate.stop()
        if self.mqtt_ingest is not None:  # stop taking events before the bus goes away
            await self.mqtt_ingest.stop()
        await self.retention.stop()
        await cancel(self._access_clock)
        self._access_clock = None
        await cancel(self._escalation_clock)
        self._escalation_clock = None
        await self.rules.stop()
        await self.visitors.stop()
        await self.actions.drain()  # playbook runs still publish
        await self.bus.stop()
        await self.guards.stop()  # badge sightings not stored yet
        await self.actions.stop()
        if self.evidence is not None:  # after the bus: the last alerts are recorded too
            await self.evidence.stop()
        await self.checkpoints.stop()
        await self.group_audit.stop()
        await self.writer.stop()
        self.engine.dispose()
        self._started = False

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _tick_access(self, interval_s: float = 30.0) -> None:
        """Re-verification alerts for people staying in high-security rooms."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                await self.access.tick()
            except Exception:  # one failed round must not stop the clock
                log.exception("access clock round failed")

    def _deterrent_speaker(self) -> DeterrentSpeaker | None:
        """Plays the step-back message on barrier touches, when speakers and a way to reach
        them (HTTP URL or an MQTT broker) are configured."""
        if not any(camera.speaker for camera in self.site.cameras):
            return None
        transport = speaker_transport(self.settings, self.site.id, self.settings.speaker_url)
        if transport is None:
            log.warning("cameras have speakers but no ARTGUARD_SPEAKER_URL or MQTT broker is set")
            return None
        speaker = DeterrentSpeaker(self.site, self.bus, self.audit, transport)
        speaker.attach()
        return speaker

    def _evidence_recorder(self) -> EvidenceRecorder | None:
        """Snapshots (and clips) of camera alerts, from the frames this process's camera
        workers analyse; none for a site without cameras."""
        if not self.site.cameras:
            return None
        recorder = EvidenceRecorder.for_site(self.site, self.bus, self.evidence_store)
        recorder.attach()
        return recorder

    def _mqtt_listener(self) -> MqttIngestListener | None:
        url = self.settings.resolved_mqtt_ingest_url
        if url is None:
            return None
        parsed = urlparse(url)
        return MqttIngestListener(
            parsed.hostname or "127.0.0.1", parsed.port or 1883, self.site.id, self.ingest
        )

    def _audit_config_load(self) -> None:
        details: dict[str, object] = {
            "site_id": self.site.id,
            "rooms": len(self.site.rooms),
            "doors": len(self.site.doors),
            "sensors": len(self.site.sensors),
            "cameras": len(self.site.cameras),
        }
        if self.site_path is not None:
            details["path"] = str(self.site_path)
            details["sha256"] = hashlib.sha256(self.site_path.read_bytes()).hexdigest()
        self.audit.append("system", "config.loaded", self.site.id, details)
