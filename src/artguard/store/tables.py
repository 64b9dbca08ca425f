"""Database schema (SQLAlchemy 2 Core tables). Alembic migrations in ``migrations/`` follow it.

Times are stored as timezone-aware UTC datetimes. JSON columns hold the parts that are read
whole (reasons, evidence, payloads), never queried field by field.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

# Naming convention so Alembic migrations get deterministic constraint names on every backend.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# SQLite only makes INTEGER PRIMARY KEY an alias of the rowid; BigInteger elsewhere.
AutoId = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes stored as UTC on every backend.

    SQLite keeps no zone, so values come back naive; this type makes them aware (UTC) again,
    and refuses naive values on the way in so no local time is ever stored by mistake.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"expected a timezone-aware datetime, got {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


Tz = UtcDateTime()

events = Table(
    "events",
    metadata,
    Column("seq", AutoId, primary_key=True, autoincrement=True),
    Column("id", String(128), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("site_time", Tz, nullable=False),
    Column("received_time", Tz, nullable=False),
    Column("payload", Text, nullable=False, comment="the event's canonical JSON"),
)
Index("ix_events_received_time", events.c.received_time)
Index("ix_events_device_site_time", events.c.device_id, events.c.site_time)

incidents = Table(
    "incidents",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("pattern", String(64), nullable=True),
    Column("room_id", String(128), nullable=True),
    Column("owner", String(128), nullable=True),
    Column("alert_count", Integer, nullable=False, default=0),
    Column("first_event_time", Tz, nullable=False),
    Column("detected_time", Tz, nullable=False),
    Column("last_alert_time", Tz, nullable=False),
    Column("acknowledged_time", Tz, nullable=True),
    Column("resolved_time", Tz, nullable=True),
    Column("resolution_note", Text, nullable=True),
    Column("updated_time", Tz, nullable=False),
    Column("score", Float, nullable=True, comment="risk score 0..1 (triage.scoring)"),
    Column("pattern_reasons", JSON, nullable=True, comment="why the pattern was recognised"),
    Column("contributions", JSON, nullable=True, comment="each alert's weight and why"),
)
Index("ix_incidents_status", incidents.c.status)
Index("ix_incidents_detected_time", incidents.c.detected_time)

alerts = Table(
    "alerts",
    metadata,
    Column("id", String(128), primary_key=True),
    Column("rule", String(64), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("room_id", String(128), nullable=True),
    Column("artwork_id", String(128), nullable=True),
    Column("dedup_key", String(256), nullable=False),
    Column("first_event_time", Tz, nullable=False),
    Column("raised_time", Tz, nullable=False),
    Column("last_seen_time", Tz, nullable=False),
    Column("repeat_count", Integer, nullable=False, default=1),
    Column("reasons", JSON, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("source_event_ids", JSON, nullable=False),
    Column(
        "incident_id",
        String(64),
        ForeignKey("incidents.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("correlation", String(300), nullable=True, comment="why it joined its incident"),
)
Index("ix_alerts_dedup_key", alerts.c.dedup_key)
Index("ix_alerts_incident_id", alerts.c.incident_id)
Index("ix_alerts_raised_time", alerts.c.raised_time)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", AutoId, primary_key=True, autoincrement=False),
    Column("ts", Tz, nullable=False),
    Column("actor", String(128), nullable=False),
    Column("action", String(64), nullable=False),
    Column("subject", String(256), nullable=True),
    Column("details", Text, nullable=False, comment="canonical JSON"),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)
Index("ix_audit_log_ts", audit_log.c.ts)

device_tokens = Table(
    "device_tokens",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(128), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("devices", JSON, nullable=False, comment="device ids this token may send for"),
    Column("created_time", Tz, nullable=False),
    Column("revoked_time", Tz, nullable=True),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    Column("updated_time", Tz, nullable=False),
)
"""Progress markers of stream consumers (e.g. how far the rules have analysed the event log)."""

visitor_models = Table(
    "visitor_models",
    metadata,
    Column("site_id", String(128), primary_key=True),
    Column("model", JSON, nullable=False, comment="the learned visitor behaviour (counts)"),
    Column("visitors", Integer, nullable=False),
    Column("updated_time", Tz, nullable=False),
)
"""What normal visitor behaviour looks like, per site (artguard.visitors.model)."""

watch_flags = Table(
    "watch_flags",
    metadata,
    Column("visitor_id", String(128), primary_key=True),
    Column("status", String(16), nullable=False, comment="raised, updated or cleared"),
    Column("first_seen", Tz, nullable=False),
    Column("raised_time", Tz, nullable=False),
    Column("updated_time", Tz, nullable=False),
    Column("cleared_time", Tz, nullable=True),
    Column("room_id", String(128), nullable=True),
    Column("floor_xy", JSON, nullable=True),
    Column("reason_kinds", JSON, nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("evidence", JSON, nullable=False),
    Column("cameras", JSON, nullable=False),
    Column("tracks", JSON, nullable=False),
    Column("learned", Boolean, nullable=False),
)
Index("ix_watch_flags_updated_time", watch_flags.c.updated_time)
