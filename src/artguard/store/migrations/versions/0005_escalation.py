"""Escalation tiers and SLA deadlines of incidents; the last known room of each guard.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 23:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    columns = [
        sa.Column(
            "tier",
            sa.String(length=16),
            nullable=True,
            comment="escalation tier (triage.escalation)",
        ),
        sa.Column(
            "ack_due", sa.DateTime(timezone=True), nullable=True, comment="acknowledge deadline"
        ),
        sa.Column(
            "resolve_due", sa.DateTime(timezone=True), nullable=True, comment="resolve deadline"
        ),
        sa.Column(
            "resolve_overdue_time",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="supervisors told it is overdue",
        ),
        sa.Column(
            "escalations",
            sa.JSON(),
            nullable=True,
            comment="each tier change: time, from, to, why",
        ),
        sa.Column("assigned_to", sa.JSON(), nullable=True, comment="person ids paged or called"),
    ]
    for column in columns:
        op.add_column("incidents", column)
    op.create_table(
        "guard_locations",
        sa.Column("person_id", sa.String(length=128), nullable=False),
        sa.Column("room_id", sa.String(length=128), nullable=False),
        sa.Column(
            "time",
            sa.DateTime(timezone=True),
            nullable=False,
            comment="when the guard was seen there (site time)",
        ),
        sa.Column(
            "source",
            sa.String(length=200),
            nullable=False,
            comment="badge at a door, or who set it",
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_guard_locations")),
    )


def downgrade() -> None:
    op.drop_table("guard_locations")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("assigned_to")
        batch.drop_column("escalations")
        batch.drop_column("resolve_overdue_time")
        batch.drop_column("resolve_due")
        batch.drop_column("ack_due")
        batch.drop_column("tier")
