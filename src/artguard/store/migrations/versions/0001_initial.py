"""Initial schema: events, incidents, alerts, the audit log and device tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:18:16.458568
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=False,
            nullable=False,
        ),
        sa.Column("ts", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=256), nullable=True),
        sa.Column("details", sa.Text(), nullable=False, comment="canonical JSON"),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_log_ts", ["ts"], unique=False)

    op.create_table(
        "device_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "devices", sa.JSON(), nullable=False, comment="device ids this token may send for"
        ),
        sa.Column("created_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_time", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_tokens_token_hash")),
    )
    op.create_table(
        "events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("site_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("received_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False, comment="the event's canonical JSON"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_events")),
        sa.UniqueConstraint("id", name=op.f("uq_events_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(
            "ix_events_device_site_time", ["device_id", "site_time"], unique=False
        )
        batch_op.create_index("ix_events_received_time", ["received_time"], unique=False)

    op.create_table(
        "incidents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("pattern", sa.String(length=64), nullable=True),
        sa.Column("room_id", sa.String(length=128), nullable=True),
        sa.Column("owner", sa.String(length=128), nullable=True),
        sa.Column("alert_count", sa.Integer(), nullable=False),
        sa.Column("first_event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("detected_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_alert_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acknowledged_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("updated_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incidents")),
    )
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.create_index("ix_incidents_detected_time", ["detected_time"], unique=False)
        batch_op.create_index("ix_incidents_status", ["status"], unique=False)

    op.create_table(
        "alerts",
        sa.Column("id", sa.String(length=128), nullable=False),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("room_id", sa.String(length=128), nullable=True),
        sa.Column("artwork_id", sa.String(length=128), nullable=True),
        sa.Column("dedup_key", sa.String(length=256), nullable=False),
        sa.Column("first_event_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("repeat_count", sa.Integer(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("source_event_ids", sa.JSON(), nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_alerts_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.create_index("ix_alerts_dedup_key", ["dedup_key"], unique=False)
        batch_op.create_index("ix_alerts_incident_id", ["incident_id"], unique=False)
        batch_op.create_index("ix_alerts_raised_time", ["raised_time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_index("ix_alerts_raised_time")
        batch_op.drop_index("ix_alerts_incident_id")
        batch_op.drop_index("ix_alerts_dedup_key")

    op.drop_table("alerts")
    with op.batch_alter_table("incidents", schema=None) as batch_op:
        batch_op.drop_index("ix_incidents_status")
        batch_op.drop_index("ix_incidents_detected_time")

    op.drop_table("incidents")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_received_time")
        batch_op.drop_index("ix_events_device_site_time")

    op.drop_table("events")
    op.drop_table("device_tokens")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_log_ts")

    op.drop_table("audit_log")
