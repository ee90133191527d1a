"""A member's own choices (sharing, reminders, telling the specialists, their time zone)
and the reminders they asked for, claimed in batches across servers and handed to the
outbox (`core.outbox`). No Discord here: the reminder's message comes from the caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins import texts
from core.errors import UserFacingError
from core.members import member_row
from core.outbox import Outgoing, enqueue
from core.timezones import member_zone, zone_or_utc
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
        member = await member_row(session, guild_id, user_id)
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


async def set_member_timezone(
    session: AsyncSession, guild_id: int, user_id: int, zone: str
) -> None:
    """The zone whose days a member's check-ins, streak and reminders follow, inside the
    caller's transaction (`cogs.me.settings.set_timezone` saves it with the counters)."""
    member = await member_row(session, guild_id, user_id)
    member.timezone = zone


# --- Reminders ------------------------------------------------------------------------------


REMINDER_KIND = "checkins.reminder"


def reminder_dedupe_key(guild_id: int, user_id: int, day: date) -> str:
    """The outbox's name for a member's reminder of one local day: queued twice, sent once."""
    return f"checkins:reminder:{guild_id}:{user_id}:{day.isoformat()}"


def reminder_window(hour: int, zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    """When (UTC) a member's reminder of their local `day` may go out."""
    start = datetime.combine(day, time(hour), tzinfo=zone).astimezone(UTC)
    return start, start + REMINDER_WINDOW


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
    start, end = reminder_window(hour, zone, today)
    if not start <= now < end:
        return None
    return today


async def servers_with_reminders(db: Database) -> list[int]:
    """The servers with a prompt on and at least one member who asked for reminders."""
    async with db.all_guilds_session() as session:
        found = await session.scalars(
            select(CheckinPreference.guild_id)
            .join(CheckinSchedule, CheckinSchedule.guild_id == CheckinPreference.guild_id)
            .where(CheckinPreference.reminders_enabled.is_(True), CheckinSchedule.enabled.is_(True))
            .distinct()
            .order_by(CheckinPreference.guild_id)
        )
        return list(found.all())


@dataclass(frozen=True)
class ClaimedReminder:
    guild_id: int
    user_id: int
    local_date: date


@dataclass(frozen=True)
class _DueReminder:
    guild_id: int
    user_id: int
    channel_id: int
    window_end: datetime


# The DM's body for a server, given the channel its prompt goes to.
ReminderBody = Callable[[int, int], dict[str, Any]]


async def claim_reminders(
    db: Database, guild_ids: Collection[int], now: datetime, body_for: ReminderBody
) -> list[ClaimedReminder]:
    """The reminders due now in these servers, in one transaction: each member is marked
    reminded for their day (a conditional UPDATE, so two runs never both claim one) and
    their DM queued in the outbox with it, kept until their reminder window ends."""
    if not guild_ids:
        return []
    async with db.all_guilds_session() as session, session.begin():
        prefs = (
            await session.execute(
                select(
                    CheckinPreference.id,
                    CheckinPreference.guild_id,
                    CheckinPreference.user_id,
                    CheckinPreference.reminder_hour,
                    CheckinPreference.last_reminder_date,
                    Member.timezone.label("own_zone"),
                    CheckinSchedule.timezone.label("group_zone"),
                    CheckinSchedule.weekdays,
                    CheckinSchedule.channel_id,
                )
                .join(CheckinSchedule, CheckinSchedule.guild_id == CheckinPreference.guild_id)
                .outerjoin(
                    Member,
                    and_(
                        Member.guild_id == CheckinPreference.guild_id,
                        Member.user_id == CheckinPreference.user_id,
                    ),
                )
                .where(
                    CheckinPreference.guild_id.in_(guild_ids),
                    CheckinPreference.reminders_enabled.is_(True),
                    CheckinSchedule.enabled.is_(True),
                )
            )
        ).all()
        if not prefs:
            return []
        recent = now.date() - timedelta(days=2)
        checked: dict[tuple[int, int], set[date]] = defaultdict(set)
        for guild_id, user_id, checked_day in (
            await session.execute(
                select(Checkin.guild_id, Checkin.user_id, Checkin.local_date)
                .join(
                    CheckinPreference,
                    and_(
                        CheckinPreference.guild_id == Checkin.guild_id,
                        CheckinPreference.user_id == Checkin.user_id,
                    ),
                )
                .where(
                    Checkin.guild_id.in_(guild_ids),
                    Checkin.local_date >= recent,
                    CheckinPreference.reminders_enabled.is_(True),
                )
            )
        ).all():
            checked[(guild_id, user_id)].add(checked_day)
        due_on: dict[date, dict[int, _DueReminder]] = defaultdict(dict)
        for pref in prefs:
            zone = zone_or_utc(pref.own_zone or pref.group_zone)
            day = reminder_due(
                pref.reminder_hour,
                zone,
                now,
                frozenset(pref.weekdays),
                pref.last_reminder_date,
                checked[(pref.guild_id, pref.user_id)],
            )
            if day is not None:
                _, window_end = reminder_window(pref.reminder_hour, zone, day)
                due_on[day][pref.id] = _DueReminder(
                    pref.guild_id, pref.user_id, pref.channel_id, window_end
                )
        claimed: list[ClaimedReminder] = []
        outgoing: list[Outgoing] = []
        # Members' days differ by their zones: one statement per local day.
        for day, due in due_on.items():
            moved = await session.scalars(
                update(CheckinPreference)
                .where(
                    CheckinPreference.id.in_(list(due)),
                    or_(
                        CheckinPreference.last_reminder_date.is_(None),
                        CheckinPreference.last_reminder_date < day,
                    ),
                )
                .values(last_reminder_date=day)
                .returning(CheckinPreference.id)
                .execution_options(synchronize_session=False)
            )
            for pref_id in moved.all():
                reminder = due[pref_id]
                claimed.append(ClaimedReminder(reminder.guild_id, reminder.user_id, day))
                outgoing.append(
                    Outgoing(
                        kind=REMINDER_KIND,
                        dedupe_key=reminder_dedupe_key(reminder.guild_id, reminder.user_id, day),
                        guild_id=reminder.guild_id,
                        body=body_for(reminder.guild_id, reminder.channel_id),
                        not_before=now,
                        expires_at=reminder.window_end,
                        user_id=reminder.user_id,
                    )
                )
        await enqueue(session, outgoing)
    return claimed


def reminder_trigger() -> CronTrigger:
    return CronTrigger(minute=f"*/{REMINDER_EVERY_MINUTES}", timezone=UTC)
