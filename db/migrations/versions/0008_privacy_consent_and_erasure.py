"""privacy: the notice a member saw, keeping notes, presence, erasure grace and retention

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 07:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("guild_settings") as table:
        table.add_column(
            sa.Column("erase_after_days", sa.Integer(), nullable=False, server_default="30")
        )
        table.add_column(
            sa.Column("retention_days", sa.Integer(), nullable=False, server_default="365")
        )
        table.add_column(
            sa.Column("bot_removed_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("members") as table:
        table.add_column(sa.Column("privacy_notice_version", sa.Integer(), nullable=True))
        table.add_column(
            sa.Column("privacy_notice_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )
        table.add_column(
            sa.Column("keep_checkin_notes", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        table.add_column(
            sa.Column("presence_checked_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )
        table.add_column(
            sa.Column("left_server_at", db.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("members") as table:
        for column in (
            "left_server_at",
            "presence_checked_at",
            "keep_checkin_notes",
            "privacy_notice_at",
            "privacy_notice_version",
        ):
            table.drop_column(column)
    with op.batch_alter_table("guild_settings") as table:
        for column in ("bot_removed_at", "retention_days", "erase_after_days"):
            table.drop_column(column)
