"""The on-call rotation: weekly shifts and taken-over pagers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, utcnow
from db.types import UTCDateTime


class OnCallShift(GuildScoped, Base):
    """A weekly shift: `weekday` (0 = Monday) from `start_minute` to `end_minute`, local time.

    An end at or before the start runs past midnight into the next day. Where shifts
    overlap, the lower `position` is on call and the others are backups, in order.
    """

    __tablename__ = "oncall_shifts"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("start_minute BETWEEN 0 AND 1439", name="start_range"),
        CheckConstraint("end_minute BETWEEN 0 AND 1440", name="end_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialist_user_id: Mapped[int] = mapped_column(BigInteger)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OnCallOverride(GuildScoped, Base):
    """A specialist holding the pager outside the schedule (/oncall take or handoff)."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    specialist_user_id: Mapped[int] = mapped_column(BigInteger)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_by: Mapped[int] = mapped_column(BigInteger)
