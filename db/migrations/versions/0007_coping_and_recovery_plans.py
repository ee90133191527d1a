"""coping and relapse-prevention plans: plans, specialists' looks, kept journal entries

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 19:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PLAN_PARTS = (
    "routine",
    "supports",
    "coping_picked",
    "coping_own",
    "signs_picked",
    "triggers_picked",
    "signs_own",
    "emergency_call",
    "emergency_go",
    "emergency_do",
)


def upgrade() -> None:
    op.create_table(
        "recovery_plans",
        sa.Column("guild_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        *(sa.Column(part, db.types.EncryptedText(), nullable=True) for part in _PLAN_PARTS),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("shared_changed_at", db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("guild_id", "user_id", name=op.f("pk_recovery_plans")),
    )

    op.create_table(
        "plan_looks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("viewer_id", sa.BigInteger(), nullable=False),
        sa.Column("looked_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_looks")),
    )
    with op.batch_alter_table("plan_looks") as batch:
        batch.create_index("ix_plan_looks_guild_user", ["guild_id", "user_id"], unique=False)
        batch.create_index(batch.f("ix_plan_looks_guild_id"), ["guild_id"], unique=False)

    op.create_table(
        "journal_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("strategy_id", sa.String(length=40), nullable=False),
        sa.Column("text", db.types.EncryptedText(), nullable=False),
        sa.Column("written_at", db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("guild_id", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_entries")),
    )
    with op.batch_alter_table("journal_entries") as batch:
        batch.create_index("ix_journal_entries_guild_user", ["guild_id", "user_id"], unique=False)
        batch.create_index(batch.f("ix_journal_entries_guild_id"), ["guild_id"], unique=False)


def downgrade() -> None:
    op.drop_table("journal_entries")
    op.drop_table("plan_looks")
    op.drop_table("recovery_plans")
