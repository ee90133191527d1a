"""Group meetings: the schedules specialists set, each occurrence as it comes (with its
Discord event), and who was there.

A meeting's title, description and topic are the group's own words, shown in Discord's
events list to everyone in the server: stored in the clear. Who attended is health
data about a member and never leaves the member or, with their consent, the
specialists.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, Timestamped
from db.types import UTCDateTime

# Where a meeting happens.
VOICE = "voice"
STAGE = "stage"
TEXT = "text"
LINK = "link"
# How often.
WEEKLY = "weekly"
FORTNIGHTLY = "fortnightly"
MONTHLY = "monthly"
# An occurrence's life: planned, then open from its start, closed at its end; skipped
# when a specialist skips it (its Discord event is removed).
PLANNED = "planned"
OPEN = "open"
CLOSED = "closed"
SKIPPED = "skipped"
# The Discord event status last confirmed (Discord's numbers; 0: there is none).
EVENT_NONE = 0
EVENT_SCHEDULED = 1
EVENT_ACTIVE = 2
EVENT_COMPLETED = 3
DEFAULT_REMINDER_MINUTES = (24 * 60, 15)
DEFAULT_MIN_PRESENT_MINUTES = 10


class Meeting(GuildScoped, Timestamped, Base):
    """A meeting's schedule: what, when (a recurrence in a zone), where, for how long."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("duration_minutes > 0", name="lasts"),
        CheckConstraint("min_present_minutes > 0", name="presence_positive"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(String(1000))
    topic: Mapped[str | None] = mapped_column(String(300))
    cadence: Mapped[str] = mapped_column(String(16))
    # Weekly and fortnightly: the weekdays (Monday is 0). Monthly: one weekday, and which
    # of the month's (1 to 4, or -1 for the last).
    weekdays: Mapped[list[int]] = mapped_column(JSON, default=list)
    month_week: Mapped[int | None] = mapped_column(Integer)
    # "19:00", wall time in `timezone`.
    local_time: Mapped[str] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64))
    # The first day the schedule may fall on; a fortnight counts from its week.
    first_day: Mapped[date] = mapped_column(Date)
    # Local dates a specialist skipped ("2027-03-16"), left out of the recurrence.
    skipped_days: Mapped[list[str]] = mapped_column(JSON, default=list)
    duration_minutes: Mapped[int] = mapped_column(Integer)
    place: Mapped[str] = mapped_column(String(16))
    channel_id: Mapped[int | None] = mapped_column(BigInteger)
    link: Mapped[str | None] = mapped_column(String(500))
    facilitator_user_id: Mapped[int | None] = mapped_column(BigInteger)
    reminder_minutes: Mapped[list[int]] = mapped_column(
        JSON, default=lambda: list(DEFAULT_REMINDER_MINUTES)
    )
    min_present_minutes: Mapped[int] = mapped_column(Integer, default=DEFAULT_MIN_PRESENT_MINUTES)
    created_by: Mapped[int] = mapped_column(BigInteger)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MeetingOccurrence(GuildScoped, Base):
    """One meeting on one day. Only the next occurrence of each meeting is planned (and
    kept as a Discord event); the next is made when it closes or is skipped."""

    __tablename__ = "meeting_occurrences"
    __table_args__ = (
        UniqueConstraint("meeting_id", "starts_at"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default=PLANNED)
    # False when the bot was down for the whole meeting: nobody is counted as missing it.
    observed: Mapped[bool] = mapped_column(Boolean, default=True)
    # Reminders (minutes before the start) already sent or passed by.
    reminders_done: Mapped[list[int]] = mapped_column(JSON, default=list)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Discord event: its id, the status Discord last confirmed, whether its details
    # changed since, when a failed change is tried again, and whether someone deleted it.
    discord_event_id: Mapped[int | None] = mapped_column(BigInteger)
    event_status: Mapped[int] = mapped_column(Integer, default=EVENT_NONE)
    event_outdated: Mapped[bool] = mapped_column(Boolean, default=False)
    event_retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    event_deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    # The earliest moment something is due (a reminder, the start, the end, an event
    # change to retry): the meetings job finds its work by this index alone.
    next_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class MeetingAttendance(GuildScoped, Base):
    """One member at one occurrence: time in its voice channel, summed over leaves and
    rejoins, or the moment they pressed "I'm here"; whether it counted, decided at the end."""

    __tablename__ = "meeting_attendance"
    # By member (their record, export, erase) and by occurrence within a server (a
    # server's session filters on guild_id, which otherwise leads SQLite to scan it all).
    __table_args__ = (
        Index("ix_meeting_attendance_guild_user", "guild_id", "user_id"),
        Index("ix_meeting_attendance_guild_occurrence", "guild_id", "occurrence_id"),
    )

    occurrence_id: Mapped[int] = mapped_column(
        ForeignKey("meeting_occurrences.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    seconds_present: Mapped[int] = mapped_column(Integer, default=0)
    # Set while the member is in the voice channel: when this stay began.
    in_voice_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    here_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attended: Mapped[bool | None] = mapped_column(Boolean)


class MeetingPreference(GuildScoped, Base):
    """A member's choice to let the peer specialists see their attendance."""

    __tablename__ = "meeting_preferences"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    share_attendance: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
