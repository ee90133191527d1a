"""A member's own choices (sharing, reminders, telling the specialists, their time zone)
and the reminders they asked for. No Discord here.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins import texts
from cogs.checkins.common import member_zone, rowcount, zone_or_utc
from core.errors import UserFacingError
from db.engine import Database
from db.models import AuditEntry, Member
from db.models.checkins import DEFAULT_REMINDER_HOUR, Checkin, CheckinPreference, CheckinSchedule

# A reminder is sent from the member's chosen hour until this long after it.
REMINDER_WINDOW = timedelta(hours=3)
REMINDER_EVERY_MINUTES = 15


# --- Preferences and consent ----------------------------------------------------------------


async def _preference(session: AsyncSession, guild_id: int, user_id: int) -> CheckinPreference:
    row = await session.scalar(
        select(CheckinPreference).where(CheckinPreference.user_id == user_id)
    )
    if row is None:
        row = CheckinPreference(
            guild_id=guild_id,
            user_id=user_id,
            reminders_enabled=False,
            reminder_hour=DEFAULT_REMINDER_HOUR,
            share_enabled=False,
        )
        session.add(row)
    return row


async def _member(session: AsyncSession, guild_id: int, user_id: int) -> Member:
    row = await session.scalar(select(Member).where(Member.user_id == user_id))
    if row is None:
        row = Member(guild_id=guild_id, user_id=user_id)
        session.add(row)
    return row


async def set_share(db: Database, guild_id: int, user_id: int, on: bool) -> None:
    async with db.guild_session(guild_id) as session, session.begin():
        (await _preference(session, guild_id, user_id)).share_enabled = on


@dataclass(frozen=True)
class ReminderSetting:
    enabled: bool
    hour: int
    timezone: str


async def set_reminders(
    db: Database, guild_id: int, user_id: int, on: bool, hour: int | None = None
) -> ReminderSetting:
    if hour is not None and not 0 <= hour <= 23:
        raise UserFacingError(texts.BAD_TIME.format(value=hour))
    async with db.guild_session(guild_id) as session, session.begin():
        row = await _preference(session, guild_id, user_id)
        row.reminders_enabled = on
        if hour is not None:
            row.reminder_hour = hour
        zone = await member_zone(session, guild_id, user_id)
        return ReminderSetting(on, row.reminder_hour, str(zone.key))


async def set_specialist_consent(
    db: Database, guild_id: int, user_id: int, on: bool, now: datetime
) -> None:
    """The member's own choice; recorded in the audit log they can see."""
    async with db.guild_session(guild_id) as session, session.begin():
        member = await _member(session, guild_id, user_id)
        member.share_signals_with_specialists = on
        member.consent_updated_at = now
        session.add(
            AuditEntry(
                guild_id=guild_id,
                actor_user_id=user_id,
                subject_user_id=user_id,
                action="consent.specialist_signals",
                details={"share": on},
            )
        )


async def set_member_timezone(db: Database, guild_id: int, user_id: int, zone: str) -> None:
    """The zone whose days a member's check-ins, streak and reminders follow."""
    async with db.guild_session(guild_id) as session, session.begin():
        member = await _member(session, guild_id, user_id)
        member.timezone = zone


# --- Reminders ------------------------------------------------------------------------------


def reminder_due(
    hour: int,
    zone: ZoneInfo,
    now: datetime,
    weekdays: frozenset[int],
    last_reminder_date: date | None,
    checked_in_on: set[date],
) -> date | None:
    """The member's local date to remind them for, if a reminder is due now."""
    local = now.astimezone(zone)
    today = local.date()
    if today.weekday() not in weekdays or today in checked_in_on:
        return None
    if last_reminder_date is not None and last_reminder_date >= today:
        return None
    start = datetime.combine(today, time(hour), tzinfo=zone).astimezone(UTC)
    if not start <= now < start + REMINDER_WINDOW:
        return None
    return today


async def claim_reminders(db: Database, guild_id: int, now: datetime) -> list[int]:
    """Members to remind now; each is marked reminded for their day before it is sent."""
    async with db.guild_session(guild_id) as session, session.begin():
        schedule = await session.get(CheckinSchedule, guild_id)
        if schedule is None or not schedule.enabled:
            return []
        weekdays = frozenset(schedule.weekdays)
        prefs = (
            await session.scalars(
                select(CheckinPreference).where(CheckinPreference.reminders_enabled.is_(True))
            )
        ).all()
        if not prefs:
            return []
        users = [p.user_id for p in prefs]
        own_zones = dict(
            (
                await session.execute(
                    select(Member.user_id, Member.timezone).where(Member.user_id.in_(users))
                )
            ).all()
        )
        recent = now.date() - timedelta(days=2)
        checked: dict[int, set[date]] = defaultdict(set)
        for user_id, checked_day in (
            await session.execute(
                select(Checkin.user_id, Checkin.local_date).where(
                    Checkin.user_id.in_(users), Checkin.local_date >= recent
                )
            )
        ).all():
            checked[user_id].add(checked_day)
        due: list[int] = []
        for pref in prefs:
            zone = zone_or_utc(own_zones.get(pref.user_id) or schedule.timezone)
            day = reminder_due(
                pref.reminder_hour,
                zone,
                now,
                weekdays,
                pref.last_reminder_date,
                checked[pref.user_id],
            )
            if day is None:
                continue
            result = await session.execute(
                update(CheckinPreference)
                .where(
                    CheckinPreference.id == pref.id,
                    or_(
                        CheckinPreference.last_reminder_date.is_(None),
                        CheckinPreference.last_reminder_date < day,
                    ),
                )
                .values(last_reminder_date=day)
                .execution_options(synchronize_session=False)
            )
            if rowcount(result) == 1:
                due.append(pref.user_id)
    return due


def reminder_trigger() -> CronTrigger:
    return CronTrigger(minute=f"*/{REMINDER_EVERY_MINUTES}", timezone=UTC)
