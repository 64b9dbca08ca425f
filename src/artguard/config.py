"""Runtime settings from the environment (the site itself lives in the site YAML).

* ``ARTGUARD_DATA_DIR`` (default ``./var``): database, snapshots and other files.
* ``ARTGUARD_DATABASE_URL`` (default: SQLite file ``<data dir>/artguard.db``): any SQLAlchemy
  URL, e.g. PostgreSQL at scale.
* ``ARTGUARD_BUS_URL`` (default ``memory://``): ``memory://`` (in-process) or
  ``mqtt://host:port``.
* ``ARTGUARD_MQTT_INGEST_URL`` (default: the bus URL when the bus is MQTT, else off):
  ``mqtt://host:port`` of the broker devices publish to (``artguard/<site>/ingest/<device>``);
  ``off`` disables MQTT ingestion.
* ``ARTGUARD_SPEAKER_URL`` (default: off, or MQTT when a broker is configured): HTTP URL for
  gallery speaker commands; ``{speaker}`` in it is replaced by the speaker's device id.
* ``ARTGUARD_SQLITE_SYNCHRONOUS`` (default ``FULL``, which survives power loss): SQLite's
  ``synchronous`` pragma.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: Path("var"))
    database_url: str | None = None
    bus_url: str = "memory://"
    sqlite_synchronous: str = "FULL"
    mqtt_ingest_url: str | None = None
    speaker_url: str | None = None
    inline_writes: bool = False
    """Commit stored events in the event loop's own thread instead of a worker thread. Only
    for batch runs where no request waits on the loop (drills): it saves a thread hand-off
    per commit, which is most of a commit's cost, but blocks the loop while committing."""
    environ: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    """The environment these settings came from; integrations read their own variables here
    (e.g. ``ARTGUARD_FRIGATE_*``), so settings built in code never pick up the process's."""

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = dict(os.environ if env is None else env)
        values: dict[str, object] = {
            "data_dir": Path(env.get("ARTGUARD_DATA_DIR", "var")),
            "database_url": env.get("ARTGUARD_DATABASE_URL") or None,
            "bus_url": env.get("ARTGUARD_BUS_URL", "memory://"),
            "sqlite_synchronous": env.get("ARTGUARD_SQLITE_SYNCHRONOUS", "FULL").upper(),
            "mqtt_ingest_url": env.get("ARTGUARD_MQTT_INGEST_URL") or None,
            "speaker_url": env.get("ARTGUARD_SPEAKER_URL") or None,
            "environ": env,
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls(**values)  # type: ignore[arg-type]
        settings.validate()
        return settings

    def validate(self) -> None:
        scheme = urlparse(self.bus_url).scheme
        if scheme not in {"memory", "mqtt"}:
            raise ConfigError(
                f"ARTGUARD_BUS_URL={self.bus_url!r}: expected memory:// or mqtt://host[:port]"
            )
        ingest = self.mqtt_ingest_url
        if ingest not in (None, "off") and urlparse(ingest).scheme != "mqtt":
            raise ConfigError(
                f"ARTGUARD_MQTT_INGEST_URL={ingest!r}: expected mqtt://host[:port] or off"
            )
        if self.sqlite_synchronous not in {"OFF", "NORMAL", "FULL", "EXTRA"}:
            raise ConfigError(
                f"ARTGUARD_SQLITE_SYNCHRONOUS={self.sqlite_synchronous!r}: "
                "expected OFF, NORMAL, FULL or EXTRA"
            )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'artguard.db').resolve()}"

    @property
    def resolved_mqtt_ingest_url(self) -> str | None:
        """Where devices publish over MQTT, or None when MQTT ingestion is off."""
        if self.mqtt_ingest_url == "off":
            return None
        if self.mqtt_ingest_url:
            return self.mqtt_ingest_url
        return self.bus_url if self.bus_url.startswith("mqtt://") else None

    @property
    def snapshots_dir(self) -> Path:
        return self.data_dir / "snapshots"

    @property
    def originals_dir(self) -> Path:
        """Unblurred evidence originals (only when the site keeps them); purged separately."""
        return self.data_dir / "originals"
