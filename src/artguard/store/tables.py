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
    Column("tier", String(16), nullable=True, comment="escalation tier (triage.escalation)"),
    Column("ack_due", Tz, nullable=True, comment="acknowledge deadline"),
    Column("resolve_due", Tz, nullable=True, comment="resolve deadline"),
    Column("resolve_overdue_time", Tz, nullable=True, comment="supervisors told it is overdue"),
    Column("escalations", JSON, nullable=True, comment="each tier change: time, from, to, why"),
    Column("assigned_to", JSON, nullable=True, comment="person ids paged or called"),
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

incident_procedures = Table(
    "incident_procedures",
    metadata,
    Column(
        "incident_id",
        String(64),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("pattern", String(64), nullable=False, comment="the pattern whose procedure applies"),
    Column("procedure", JSON, nullable=False, comment="the procedure's steps as attached"),
    Column("attached_time", Tz, nullable=False),
    Column("changes", JSON, nullable=False, comment="earlier patterns: time, from, to"),
    Column("closed_time", Tz, nullable=True, comment="when the incident was closed"),
)
"""The standard operating procedure attached to each incident (artguard.triage.procedures)."""

incident_step_actions = Table(
    "incident_step_actions",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        String(64),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("pattern", String(64), nullable=False, comment="procedure the step belonged to"),
    Column("step_id", String(128), nullable=False),
    Column("step_text", String(500), nullable=False),
    Column("required", Boolean, nullable=False),
    Column("action", String(16), nullable=False, comment="done, answer or skip"),
    Column("cause", String(16), nullable=False, comment="operator, passed_over, incident_closed"),
    Column("answer", String(64), nullable=True),
    Column("note", Text, nullable=True, comment="the operator's note or the skip reason"),
    Column("actor", String(128), nullable=False),
    Column("time", Tz, nullable=False),
)
"""Every action on a procedure step, in order; a step's latest action is its state."""
Index("ix_incident_step_actions_incident_id", incident_step_actions.c.incident_id)

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

guard_locations = Table(
    "guard_locations",
    metadata,
    Column("person_id", String(128), primary_key=True),
    Column("room_id", String(128), nullable=False),
    Column("time", Tz, nullable=False, comment="when the guard was seen there (site time)"),
    Column("source", String(200), nullable=False, comment="badge at a door, or who set it"),
)
"""The last known room of each guard (artguard.triage.guards)."""

feedback_verdicts = Table(
    "feedback_verdicts",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("key", String(330), nullable=False, comment="rule,device,band (triage.adjustment)"),
    Column("rule", String(64), nullable=False),
    Column("device_id", String(128), nullable=False),
    Column("band", String(16), nullable=False, comment="open, closed or night"),
    Column("category", String(16), nullable=False, comment="the signal's category"),
    Column("label", String(100), nullable=False, comment="the signal's label"),
    Column("incident_id", String(64), nullable=False, comment="no FK: outlives retention"),
    Column("alert_id", String(128), nullable=False),
    Column("alert_time", Tz, nullable=False, comment="first evidence of the alert"),
    Column("verdict", String(16), nullable=False, comment="false_alarm or confirmed"),
    Column("note", Text, nullable=True, comment="the operator's reason"),
    Column("actor", String(128), nullable=False),
    Column("recorded_time", Tz, nullable=False),
    Column("active", Boolean, nullable=False, comment="false while reverted"),
    Column("changed_time", Tz, nullable=True, comment="last revert or re-apply"),
    Column("changed_by", String(128), nullable=True),
    Column("change_reason", Text, nullable=True),
)
"""Operators' verdicts per incident and feedback key (artguard.triage.feedback)."""
Index("ix_feedback_verdicts_key", feedback_verdicts.c.key)
Index(
    "ix_feedback_verdicts_incident_key",
    feedback_verdicts.c.incident_id,
    feedback_verdicts.c.key,
    unique=True,
)

users = Table(
    "users",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False, comment="artguard.auth.roles.ROLES"),
    Column("password_hash", String(255), nullable=False, comment="argon2id PHC string"),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_time", Tz, nullable=False),
    Column("updated_time", Tz, nullable=False),
    Column("password_changed_time", Tz, nullable=False),
    Column("last_sign_in_time", Tz, nullable=True),
)
"""People who sign in to the platform (artguard.auth.users)."""

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", String(64), primary_key=True, comment="SHA-256 of the session token"),
    Column("user_id", String(32), ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_time", Tz, nullable=False),
    Column("last_seen_time", Tz, nullable=False),
    Column("expires_time", Tz, nullable=False, comment="absolute end, however busy"),
    Column("revoked_time", Tz, nullable=True),
    Column("address", String(64), nullable=True, comment="client address at sign-in"),
)
Index("ix_user_sessions_user_id", user_sessions.c.user_id)
"""Signed-in sessions; only the token's hash is stored (artguard.auth.sessions)."""

sign_in_failures = Table(
    "sign_in_failures",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("username", String(128), nullable=False),
    Column("address", String(64), nullable=False),
    Column("failed_time", Tz, nullable=False),
)
Index("ix_sign_in_failures_username", sign_in_failures.c.username, sign_in_failures.c.failed_time)
Index("ix_sign_in_failures_address", sign_in_failures.c.address, sign_in_failures.c.failed_time)
"""Failed sign-ins, for throttling and lock-out that survive a restart (artguard.auth.throttle)."""

playbook_runs = Table(
    "playbook_runs",
    metadata,
    Column("incident_id", String(64), primary_key=True),
    Column("playbook_id", String(128), primary_key=True),
    Column("started_time", Tz, nullable=False),
    Column("finished_time", Tz, nullable=True),
)
"""Which playbook ran for which incident: each runs once per incident, across restarts."""

incident_actions = Table(
    "incident_actions",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column(
        "incident_id",
        String(64),
        ForeignKey("incidents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("playbook_id", String(128), nullable=True, comment="null: asked for by a person"),
    Column("action", String(32), nullable=False, comment="lock_doors, threat_level, notify..."),
    Column("target", String(256), nullable=True, comment="door, level, channel or camera"),
    Column("status", String(16), nullable=False, comment="done, confirmed, failed, ..."),
    Column("detail", Text, nullable=True),
    Column("actor", String(128), nullable=False),
    Column("started_time", Tz, nullable=False),
    Column("finished_time", Tz, nullable=True),
)
"""Every action taken for an incident by a playbook or a one-click request (artguard.actions)."""
Index("ix_incident_actions_incident_id", incident_actions.c.incident_id)

door_commands = Table(
    "door_commands",
    metadata,
    Column("id", String(64), primary_key=True, comment="the command id sent to the door"),
    Column("door_id", String(128), nullable=False),
    Column("command", String(8), nullable=False, comment="lock or unlock"),
    Column("actor", String(128), nullable=False),
    Column("reason", Text, nullable=False),
    Column("override", Boolean, nullable=False, comment="a person's direct command"),
    Column("incident_id", String(64), nullable=True),
    Column("transport", String(8), nullable=False, comment="mqtt, http or none"),
    Column("status", String(16), nullable=False, comment="pending, confirmed, timeout, ..."),
    Column("detail", Text, nullable=True),
    Column("confirmed_by", String(16), nullable=True, comment="ack, http or door_state"),
    Column("sent_time", Tz, nullable=False),
    Column("finished_time", Tz, nullable=True),
)
"""Lock and unlock commands to doors and how each ended (artguard.actions.doors)."""
Index("ix_door_commands_door_id", door_commands.c.door_id, door_commands.c.sent_time)

notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("id", AutoId, primary_key=True, autoincrement=True),
    Column("notification_id", String(128), nullable=False),
    Column("incident_id", String(64), nullable=True),
    Column("audience", String(128), nullable=False),
    Column("channel", String(128), nullable=False),
    Column("channel_type", String(16), nullable=False, comment="webhook, mqtt, email or none"),
    Column("status", String(8), nullable=False, comment="ok or failed"),
    Column("attempts", Integer, nullable=False),
    Column("error", Text, nullable=True),
    Column("time", Tz, nullable=False),
)
"""Each notification's delivery on each channel (artguard.actions.notify)."""
Index("ix_notification_deliveries_incident_id", notification_deliveries.c.incident_id)

drill_runs = Table(
    "drill_runs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("finished_time", Tz, nullable=False),
    Column("site_id", String(128), nullable=False),
    Column("seed", BigInteger, nullable=False),
    Column("days", Float, nullable=False, comment="simulated site-days"),
    Column("scenarios", Integer, nullable=False, comment="scenarios injected"),
    Column("detected", Integer, nullable=False),
    Column("detection_rate", Float, nullable=False),
    Column("false_incidents", Integer, nullable=False, comment="incidents no scenario explains"),
    Column("false_high_per_day", Float, nullable=False, comment="high-risk false incidents/day"),
    Column("ttd_median_s", Float, nullable=True),
    Column("ttd_p90_s", Float, nullable=True),
    Column("events", BigInteger, nullable=False, comment="events fed through the pipeline"),
    Column("wall_seconds", Float, nullable=False),
    Column("result", JSON, nullable=False, comment="the whole DrillResult (drill.codec)"),
)
"""Red-team drill runs: summary columns for lists, the full result for reports (artguard.drill)."""
Index("ix_drill_runs_finished_time", drill_runs.c.finished_time)
