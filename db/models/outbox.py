"""Bulk messages waiting to be sent by the paced worker (core/outbox.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, utcnow
from db.types import EncryptedText, UTCDateTime

QUEUED = "queued"
SENT = "sent"
# Discord refused it for good (a bad body, a member whose DMs are closed).
FAILED = "failed"
# Its moment passed before it could go out (yesterday's prompt is not sent today).
EXPIRED = "expired"
STATES = (QUEUED, SENT, FAILED, EXPIRED)


class OutboxMessage(GuildScoped, Base):
    """One message to one channel or one member's DMs, sent at most once.

    `dedupe_key` names the message's purpose ("checkins:prompt:<guild>:<date>"): a
    second enqueue of the same purpose, from a retried job or another process, is
    dropped by the unique index instead of becoming a second message.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("(channel_id IS NULL) <> (user_id IS NULL)", name="one_destination"),
        # The worker's claim: what is queued and due, oldest first.
        Index("ix_outbox_messages_due", "state", "not_before"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    # The JSON body of Discord's "create message"; our texts today, but later features
    # (partner signals) may carry a member's words, so it is encrypted like notes.
    body: Mapped[str] = mapped_column(EncryptedText)
    state: Mapped[str] = mapped_column(String(10), default=QUEUED)
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker holds a claimed row until `lease_until`; a worker that died lets go by
    # the lease running out, so another (or its restart) picks the row up.
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_status: Mapped[int | None] = mapped_column(Integer)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
