"""/help-now requests and every step taken on them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, utcnow
from db.types import EncryptedText, UTCDateTime

OPEN_STATUSES = ("open", "acknowledged")
# A request another bot process answered first (two processes holding one shard, as in
# a deploy's overlap): that process pages it; this record stays out of every report.
WITHDRAWN = "withdrawn"


class HelpRequest(GuildScoped, Base):
    """One member's request for help, from /help-now until it is closed."""

    __tablename__ = "help_requests"
    __table_args__ = (
        # One open request per member: a second /help-now re-pages this one.
        Index(
            "uq_help_requests_one_open_per_member",
            "guild_id",
            "member_user_id",
            unique=True,
            sqlite_where=text("status IN ('open', 'acknowledged')"),
            postgresql_where=text("status IN ('open', 'acknowledged')"),
        ),
        Index("ix_help_requests_due", "status", "next_step_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Chosen in memory before the row exists, so a request recorded late (from the
    # outbox, after the database was down) is recorded once and matched to its pages.
    public_id: Mapped[str] = mapped_column(String(36), unique=True)
    member_user_id: Mapped[int] = mapped_column(BigInteger)
    # Where the member asked: a private thread to talk opens there, since a member
    # can only see threads of channels they can see.
    origin_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The escalation step reached (0 = first page) and when the next one is due;
    # no due time once acknowledged or closed.
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_step_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the page of the step reached went out (or was given up on); none while it
    # is still to be posted, so a restart posts it instead of losing it.
    paged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner heard that the last automatic page went unanswered (once only).
    owner_told_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    page_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    page_message_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    acknowledged_by: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(EncryptedText)


class HelpEvent(GuildScoped, Base):
    """A step in a request's life: paged whom, escalated, acknowledged, closed."""

    __tablename__ = "help_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Chosen in memory like HelpRequest.public_id: replaying the outbox twice must not
    # record a step twice.
    key: Mapped[str] = mapped_column(String(36), unique=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("help_requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    # Who was paged: "user:<id>", "role:<id>" or "channel:<id>"; never free text.
    target: Mapped[str | None] = mapped_column(String(64))
