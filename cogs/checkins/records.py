"""Recording a check-in, streaks, and looking back: a member's own history and the
group's participation (counts only). No Discord here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins import texts
from cogs.checkins.common import group_zone, member_zone, rowcount, scheduled_weekdays, zone_or_utc
from cogs.checkins.form import CheckinValues, RawCheckin, chosen_triggers, parse_checkin
from config.content import CheckinContent
from core.errors import UserFacingError
from db.engine import Database
from db.models.checkins import EVERY_DAY, Checkin, CheckinPreference, CheckinSchedule

# --- Recording ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinOutcome:
    local_date: date
    created: bool
    streak: int
    triggers: tuple[str, ...]
    high_craving: bool
    low_mood: bool
    # Where to post the "checked in" line: set only for a member who opted in, on their
    # first check-in of the day.
    share_channel_id: int | None


async def record_checkin(
    db: Database,
    guild_id: int,
    user_id: int,
    raw: RawCheckin,
    content: CheckinContent,
    now: datetime,
    *,
    keep_note_if_empty: bool = False,
) -> CheckinOutcome:
    """Store today's check-in (or update it); refused values change nothing.

    `keep_note_if_empty`: the form did not show the stored note, so an empty note field
    leaves it as it is."""
    values = parse_checkin(raw, content)
    async with db.guild_session(guild_id) as session, session.begin():
        zone = await member_zone(session, guild_id, user_id)
        schedule = await session.get(CheckinSchedule, guild_id)  # already loaded: no query
        share = await session.scalar(
            select(CheckinPreference.share_enabled).where(CheckinPreference.user_id == user_id)
        )
        today = now.astimezone(zone).date()
        keep_note = keep_note_if_empty and not values.note
        created = await _upsert(session, guild_id, user_id, today, values, now, keep_note)
        dates = set(
            await session.scalars(select(Checkin.local_date).where(Checkin.user_id == user_id))
        )
    weekdays = frozenset(schedule.weekdays if schedule is not None else EVERY_DAY)
    signs = content.warning_signs
    return CheckinOutcome(
        local_date=today,
        created=created,
        streak=streak_length(dates, today, weekdays),
        triggers=values.triggers,
        high_craving=values.craving >= signs.high_craving_at_least,
        low_mood=values.mood <= signs.low_mood_at_most,
        share_channel_id=schedule.channel_id if (share and created and schedule) else None,
    )


async def _upsert(
    session: AsyncSession,
    guild_id: int,
    user_id: int,
    local_date: date,
    values: CheckinValues,
    now: datetime,
    keep_note: bool = False,
) -> bool:
    """Insert or update the day's row in one statement; True when it was new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values_statement = insert(Checkin).values(
        guild_id=guild_id,
        user_id=user_id,
        local_date=local_date,
        mood=values.mood,
        craving=values.craving,
        sleep_hours=values.sleep_hours,
        triggers=list(values.triggers),
        note=values.note,
        created_at=now,
        updated_at=now,
    )
    excluded = values_statement.excluded
    changes = {
        "mood": excluded.mood,
        "craving": excluded.craving,
        "sleep_hours": excluded.sleep_hours,
        "triggers": excluded.triggers,
        "updated_at": excluded.updated_at,
    }
    if not keep_note:
        changes["note"] = excluded.note
    statement = values_statement.on_conflict_do_update(
        index_elements=[Checkin.guild_id, Checkin.user_id, Checkin.local_date], set_=changes
    ).returning(Checkin.created_at)
    created_at = (await session.execute(statement)).scalar_one()
    return bool(created_at == now)


async def todays_answers(
    db: Database, guild_id: int, user_id: int, content: CheckinContent, now: datetime
) -> RawCheckin | None:
    """Today's check-in as the form shows it, so a second one the same day starts from
    the first (and an empty note field does not silently erase the note)."""
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
        row = await session.scalar(
            select(Checkin).where(
                Checkin.user_id == user_id, Checkin.local_date == now.astimezone(zone).date()
            )
        )
    if row is None:
        return None
    numbers = [
        str(content.triggers.index(name) + 1) if name in content.triggers else name
        for name in row.triggers
    ]
    return RawCheckin(
        mood=str(row.mood),
        craving=str(row.craving),
        sleep=f"{row.sleep_hours:g}",
        triggers=", ".join(numbers),
        note=row.note or "",
    )


async def set_triggers(
    db: Database,
    guild_id: int,
    user_id: int,
    triggers: Sequence[str],
    content: CheckinContent,
    now: datetime,
) -> tuple[str, ...]:
    """Replace today's triggers (picked from the menu after a check-in)."""
    kept = chosen_triggers(triggers, content)
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
    today = now.astimezone(zone).date()
    async with db.guild_session(guild_id) as session, session.begin():
        result = await session.execute(
            update(Checkin)
            .where(Checkin.user_id == user_id, Checkin.local_date == today)
            .values(triggers=list(kept), updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if rowcount(result) == 0:
        raise UserFacingError(texts.NO_CHECKIN_TODAY)
    return kept


# --- Streaks --------------------------------------------------------------------------------


def streak_length(dates: set[date], today: date, weekdays: frozenset[int]) -> int:
    """Check-ins on consecutive local days up to today (or yesterday, if today is still
    open). Days the group has no check-in scheduled neither break nor add to it."""
    if not dates:
        return 0
    earliest = min(dates)
    day = today if today in dates else today - timedelta(days=1)
    count = 0
    while day >= earliest:
        if day in dates:
            count += 1
        elif day.weekday() in weekdays:
            break
        day -= timedelta(days=1)
    return count


async def member_streak(db: Database, guild_id: int, user_id: int, now: datetime) -> int:
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
        weekdays = await scheduled_weekdays(session, guild_id)
        dates = set(
            await session.scalars(select(Checkin.local_date).where(Checkin.user_id == user_id))
        )
    return streak_length(dates, now.astimezone(zone).date(), weekdays)


# --- Looking back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    local_date: date
    mood: int
    craving: int
    sleep_hours: float
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class History:
    points: list[HistoryPoint]
    streak: int
    days: int


async def history(db: Database, guild_id: int, user_id: int, days: int, now: datetime) -> History:
    """The member's own check-ins of the last `days` local days (never the note)."""
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
        weekdays = await scheduled_weekdays(session, guild_id)
        today = now.astimezone(zone).date()
        rows = await session.execute(
            select(
                Checkin.local_date,
                Checkin.mood,
                Checkin.craving,
                Checkin.sleep_hours,
                Checkin.triggers,
            )
            .where(Checkin.user_id == user_id)
            .order_by(Checkin.local_date)
        )
        all_rows = list(rows.all())
    first = today - timedelta(days=days - 1)
    points = [
        HistoryPoint(day, mood, craving, sleep, tuple(triggers or ()))
        for day, mood, craving, sleep, triggers in all_rows
        if day >= first
    ]
    dates = {row[0] for row in all_rows}
    return History(points, streak_length(dates, today, weekdays), days)


@dataclass(frozen=True)
class Participation:
    per_day: list[tuple[date, int]]
    members: int
    days: int

    @property
    def average(self) -> float:
        return sum(count for _, count in self.per_day) / max(len(self.per_day), 1)


async def participation(db: Database, guild_id: int, days: int, now: datetime) -> Participation:
    """How many members checked in each day: counts only, nobody's answers or names."""
    async with db.guild_session(guild_id) as session:
        zone = zone_or_utc(await group_zone(session, guild_id))
        today = now.astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        counts = dict(
            (
                await session.execute(
                    select(Checkin.local_date, func.count(func.distinct(Checkin.user_id)))
                    .where(Checkin.local_date >= first, Checkin.local_date <= today)
                    .group_by(Checkin.local_date)
                )
            ).all()
        )
        members = await session.scalar(
            select(func.count(func.distinct(Checkin.user_id))).where(
                Checkin.local_date >= first, Checkin.local_date <= today
            )
        )
    per_day = [
        (first + timedelta(days=offset), int(counts.get(first + timedelta(days=offset), 0)))
        for offset in range(days)
    ]
    return Participation(per_day, int(members or 0), days)
