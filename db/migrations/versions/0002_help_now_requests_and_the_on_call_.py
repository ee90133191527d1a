"""help-now requests and the on-call rotation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:08:10.840855
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "help_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=36), nullable=False),
        sa.Column("member_user_id", sa.BigInteger(), nullable=False),
        sa.Column("origin_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", db.types.EncryptedText(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("next_step_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("page_channel_id", sa.BigInteger(), nullable=True),
        sa.Column("page_message_id", sa.BigInteger(), nullable=True),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("acknowledged_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("acknowledged_by", sa.BigInteger(), nullable=True),
        sa.Column("closed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.BigInteger(), nullable=True),
        sa.Column("outcome", db.types.EncryptedText(), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_requests")),
        sa.UniqueConstraint("public_id", name=op.f("uq_help_requests_public_id")),
    )
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.create_index("ix_help_requests_due", ["status", "next_step_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_help_requests_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(
            "uq_help_requests_one_open_per_member",
            ["guild_id", "member_user_id"],
            unique=True,
            sqlite_where=sa.text("status IN ('open', 'acknowledged')"),
            postgresql_where=sa.text("status IN ('open', 'acknowledged')"),
        )

    op.create_table(
        "oncall_overrides",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_user_id", sa.BigInteger(), nullable=False),
        sa.Column("starts_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_early_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_overrides")),
    )
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_oncall_overrides_guild_id"), ["guild_id"], unique=False
        )

    op.create_table(
        "oncall_shifts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialist_user_id", sa.BigInteger(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.BigInteger(), nullable=False),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "end_minute BETWEEN 0 AND 1440", name=op.f("ck_oncall_shifts_end_range")
        ),
        sa.CheckConstraint(
            "start_minute BETWEEN 0 AND 1439", name=op.f("ck_oncall_shifts_start_range")
        ),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_oncall_shifts_weekday_range")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oncall_shifts")),
    )
    with op.batch_alter_table("oncall_shifts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_oncall_shifts_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "help_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=36), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("target", sa.String(length=64), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["help_requests.id"],
            name=op.f("fk_help_events_request_id_help_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_help_events")),
        sa.UniqueConstraint("key", name=op.f("uq_help_events_key")),
    )
    with op.batch_alter_table("help_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_help_events_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_help_events_request_id"), ["request_id"], unique=False)

    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        # Existing servers get the same defaults as new ones.
        batch_op.add_column(
            sa.Column("ack_timeout_seconds", sa.Integer(), nullable=False, server_default="300")
        )
        batch_op.add_column(
            sa.Column("repeat_interval_seconds", sa.Integer(), nullable=False, server_default="600")
        )
        batch_op.add_column(
            sa.Column("max_repeats", sa.Integer(), nullable=False, server_default="3")
        )
        batch_op.add_column(
            sa.Column("local_resources", sa.JSON(), nullable=False, server_default="[]")
        )


def downgrade() -> None:
    with op.batch_alter_table("guild_settings", schema=None) as batch_op:
        batch_op.drop_column("local_resources")
        batch_op.drop_column("max_repeats")
        batch_op.drop_column("repeat_interval_seconds")
        batch_op.drop_column("ack_timeout_seconds")

    with op.batch_alter_table("help_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_help_events_request_id"))
        batch_op.drop_index(batch_op.f("ix_help_events_guild_id"))

    op.drop_table("help_events")
    with op.batch_alter_table("oncall_shifts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_shifts_guild_id"))

    op.drop_table("oncall_shifts")
    with op.batch_alter_table("oncall_overrides", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_oncall_overrides_guild_id"))

    op.drop_table("oncall_overrides")
    with op.batch_alter_table("help_requests", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_help_requests_one_open_per_member",
            sqlite_where=sa.text("status IN ('open', 'acknowledged')"),
            postgresql_where=sa.text("status IN ('open', 'acknowledged')"),
        )
        batch_op.drop_index(batch_op.f("ix_help_requests_guild_id"))
        batch_op.drop_index("ix_help_requests_due")

    op.drop_table("help_requests")
