"""Daily check-ins: a group's prompt schedule, members' check-ins and preferences, and
the warning-sign detector's record of what it already told whom."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, Timestamped, utcnow
from db.types import EncryptedText, UTCDateTime

EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]  # Monday is 0, as in `date.weekday()`
DEFAULT_REMINDER_HOUR = 20


class CheckinSchedule(GuildScoped, Timestamped, Base):
    """When and where a group's daily prompt goes out (/setup checkins); one per server."""

    __tablename__ = "checkin_schedules"
    __table_args__ = (
        CheckConstraint("prompt_hour BETWEEN 0 AND 23", name="prompt_hour_range"),
        CheckConstraint("prompt_minute BETWEEN 0 AND 59", name="prompt_minute_range"),
    )

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    channel_id: Mapped[int] = mapped_column(BigInteger)
    prompt_hour: Mapped[int] = mapped_column(Integer)
    prompt_minute: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=lambda: list(EVERY_DAY))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # The group's local date of the last prompt sent: a prompt is claimed by moving this
    # forward in one conditional UPDATE, so no restart, retry or doubled clock hour
    # (daylight saving ending) can send a second prompt the same day.
    last_prompt_date: Mapped[date | None] = mapped_column(Date)
    last_prompt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Checkin(GuildScoped, Timestamped, Base):
    """One member's check-in for one local day (a second one that day updates it)."""

    __tablename__ = "checkins"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id", "local_date"),
        # /checkin group counts members per day without reading anyone's answers.
        Index("ix_checkins_guild_date", "guild_id", "local_date"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    # The member's local date (their time zone, else the group's) when they checked in.
    local_date: Mapped[date] = mapped_column(Date)
    mood: Mapped[int] = mapped_column(Integer)
    craving: Mapped[int] = mapped_column(Integer)
    sleep_hours: Mapped[float] = mapped_column(Float)
    # Names from the configured trigger list, plus "other".
    triggers: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(EncryptedText)


class CheckinPreference(GuildScoped, Timestamped, Base):
    """A member's check-in choices: a DM reminder (and its local hour), a public line."""

    __tablename__ = "checkin_preferences"
    __table_args__ = (
        UniqueConstraint("guild_id", "user_id"),
        CheckConstraint("reminder_hour BETWEEN 0 AND 23", name="reminder_hour_range"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    reminders_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    reminder_hour: Mapped[int] = mapped_column(Integer, default=DEFAULT_REMINDER_HOUR)
    share_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The member's local date of the last reminder, so there is at most one a day.
    last_reminder_date: Mapped[date | None] = mapped_column(Date)


class CheckinSignal(GuildScoped, Base):
    """A warning sign the detector noticed, once per episode.

    An episode is named by the sign and the local date it began (the day after the last
    check-in, the first of the low-mood days…), so the same sign is never nudged about
    twice while it lasts, and a new episode later is noticed afresh.
    """

    __tablename__ = "checkin_signals"
    __table_args__ = (UniqueConstraint("guild_id", "user_id", "kind", "episode_start"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(32))
    episode_start: Mapped[date] = mapped_column(Date)
    detected_on: Mapped[date] = mapped_column(Date)
    detected_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Whether the private nudge reached the member (their DMs may be closed), and whether
    # the signal went to the specialists (only with the member's consent).
    nudge_delivered: Mapped[bool] = mapped_column(Boolean, default=False)
    shared_with_specialists: Mapped[bool] = mapped_column(Boolean, default=False)
