"""daily check-ins

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:14:00.786482
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "checkin_preferences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("reminders_enabled", sa.Boolean(), nullable=False),
        sa.Column("reminder_hour", sa.Integer(), nullable=False),
        sa.Column("share_enabled", sa.Boolean(), nullable=False),
        sa.Column("last_reminder_date", sa.Date(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reminder_hour BETWEEN 0 AND 23",
            name=op.f("ck_checkin_preferences_reminder_hour_range"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_preferences")),
        sa.UniqueConstraint(
            "guild_id", "user_id", name=op.f("uq_checkin_preferences_guild_id_user_id")
        ),
    )
    with op.batch_alter_table("checkin_preferences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_checkin_preferences_guild_id"), ["guild_id"], unique=False
        )

    op.create_table(
        "checkin_schedules",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=False),
        sa.Column("prompt_hour", sa.Integer(), nullable=False),
        sa.Column("prompt_minute", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("last_prompt_date", sa.Date(), nullable=True),
        sa.Column("last_prompt_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "prompt_hour BETWEEN 0 AND 23", name=op.f("ck_checkin_schedules_prompt_hour_range")
        ),
        sa.CheckConstraint(
            "prompt_minute BETWEEN 0 AND 59", name=op.f("ck_checkin_schedules_prompt_minute_range")
        ),
        sa.PrimaryKeyConstraint("guild_id", name=op.f("pk_checkin_schedules")),
    )
    op.create_table(
        "checkin_signals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("episode_start", sa.Date(), nullable=False),
        sa.Column("detected_on", sa.Date(), nullable=False),
        sa.Column("detected_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("nudge_delivered", sa.Boolean(), nullable=False),
        sa.Column("shared_with_specialists", sa.Boolean(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkin_signals")),
        sa.UniqueConstraint(
            "guild_id",
            "user_id",
            "kind",
            "episode_start",
            name=op.f("uq_checkin_signals_guild_id_user_id_kind_episode_start"),
        ),
    )
    with op.batch_alter_table("checkin_signals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_signals_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("mood", sa.Integer(), nullable=False),
        sa.Column("craving", sa.Integer(), nullable=False),
        sa.Column("sleep_hours", sa.Float(), nullable=False),
        sa.Column("triggers", sa.JSON(), nullable=False),
        sa.Column("note", db.types.EncryptedText(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_checkins")),
        sa.UniqueConstraint(
            "guild_id",
            "user_id",
            "local_date",
            name=op.f("uq_checkins_guild_id_user_id_local_date"),
        ),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index("ix_checkins_guild_date", ["guild_id", "local_date"], unique=False)
        batch_op.create_index(batch_op.f("ix_checkins_guild_id"), ["guild_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkins_guild_id"))
        batch_op.drop_index("ix_checkins_guild_date")

    op.drop_table("checkins")
    with op.batch_alter_table("checkin_signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_signals_guild_id"))

    op.drop_table("checkin_signals")
    op.drop_table("checkin_schedules")
    with op.batch_alter_table("checkin_preferences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_preferences_guild_id"))

    op.drop_table("checkin_preferences")
