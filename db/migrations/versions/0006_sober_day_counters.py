"""sober-day counters: counters, the runs a reset ended, sharing choices

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sober_counters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("substance", db.types.EncryptedText(), nullable=False),
        sa.Column("since", sa.Date(), nullable=False),
        sa.Column("daily_cost_cents", sa.Integer(), nullable=True),
        sa.Column("next_milestone_days", sa.Integer(), nullable=True),
        sa.Column("next_milestone_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "daily_cost_cents >= 0", name=op.f("ck_sober_counters_daily_cost_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sober_counters")),
    )
    with op.batch_alter_table("sober_counters") as batch:
        batch.create_index("ix_sober_counters_guild_user", ["guild_id", "user_id"], unique=False)
        batch.create_index(batch.f("ix_sober_counters_guild_id"), ["guild_id"], unique=False)
        batch.create_index(
            batch.f("ix_sober_counters_next_milestone_at"), ["next_milestone_at"], unique=False
        )

    op.create_table(
        "sober_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("counter_id", sa.Integer(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("ended_on >= started_on", name=op.f("ck_sober_runs_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["counter_id"],
            ["sober_counters.id"],
            name=op.f("fk_sober_runs_counter_id_sober_counters"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sober_runs")),
    )
    with op.batch_alter_table("sober_runs") as batch:
        batch.create_index(batch.f("ix_sober_runs_counter_id"), ["counter_id"], unique=False)
        batch.create_index(batch.f("ix_sober_runs_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "sober_preferences",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("share_milestones", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_sober_preferences")),
    )


def downgrade() -> None:
    op.drop_table("sober_preferences")
    op.drop_table("sober_runs")
    op.drop_table("sober_counters")
