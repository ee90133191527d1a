"""outbox: bulk messages queued for the paced worker

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("channel_id", sa.BigInteger(), nullable=True),
        sa.Column("user_id", sa.BigInteger(), nullable=True),
        sa.Column("body", db.types.EncryptedText(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("not_before", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("lease_owner", sa.String(length=80), nullable=True),
        sa.Column("lease_until", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.Integer(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "(channel_id IS NULL) <> (user_id IS NULL)",
            name=op.f("ck_outbox_messages_one_destination"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_messages_dedupe_key")),
    )
    with op.batch_alter_table("outbox_messages") as batch:
        batch.create_index("ix_outbox_messages_due", ["state", "not_before"], unique=False)
        batch.create_index(batch.f("ix_outbox_messages_guild_id"), ["guild_id"], unique=False)
        batch.create_index(batch.f("ix_outbox_messages_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("outbox_messages")
