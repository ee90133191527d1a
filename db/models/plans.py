"""Relapse-prevention plans: the plan a member writes (every part encrypted: it is health
data in their own words), and the record of each look a peer specialist took at it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Index, Integer
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, Timestamped
from db.types import EncryptedText, UTCDateTime


class RecoveryPlan(GuildScoped, Timestamped, Base):
    """One member's plan in one server, in the five parts of domain.md.

    What a member picked from the lists in config/content/coping.toml is kept as they
    were when picked, one per line (strategy ids for coping, the texts for signs and
    triggers), beside what they wrote in their own words.
    """

    __tablename__ = "recovery_plans"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    routine: Mapped[str | None] = mapped_column(EncryptedText)
    supports: Mapped[str | None] = mapped_column(EncryptedText)
    coping_picked: Mapped[str | None] = mapped_column(EncryptedText)
    coping_own: Mapped[str | None] = mapped_column(EncryptedText)
    signs_picked: Mapped[str | None] = mapped_column(EncryptedText)
    triggers_picked: Mapped[str | None] = mapped_column(EncryptedText)
    signs_own: Mapped[str | None] = mapped_column(EncryptedText)
    emergency_call: Mapped[str | None] = mapped_column(EncryptedText)
    emergency_go: Mapped[str | None] = mapped_column(EncryptedText)
    emergency_do: Mapped[str | None] = mapped_column(EncryptedText)
    # The member's consent to let the server's peer specialists read the plan, and when
    # they last gave or withdrew it.
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlanLook(GuildScoped, Base):
    """A peer specialist read a member's shared plan: the member can see every look."""

    __tablename__ = "plan_looks"
    __table_args__ = (Index("ix_plan_looks_guild_user", "guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)  # whose plan
    viewer_id: Mapped[int] = mapped_column(BigInteger)
    looked_at: Mapped[datetime] = mapped_column(UTCDateTime)
