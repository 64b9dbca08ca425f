"""Visitor behaviour: the learned model per site and the watch flags.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 05:35:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "visitor_models",
        sa.Column("site_id", sa.String(length=128), nullable=False),
        sa.Column(
            "model",
            sa.JSON(),
            nullable=False,
            comment="the learned visitor behaviour (counts)",
        ),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("updated_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name=op.f("pk_visitor_models")),
    )
    op.create_table(
        "watch_flags",
        sa.Column("visitor_id", sa.String(length=128), nullable=False),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="raised, updated or cleared"
        ),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("raised_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("cleared_time", sa.DateTime(timezone=True), nullable=True),
        sa.Column("room_id", sa.String(length=128), nullable=True),
        sa.Column("floor_xy", sa.JSON(), nullable=True),
        sa.Column("reason_kinds", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("cameras", sa.JSON(), nullable=False),
        sa.Column("tracks", sa.JSON(), nullable=False),
        sa.Column("learned", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("visitor_id", name=op.f("pk_watch_flags")),
    )
    op.create_index("ix_watch_flags_updated_time", "watch_flags", ["updated_time"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_watch_flags_updated_time", table_name="watch_flags")
    op.drop_table("watch_flags")
    op.drop_table("visitor_models")
