"""Incident risk scoring: score, pattern reasons and contributions; why an alert joined.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 06:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "incidents",
        sa.Column("score", sa.Float(), nullable=True, comment="risk score 0..1 (triage.scoring)"),
    )
    op.add_column(
        "incidents",
        sa.Column(
            "pattern_reasons", sa.JSON(), nullable=True, comment="why the pattern was recognised"
        ),
    )
    op.add_column(
        "incidents",
        sa.Column("contributions", sa.JSON(), nullable=True, comment="each alert's weight and why"),
    )
    op.add_column(
        "alerts",
        sa.Column(
            "correlation",
            sa.String(length=300),
            nullable=True,
            comment="why it joined its incident",
        ),
    )


def downgrade() -> None:
    with op.batch_alter_table("alerts") as batch:
        batch.drop_column("correlation")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("contributions")
        batch.drop_column("pattern_reasons")
        batch.drop_column("score")
