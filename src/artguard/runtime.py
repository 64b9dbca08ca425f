"""The composition root: builds and wires every part of a running artguard from settings and
a site. The API server, the CLI replay, the demo and the benchmarks all start artguard through
here, so they exercise the same code path."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from urllib.parse import urlparse

from artguard.actions.speaker import DeterrentSpeaker, speaker_transport
from artguard.bus import Bus, create_bus
from artguard.config import Settings
from artguard.ingest.auth_audit import AuthFailureAuditor
from artguard.ingest.device_check import DeviceChecker
from artguard.ingest.frigate import frigate_bridge_from_env
from artguard.ingest.mqtt import MqttIngestListener
from artguard.ingest.service import IngestService
from artguard.ingest.tokens import DeviceTokens
from artguard.ingest.writer import EventWriter
from artguard.rules.engine import RuleEngine, default_rules
from artguard.rules.recovery import CheckpointKeeper, replay_unanalysed
from artguard.site import Site
from artguard.store.audit import AuditLog
from artguard.store.db import open_database
from artguard.store.retention import RetentionPolicy
from artguard.store.retention_schedule import RetentionScheduler
from artguard.triage.incidents import IncidentManager
from artguard.vision.rules import OccupancyCounter

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
        self.writer = EventWriter(self.engine)
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
        self.rules = RuleEngine(self.bus, default_rules(site, self.occupancy))
        self.speaker = self._deterrent_speaker()
        self.incidents = IncidentManager(self.engine, self.bus, self.audit)
        self.checkpoints = CheckpointKeeper(self.engine, self.rules)
        self.retention = RetentionScheduler(
            self.engine,
            RetentionPolicy.from_settings(site.retention),
            settings.snapshots_dir,
        )
        self.rules.attach()
        self.incidents.attach()
        self.recovered_events = 0
        self._started = False

    async def start(self) -> None:
        self._audit_config_load()
        await self.writer.start()
        await self.bus.start()
        self.recovered_events = await replay_unanalysed(self.engine, self.rules)
        self.checkpoints.start()
        if self.live_clock:
            self.rules.run_clock()
            self.retention.start()
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
        await self.rules.stop()
        await self.bus.stop()
        await self.checkpoints.stop()
        await self.writer.stop()
        self.engine.dispose()
        self._started = False

    async def __aenter__(self) -> Runtime:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

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
