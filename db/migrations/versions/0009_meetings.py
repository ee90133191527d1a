"""meetings: schedules, their occurrences (with Discord events), attendance, consent

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:50:50
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_preferences",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("share_attendance", sa.Boolean(), nullable=False),
        sa.Column("changed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_meeting_preferences")),
    )
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("description", sa.String(length=1000), nullable=True),
        sa.Column("topic", sa.String(length=300), nullable=True),
        sa.Column("cadence", sa.String(length=16), nullable=False),
        sa.Column("weekdays", sa.JSON(), nullable=False),
        sa.Column("month_week", sa.Integer(), nullable=True),
        sa.Column("local_time", sa.String(length=5), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("skipped_days", sa.JSON(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("place", sa.String(length=16), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("facilitator_user_id", sa.BigInteger(), nullable=True),
        sa.Column("reminder_minutes", sa.JSON(), nullable=False),
        sa.Column("min_present_minutes", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("cancelled_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("duration_minutes > 0", name=op.f("ck_meetings_lasts")),
        sa.CheckConstraint("min_present_minutes > 0", name=op.f("ck_meetings_presence_positive")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
    )
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meetings_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "meeting_occurrences",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("observed", sa.Boolean(), nullable=False),
        sa.Column("reminders_done", sa.JSON(), nullable=False),
        sa.Column("opened_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("discord_event_id", sa.BigInteger(), nullable=True),
        sa.Column("event_status", sa.Integer(), nullable=False),
        sa.Column("event_outdated", sa.Boolean(), nullable=False),
        sa.Column("event_retry_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("event_deleted", sa.Boolean(), nullable=False),
        sa.Column("next_action_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "ends_at > starts_at", name=op.f("ck_meeting_occurrences_ends_after_start")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_occurrences_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_occurrences")),
        sa.UniqueConstraint(
            "meeting_id", "starts_at", name=op.f("uq_meeting_occurrences_meeting_id_starts_at")
        ),
    )
    with op.batch_alter_table("meeting_occurrences", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_occurrences_guild_id"), ["guild_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meeting_occurrences_next_action_at"), ["next_action_at"], unique=False
        )

    op.create_table(
        "meeting_attendance",
        sa.Column("occurrence_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seconds_present", sa.Integer(), nullable=False),
        sa.Column("in_voice_since", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("here_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["occurrence_id"],
            ["meeting_occurrences.id"],
            name=op.f("fk_meeting_attendance_occurrence_id_meeting_occurrences"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("occurrence_id", "user_id", name=op.f("pk_meeting_attendance")),
    )
    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_attendance_guild_id"), ["guild_id"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_attendance_guild_user", ["guild_id", "user_id"], unique=False
        )
        batch_op.create_index(
            "ix_meeting_attendance_guild_occurrence", ["guild_id", "occurrence_id"], unique=False
        )

    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("meetings_channel_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("meetings_role_id", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.drop_column("meetings_role_id")
        batch_op.drop_column("meetings_channel_id")

    with op.batch_alter_table("meeting_attendance", schema=None) as batch_op:
        batch_op.drop_index("ix_meeting_attendance_guild_occurrence")
        batch_op.drop_index("ix_meeting_attendance_guild_user")
        batch_op.drop_index(batch_op.f("ix_meeting_attendance_guild_id"))

    op.drop_table("meeting_attendance")
    with op.batch_alter_table("meeting_occurrences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_occurrences_next_action_at"))
        batch_op.drop_index(batch_op.f("ix_meeting_occurrences_guild_id"))

    op.drop_table("meeting_occurrences")
    with op.batch_alter_table("meetings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meetings_guild_id"))

    op.drop_table("meetings")
    op.drop_table("meeting_preferences")
