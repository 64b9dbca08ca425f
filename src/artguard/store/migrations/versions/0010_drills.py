"""Red-team drill runs.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 04:30:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "drill_runs",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("finished_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.String(length=128), nullable=False),
        sa.Column("seed", sa.BigInteger(), nullable=False),
        sa.Column("days", sa.Float(), nullable=False, comment="simulated site-days"),
        sa.Column("scenarios", sa.Integer(), nullable=False, comment="scenarios injected"),
        sa.Column("detected", sa.Integer(), nullable=False),
        sa.Column("detection_rate", sa.Float(), nullable=False),
        sa.Column(
            "false_incidents",
            sa.Integer(),
            nullable=False,
            comment="incidents no scenario explains",
        ),
        sa.Column(
            "false_high_per_day",
            sa.Float(),
            nullable=False,
            comment="high-risk false incidents/day",
        ),
        sa.Column("ttd_median_s", sa.Float(), nullable=True),
        sa.Column("ttd_p90_s", sa.Float(), nullable=True),
        sa.Column(
            "events", sa.BigInteger(), nullable=False, comment="events fed through the pipeline"
        ),
        sa.Column("wall_seconds", sa.Float(), nullable=False),
        sa.Column(
            "result", sa.JSON(), nullable=False, comment="the whole DrillResult (drill.codec)"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drill_runs")),
    )
    with op.batch_alter_table("drill_runs", schema=None) as batch_op:
        batch_op.create_index("ix_drill_runs_finished_time", ["finished_time"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("drill_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_drill_runs_finished_time")
    op.drop_table("drill_runs")
