"""Sober-day counters: a member's counters (one per substance), the runs a reset ended,
and whether the member's milestones may be posted in the server's milestones channel."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, Timestamped
from db.types import EncryptedText, UTCDateTime


class SoberCounter(GuildScoped, Timestamped, Base):
    """One member's count of days without one substance, from `since` (their local date).

    One counter per member per substance is kept by the service, comparing normalised
    names inside the writing transaction: the names are encrypted, so no index can.
    """

    __tablename__ = "sober_counters"
    __table_args__ = (
        Index("ix_sober_counters_guild_user", "guild_id", "user_id"),
        CheckConstraint("daily_cost_cents >= 0", name="daily_cost_not_negative"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    # Which substance a member counts is health data.
    substance: Mapped[str] = mapped_column(EncryptedText)
    since: Mapped[date] = mapped_column(Date)
    daily_cost_cents: Mapped[int | None] = mapped_column(Integer)
    # The next milestone not yet celebrated, and the UTC instant of the member's local
    # midnight that starts it: the milestone job finds what is due by this index alone.
    next_milestone_days: Mapped[int | None] = mapped_column(Integer)
    next_milestone_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class SoberRun(GuildScoped, Base):
    """A run a reset ended: the history is the member's to keep (or delete with the counter)."""

    __tablename__ = "sober_runs"
    __table_args__ = (CheckConstraint("ended_on >= started_on", name="ends_after_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    counter_id: Mapped[int] = mapped_column(
        ForeignKey("sober_counters.id", ondelete="CASCADE"), index=True
    )
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date] = mapped_column(Date)


class SoberPreference(GuildScoped, Base):
    """A member's choice to have their milestones posted in the milestones channel."""

    __tablename__ = "sober_preferences"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    share_milestones: Mapped[bool] = mapped_column(Boolean, default=False)
