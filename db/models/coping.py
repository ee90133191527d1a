"""Coping strategies: the journal entries a member chose to keep (encrypted)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped
from db.types import EncryptedText, UTCDateTime


class JournalEntry(GuildScoped, Base):
    """What a member wrote in /cope's journaling exercise and asked to keep."""

    __tablename__ = "journal_entries"
    __table_args__ = (Index("ix_journal_entries_guild_user", "guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    strategy_id: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(EncryptedText)
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
