"""Accountability partners: the pairings (and invitations to one), what each member
shares with their partners, the nudges they sent each other, and whose nudges a member
does not take.

Who is paired with whom is between the two of them: it is never shown to anyone else.
Nothing here holds free text (a nudge is one of the group's own templates, by number).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped
from db.types import UTCDateTime

# A pairing's life: invited (the invitee has not answered), then paired, or declined
# (the inviter sees it as still waiting, so a decline is never announced), or withdrawn
# by its inviter (seen by nobody). Declined and withdrawn rows are kept until the
# invitation would have lapsed: the same inviter can't invite again before then, so
# repeated invitations can't press anyone, and a decline looks like any withdrawal.
INVITED = "invited"
DECLINED = "declined"
WITHDRAWN = "withdrawn"
PAIRED = "paired"


def pair_key(first_user_id: int, second_user_id: int) -> str:
    """The same for both orders: one row per two members, whoever invited."""
    low, high = sorted((first_user_id, second_user_id))
    return f"{low}:{high}"


class Partnership(GuildScoped, Base):
    """Two members of one server: invited, declined or paired."""

    __tablename__ = "partnerships"
    __table_args__ = (
        Index("uq_partnerships_guild_pair", "guild_id", "pair_key", unique=True),
        Index("ix_partnerships_guild_inviter", "guild_id", "inviter_user_id"),
        Index("ix_partnerships_guild_invitee", "guild_id", "invitee_user_id"),
        Index("ix_partnerships_expires_at", "expires_at"),
        CheckConstraint("inviter_user_id <> invitee_user_id", name="two_people"),
        # Ids never reused (SQLite would reuse a deleted row's): an old invitation's button
        # must never answer a newer one, and a notice's key never repeat.
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inviter_user_id: Mapped[int] = mapped_column(BigInteger)
    invitee_user_id: Mapped[int] = mapped_column(BigInteger)
    pair_key: Mapped[str] = mapped_column(String(41))
    state: Mapped[str] = mapped_column(String(16))
    invited_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When an unanswered (or declined) invitation lapses; None once paired.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The invitation could not be sent by DM: the invitee sees it, privately, the next
    # time they use a command in the server.
    notice_owed: Mapped[bool] = mapped_column(Boolean, default=False)


class PartnerPreference(GuildScoped, Base):
    """What one member shares with all of their partners; nothing until they choose."""

    __tablename__ = "partner_preferences"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    share_checkins: Mapped[bool] = mapped_column(Boolean, default=False)
    share_milestones: Mapped[bool] = mapped_column(Boolean, default=False)
    share_warning_signs: Mapped[bool] = mapped_column(Boolean, default=False)
    share_help_now: Mapped[bool] = mapped_column(Boolean, default=False)
    takes_nudges: Mapped[bool] = mapped_column(Boolean, default=True)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PartnerNudge(GuildScoped, Base):
    """One nudge sent, kept a day for the daily limit."""

    __tablename__ = "partner_nudges"
    __table_args__ = (
        Index("ix_partner_nudges_guild_sender_sent", "guild_id", "user_id", "sent_at"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The sender: the nudge is their record (the recipient's DM is theirs, in Discord).
    user_id: Mapped[int] = mapped_column(BigInteger)
    recipient_user_id: Mapped[int] = mapped_column(BigInteger)
    template: Mapped[int] = mapped_column(Integer)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PartnerNudgeBlock(GuildScoped, Base):
    """Member `user_id` takes no nudges from `blocked_user_id`, partners or not."""

    __tablename__ = "partner_nudge_blocks"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    blocked_user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    blocked_at: Mapped[datetime] = mapped_column(UTCDateTime)
