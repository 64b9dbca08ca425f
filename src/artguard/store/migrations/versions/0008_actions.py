"""Playbook runs and actions, door commands and notification deliveries (artguard.actions).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_AUTO_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "playbook_runs",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        _time("started_time"),
        _time("finished_time", nullable=True),
        sa.PrimaryKeyConstraint("incident_id", "playbook_id", name=op.f("pk_playbook_runs")),
    )
    op.create_table(
        "incident_actions",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column(
            "playbook_id",
            sa.String(length=128),
            nullable=True,
            comment="null: asked for by a person",
        ),
        sa.Column(
            "action",
            sa.String(length=32),
            nullable=False,
            comment="lock_doors, threat_level, notify...",
        ),
        sa.Column(
            "target",
            sa.String(length=256),
            nullable=True,
            comment="door, level, channel or camera",
        ),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="done, confirmed, failed, ..."
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("actor", sa.String(length=128), nullable=False),
        _time("started_time"),
        _time("finished_time", nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_actions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_actions")),
    )
    op.create_index(
        "ix_incident_actions_incident_id", "incident_actions", ["incident_id"], unique=False
    )
    op.create_table(
        "door_commands",
        sa.Column(
            "id",
            sa.String(length=64),
            nullable=False,
            comment="the command id sent to the door",
        ),
        sa.Column("door_id", sa.String(length=128), nullable=False),
        sa.Column("command", sa.String(length=8), nullable=False, comment="lock or unlock"),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("override", sa.Boolean(), nullable=False, comment="a person's direct command"),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("transport", sa.String(length=8), nullable=False, comment="mqtt, http or none"),
        sa.Column(
            "status",
            sa.String(length=16),
            nullable=False,
            comment="pending, confirmed, timeout, ...",
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column(
            "confirmed_by", sa.String(length=16), nullable=True, comment="ack, http or door_state"
        ),
        _time("sent_time"),
        _time("finished_time", nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_door_commands")),
    )
    op.create_index(
        "ix_door_commands_door_id", "door_commands", ["door_id", "sent_time"], unique=False
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("id", _AUTO_ID, autoincrement=True, nullable=False),
        sa.Column("notification_id", sa.String(length=128), nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=True),
        sa.Column("audience", sa.String(length=128), nullable=False),
        sa.Column("channel", sa.String(length=128), nullable=False),
        sa.Column(
            "channel_type",
            sa.String(length=16),
            nullable=False,
            comment="webhook, mqtt, email or none",
        ),
        sa.Column("status", sa.String(length=8), nullable=False, comment="ok or failed"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        _time("time"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
    )
    op.create_index(
        "ix_notification_deliveries_incident_id",
        "notification_deliveries",
        ["incident_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_deliveries_incident_id", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_index("ix_door_commands_door_id", table_name="door_commands")
    op.drop_table("door_commands")
    op.drop_index("ix_incident_actions_incident_id", table_name="incident_actions")
    op.drop_table("incident_actions")
    op.drop_table("playbook_runs")
