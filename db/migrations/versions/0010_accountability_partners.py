"""partners: pairings and invitations, what each member shares, nudges and nudge blocks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 18:44:24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "partner_nudge_blocks",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("blocked_user_id", sa.BigInteger(), nullable=False),
        sa.Column("blocked_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "guild_id", "user_id", "blocked_user_id", name=op.f("pk_partner_nudge_blocks")
        ),
    )
    op.create_table(
        "partner_nudges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("recipient_user_id", sa.BigInteger(), nullable=False),
        sa.Column("template", sa.Integer(), nullable=False),
        sa.Column("sent_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner_nudges")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("partner_nudges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_partner_nudges_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(
            "ix_partner_nudges_guild_sender_sent", ["guild_id", "user_id", "sent_at"], unique=False
        )

    op.create_table(
        "partner_preferences",
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("share_checkins", sa.Boolean(), nullable=False),
        sa.Column("share_milestones", sa.Boolean(), nullable=False),
        sa.Column("share_warning_signs", sa.Boolean(), nullable=False),
        sa.Column("share_help_now", sa.Boolean(), nullable=False),
        sa.Column("takes_nudges", sa.Boolean(), nullable=False),
        sa.Column("changed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_partner_preferences")),
    )
    op.create_table(
        "partnerships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inviter_user_id", sa.BigInteger(), nullable=False),
        sa.Column("invitee_user_id", sa.BigInteger(), nullable=False),
        sa.Column("pair_key", sa.String(length=41), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("invited_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("paired_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notice_owed", sa.Boolean(), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "inviter_user_id <> invitee_user_id", name=op.f("ck_partnerships_two_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partnerships")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.create_index("ix_partnerships_expires_at", ["expires_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_partnerships_guild_id"), ["guild_id"], unique=False)
        batch_op.create_index(
            "ix_partnerships_guild_invitee", ["guild_id", "invitee_user_id"], unique=False
        )
        batch_op.create_index(
            "ix_partnerships_guild_inviter", ["guild_id", "inviter_user_id"], unique=False
        )
        batch_op.create_index("uq_partnerships_guild_pair", ["guild_id", "pair_key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("partnerships", schema=None) as batch_op:
        batch_op.drop_index("uq_partnerships_guild_pair")
        batch_op.drop_index("ix_partnerships_guild_inviter")
        batch_op.drop_index("ix_partnerships_guild_invitee")
        batch_op.drop_index(batch_op.f("ix_partnerships_guild_id"))
        batch_op.drop_index("ix_partnerships_expires_at")

    op.drop_table("partnerships")
    op.drop_table("partner_preferences")
    with op.batch_alter_table("partner_nudges", schema=None) as batch_op:
        batch_op.drop_index("ix_partner_nudges_guild_sender_sent")
        batch_op.drop_index(batch_op.f("ix_partner_nudges_guild_id"))

    op.drop_table("partner_nudges")
    op.drop_table("partner_nudge_blocks")
