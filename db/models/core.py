"""Tables every feature shares: a server's settings, a member within a server, the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, GuildScoped, Timestamped, utcnow
from db.types import UTCDateTime

DEFAULT_ACK_TIMEOUT_SECONDS = 300
DEFAULT_REPEAT_INTERVAL_SECONDS = 600
DEFAULT_MAX_REPEATS = 3
DEFAULT_ERASE_AFTER_DAYS = 30
DEFAULT_RETENTION_DAYS = 365


class AppMeta(Base):
    """Small facts about the database itself, such as the encryption key check."""

    __tablename__ = "app_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class GuildSettings(GuildScoped, Timestamped, Base):
    """What an admin configured for one server with /setup."""

    __tablename__ = "guild_settings"

    guild_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    region: Mapped[str | None] = mapped_column(String(16))
    checkin_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    specialists_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    milestones_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    fallback_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    specialist_role_id: Mapped[int | None] = mapped_column(BigInteger)
    # /help-now escalation policy, like a pager's: unacknowledged for `ack_timeout`
    # pages the backup, then the role, then the role again every `repeat_interval`
    # up to `max_repeats` times.
    ack_timeout_seconds: Mapped[int] = mapped_column(Integer, default=DEFAULT_ACK_TIMEOUT_SECONDS)
    repeat_interval_seconds: Mapped[int] = mapped_column(
        Integer, default=DEFAULT_REPEAT_INTERVAL_SECONDS
    )
    max_repeats: Mapped[int] = mapped_column(Integer, default=DEFAULT_MAX_REPEATS)
    # Extra lines a server adds to its region's crisis resources (a clinic's number):
    # a list of {"name": ..., "how": ...}. Public information, so stored in the clear.
    local_resources: Mapped[list[dict[str, str | bool]]] = mapped_column(JSON, default=list)
    # Privacy (issue 14): a member who left, or the whole server once the bot was removed,
    # is erased this many days later (0: at the next daily check).
    erase_after_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_ERASE_AFTER_DAYS)
    # Check-in notes and journal entries older than this are purged daily.
    retention_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_RETENTION_DAYS)
    # When the bot was removed from the server; cleared if it is added back in time.
    bot_removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Meetings (issue 15): where reminders and opening rounds are posted, and the role
    # members take to be mentioned in the reminders (/meeting remind on).
    meetings_channel_id: Mapped[int | None] = mapped_column(BigInteger)
    meetings_role_id: Mapped[int | None] = mapped_column(BigInteger)


class Member(GuildScoped, Timestamped, Base):
    """A person within one server. The same Discord user in two servers is two members."""

    __tablename__ = "members"
    __table_args__ = (UniqueConstraint("guild_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    timezone: Mapped[str | None] = mapped_column(String(64))
    # Consents default to no: specialists and partners see a member's signals only
    # after the member said yes, and the member can take it back at any time.
    share_signals_with_specialists: Mapped[bool] = mapped_column(Boolean, default=False)
    share_signals_with_partner: Mapped[bool] = mapped_column(Boolean, default=False)
    consent_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The privacy notice the member last saw (its version) and when; a newer notice asks again.
    privacy_notice_version: Mapped[int | None] = mapped_column(Integer)
    privacy_notice_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The member's choice: check-in notes are stored (encrypted) only while this is on.
    keep_checkin_notes: Mapped[bool] = mapped_column(Boolean, default=True)
    # When the daily presence check last looked, and when it first found them gone.
    presence_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_server_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(GuildScoped, Base):
    """Who did what, when. Details are structured fields, never a member's free text."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_guild_subject", "guild_id", "subject_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger)
    subject_user_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
