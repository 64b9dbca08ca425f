"""Standard operating procedures of incidents: the procedure attached, every step action.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "incident_procedures",
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column(
            "pattern",
            sa.String(length=64),
            nullable=False,
            comment="the pattern whose procedure applies",
        ),
        sa.Column(
            "procedure", sa.JSON(), nullable=False, comment="the procedure's steps as attached"
        ),
        sa.Column("attached_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False, comment="earlier patterns: time, from, to"),
        sa.Column(
            "closed_time",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when the incident was closed",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_procedures_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("incident_id", name=op.f("pk_incident_procedures")),
    )
    op.create_table(
        "incident_step_actions",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column(
            "pattern",
            sa.String(length=64),
            nullable=False,
            comment="procedure the step belonged to",
        ),
        sa.Column("step_id", sa.String(length=128), nullable=False),
        sa.Column("step_text", sa.String(length=500), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False, comment="done, answer or skip"),
        sa.Column(
            "cause",
            sa.String(length=16),
            nullable=False,
            comment="operator, passed_over, incident_closed",
        ),
        sa.Column("answer", sa.String(length=64), nullable=True),
        sa.Column(
            "note", sa.Text(), nullable=True, comment="the operator's note or the skip reason"
        ),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_incident_step_actions_incident_id_incidents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_step_actions")),
    )
    with op.batch_alter_table("incident_step_actions") as batch:
        batch.create_index("ix_incident_step_actions_incident_id", ["incident_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("incident_step_actions") as batch:
        batch.drop_index("ix_incident_step_actions_incident_id")
    op.drop_table("incident_step_actions")
    op.drop_table("incident_procedures")
