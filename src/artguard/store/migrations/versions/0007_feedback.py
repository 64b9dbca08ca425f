"""Operator feedback: verdicts per incident and feedback key, with revert markers.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_verdicts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "key",
            sa.String(length=330),
            nullable=False,
            comment="rule,device,band (triage.adjustment)",
        ),
        sa.Column("rule", sa.String(length=64), nullable=False),
        sa.Column("device_id", sa.String(length=128), nullable=False),
        sa.Column("band", sa.String(length=16), nullable=False, comment="open, closed or night"),
        sa.Column(
            "category", sa.String(length=16), nullable=False, comment="the signal's category"
        ),
        sa.Column("label", sa.String(length=100), nullable=False, comment="the signal's label"),
        sa.Column(
            "incident_id",
            sa.String(length=64),
            nullable=False,
            comment="no FK: outlives retention",
        ),
        sa.Column("alert_id", sa.String(length=128), nullable=False),
        sa.Column(
            "alert_time",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="first evidence of the alert",
        ),
        sa.Column(
            "verdict", sa.String(length=16), nullable=False, comment="false_alarm or confirmed"
        ),
        sa.Column("note", sa.Text(), nullable=True, comment="the operator's reason"),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("recorded_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False, comment="false while reverted"),
        sa.Column(
            "changed_time",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="last revert or re-apply",
        ),
        sa.Column("changed_by", sa.String(length=128), nullable=True),
        sa.Column("change_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_verdicts")),
    )
    op.create_index("ix_feedback_verdicts_key", "feedback_verdicts", ["key"], unique=False)
    op.create_index(
        "ix_feedback_verdicts_incident_key",
        "feedback_verdicts",
        ["incident_id", "key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("ix_feedback_verdicts_incident_key", table_name="feedback_verdicts")
    op.drop_index("ix_feedback_verdicts_key", table_name="feedback_verdicts")
    op.drop_table("feedback_verdicts")
