"""help-now: when the current step was paged, and when the owner was told

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 04:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import db.types

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.add_column(sa.Column("paged_at", db.types.UTCDateTime(timezone=True)))
        batch.add_column(sa.Column("owner_told_at", db.types.UTCDateTime(timezone=True)))
    # Before this revision a step was recorded only once its page was posted, so the
    # step every existing request stands at has been paged.
    op.execute("UPDATE help_requests SET paged_at = created_at")
    # That code told the owner when a chain's last page went out: nothing more due means
    # they heard (or were spared within the hour), and a restart must not tell them again.
    op.execute("UPDATE help_requests SET owner_told_at = created_at WHERE next_step_at IS NULL")


def downgrade() -> None:
    with op.batch_alter_table("help_requests") as batch:
        batch.drop_column("owner_told_at")
        batch.drop_column("paged_at")
